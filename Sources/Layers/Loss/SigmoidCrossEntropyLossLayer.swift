import CaffeProto
import Foundation
import Runtime

/// The SSD fork's SigmoidCrossEntropyLoss (src/caffe/layers/sigmoid_cross_entropy_loss_layer.cpp):
/// Σ −[t·log σ(x) + (1 − t)·log(1 − σ(x))] over every element, computed stably as
/// x·(t − [x ≥ 0]) − log(1 + exp(x − 2x·[x ≥ 0])), divided by the normalizer. This fork supports
/// `loss_param.ignore_label` (targets whose integer part equals it are skipped and get no
/// gradient) and `normalization`, which defaults to BATCH_SIZE here (not VALID as in
/// SoftmaxWithLoss); legacy `normalize` true means VALID. Gradient: (σ(x) − t)·weight/normalizer.
final class SigmoidCrossEntropyLossLayer: LossLayer {
    override class var caffeType: String { "SigmoidCrossEntropyLoss" }

    private var sigmoid: [Float] = []
    private var normalizer: Float = 1
    private var ignoreLabel: Int?
    private var mode = Caffe_LossParameter.NormalizationMode.batchSize

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try super.layerSetUp(bottom: bottom, top: top)
        let p = parameter.lossParam
        ignoreLabel = p.hasIgnoreLabel ? Int(p.ignoreLabel) : nil
        // sigmoid_cross_entropy_loss_layer.cpp LayerSetUp: BATCH_SIZE when neither field is given.
        if p.hasNormalization {
            mode = p.normalization
        } else if p.hasNormalize {
            mode = p.normalize ? .valid : .batchSize
        } else {
            mode = .batchSize
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        guard bottom[0].count == bottom[1].count else {
            throw error("the inputs must have the same count: \(bottom[0].shape) vs \(bottom[1].shape)")
        }
    }

    private func ignored(_ target: Float) -> Bool {
        guard let ignoreLabel else { return false }
        return integerLabel(target) == ignoreLabel
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        let x = bottom[0].data, t = bottom[1].data
        if sigmoid.count != count { sigmoid = Array(repeating: 0, count: count) }
        var loss: Float = 0, valid = 0
        sigmoid.withUnsafeMutableBufferPointer { s in
            for i in 0..<count {
                // sigmoid_layer.cpp sigmoid(): 1. / (1. + exp(-x)) with a float exp.
                s[i] = Float(1.0 / (1.0 + Double(expf(-x[i]))))
                if ignored(t[i]) { continue }
                let positive: Float = x[i] >= 0 ? 1 : 0
                loss -= x[i] * (t[i] - positive) - logf(1 + expf(x[i] - 2 * x[i] * positive))
                valid += 1
            }
        }
        normalizer = LossLayer.normalizer(mode, outer: bottom[0].shape.first ?? 1, inner: bottom[0].count(from: 1), validCount: valid)
        top[0].data[0] = loss / normalizer
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] { throw error("cannot backpropagate to label inputs") }
        guard propagateDown[0] else { return }
        let t = bottom[1].data, dx = bottom[0].diff
        let weight = top[0].diff[0] / normalizer
        for i in 0..<bottom[0].count {
            dx[i] = ignored(t[i]) ? 0 : (sigmoid[i] - t[i]) * weight
        }
    }
}
