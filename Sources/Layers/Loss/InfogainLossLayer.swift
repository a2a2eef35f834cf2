import CaffeProto
import Foundation
import Runtime

/// Caffe's InfogainLoss (src/caffe/layers/infogain_loss_layer.cpp): the bottom holds
/// probabilities; loss = −Σ_i Σ_j H[label_i, j]·log(max(p_ij, 1e-20)) / N with the (1, 1, K, K)
/// infogain matrix H from a third bottom or from the BlobProto file `infogain_loss_param.source`.
/// Gradient −w·H[label, j]/(N·max(p_ij, 1e-20)); none to the labels or the matrix (force_backward
/// reaches a matrix bottom, as in Caffe, and then gives an error where Caffe aborts).
final class InfogainLossLayer: LossLayer {
    override class var caffeType: String { "InfogainLoss" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 2, maxBottoms: 3, exactTops: 1) }

    private var fileMatrix: Blob?

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try super.layerSetUp(bottom: bottom, top: top)
        guard bottom.count < 3 else { return }
        let p = parameter.infogainLossParam
        // infogain_loss_layer.cpp LayerSetUp: CHECK(has_source()) without a third bottom.
        guard p.hasSource else { throw error("give the infogain matrix as a third bottom or as infogain_loss_param.source") }
        do {
            fileMatrix = try Blob(proto: try CaffeFiles.read(p.source, as: Caffe_BlobProto.self))
        } catch {
            throw self.error("cannot read the infogain matrix \(p.source): \(error)")
        }
    }

    private func matrix(_ bottom: [Blob]) -> Blob? { bottom.count > 2 ? bottom[2] : fileMatrix }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        try checkLabelShape(bottom[1])
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        guard let h = matrix(bottom), h.numAxes <= 4, h.num == 1, h.channels == 1, h.height == dim, h.width == dim else {
            throw error("the infogain matrix must be (1, 1, \(dim), \(dim)) for \(dim) classes, got \(matrix(bottom)?.shape ?? [])")
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        guard let h = matrix(bottom)?.data else { return }
        let p = bottom[0].data
        var loss: Float = 0
        for (i, label) in try itemLabels(bottom, classes: dim).enumerated() {
            for j in 0..<dim {
                loss -= h[label * dim + j] * logf(max(p[i * dim + j], logThreshold))
            }
        }
        top[0].data[0] = loss / Float(num)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] { throw error("cannot backpropagate to label inputs") }
        if propagateDown.count > 2, propagateDown[2] { throw error("cannot backpropagate to infogain inputs") }
        guard propagateDown[0], let h = matrix(bottom)?.data else { return }
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        let p = bottom[0].data, dx = bottom[0].diff
        let scale = -top[0].diff[0] / Float(num)
        for (i, label) in try itemLabels(bottom, classes: dim).enumerated() {
            for j in 0..<dim {
                dx[i * dim + j] = scale * h[label * dim + j] / max(p[i * dim + j], logThreshold)
            }
        }
    }
}
