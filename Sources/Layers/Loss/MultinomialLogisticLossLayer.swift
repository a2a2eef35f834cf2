import CaffeProto
import Foundation
import Runtime

/// Caffe's MultinomialLogisticLoss (src/caffe/layers/multinomial_logistic_loss_layer.cpp): the
/// bottom holds probabilities; loss = −Σ log(max(p_label, 1e-20)) / N (kLOG_THRESHOLD), N = the
/// first axis; gradient −w/(N·max(p_label, 1e-20)) at the label, 0 elsewhere.
final class MultinomialLogisticLossLayer: LossLayer {
    override class var caffeType: String { "MultinomialLogisticLoss" }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        // multinomial_logistic_loss_layer.cpp Reshape: the label is (N, 1, 1, 1).
        try checkLabelShape(bottom[1])
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        let p = bottom[0].data
        var loss: Float = 0
        for (i, label) in try itemLabels(bottom, classes: dim).enumerated() {
            loss -= logf(max(p[i * dim + label], logThreshold))
        }
        top[0].data[0] = loss / Float(num)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] { throw error("cannot backpropagate to label inputs") }
        guard propagateDown[0] else { return }
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        let p = bottom[0].data, dx = bottom[0].diff
        dx.update(repeating: 0, count: bottom[0].count)
        let scale = -top[0].diff[0] / Float(num)
        for (i, label) in try itemLabels(bottom, classes: dim).enumerated() {
            dx[i * dim + label] = scale / max(p[i * dim + label], logThreshold)
        }
    }
}

/// Caffe's kLOG_THRESHOLD (include/caffe/layers/loss_layer.hpp): the smallest probability logged.
let logThreshold: Float = 1e-20

extension LossLayer {
    /// Caffe's CHECKs that a label blob is (N, 1, 1, 1) in legacy terms.
    func checkLabelShape(_ label: Blob) throws {
        guard label.numAxes <= 4, label.channels == 1, label.height == 1, label.width == 1 else {
            throw error("the label must hold one value per item (shape (N) or (N, 1, 1, 1)), got \(label.shape)")
        }
    }

    /// The label of every item (bottom 1), an integer in 0..<classes (Caffe indexes without a check).
    func itemLabels(_ bottom: [Blob], classes: Int) throws -> [Int] {
        try (0..<bottom[0].num).map { i in
            guard let label = integerLabel(bottom[1].data[i]), label >= 0, label < classes else {
                throw error("label \(i) is \(bottom[1].data[i]), expected an integer in 0..<\(classes)")
            }
            return label
        }
    }
}
