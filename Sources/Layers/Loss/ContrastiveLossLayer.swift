import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's ContrastiveLoss (src/caffe/layers/contrastive_loss_layer.cpp): bottoms a (N, C, 1, 1),
/// b (N, C, 1, 1) and the similarity y (N, 1, 1, 1); with d² = ‖a − b‖², loss = Σ [y: d², else
/// max(margin − d, 0)²] / 2N, or with `legacy_version` max(margin − d², 0) for dissimilar pairs.
/// Quirks kept: y counts as similar when its integer part is not 0; the non-legacy gradient
/// divides by d + 1e-4. a and b get gradients, y none.
final class ContrastiveLossLayer: LossLayer {
    override class var caffeType: String { "ContrastiveLoss" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 3, exactTops: 1) }

    /// contrastive_loss_layer.hpp AllowForceBackward: all but the similarity.
    override func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 2 }

    private var difference: [Float] = [], distanceSquared: [Float] = []

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        // contrastive_loss_layer.cpp LayerSetUp: a and b are (N, C, 1, 1), y is (N, 1, 1, 1).
        for (index, blob) in bottom.enumerated() {
            guard blob.numAxes <= 4, blob.height == 1, blob.width == 1, index < 2 || blob.channels == 1 else {
                throw error("bottom \(index) must be \(index < 2 ? "(N, C, 1, 1)" : "(N, 1, 1, 1)"), got \(blob.shape)")
            }
        }
        guard bottom[0].channels == bottom[1].channels, bottom[2].num == bottom[0].num else {
            throw error("the bottoms do not match: \(bottom[0].shape), \(bottom[1].shape), \(bottom[2].shape)")
        }
    }

    private func similar(_ value: Float) -> Bool { (integerLabel(value) ?? 1) != 0 }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let num = bottom[0].num, channels = bottom[0].channels
        let a = bottom[0].data, b = bottom[1].data, y = bottom[2].data
        let p = parameter.contrastiveLossParam
        let count = bottom[0].count
        if difference.count != count { difference = Array(repeating: 0, count: count) }
        for i in 0..<count { difference[i] = a[i] - b[i] }
        distanceSquared = Array(repeating: 0, count: num)
        var loss: Float = 0
        for i in 0..<num {
            // contrastive_loss_layer.cpp: caffe_cpu_dot of the row with itself.
            distanceSquared[i] = difference.withUnsafeBufferPointer { d in
                guard let base = d.baseAddress else { return 0 }
                return BLAS.dot(channels, base + i * channels, base + i * channels)
            }
            if similar(y[i]) {
                loss += distanceSquared[i]
            } else if p.legacyVersion {
                loss += max(p.margin - distanceSquared[i], 0)
            } else {
                let d = max(p.margin - distanceSquared[i].squareRoot(), 0)
                loss += d * d
            }
        }
        top[0].data[0] = loss / Float(num) / 2
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[2] { throw error("cannot backpropagate to the similarity input") }
        let p = parameter.contrastiveLossParam
        let y = bottom[2].data
        for i in 0..<2 where propagateDown[i] {
            let num = bottom[i].num, channels = bottom[i].channels
            let alpha = (i == 0 ? 1 : -1) * top[0].diff[0] / Float(num)
            let dx = bottom[i].diff
            for j in 0..<num {
                var factor: Float = 0
                if similar(y[j]) {
                    factor = alpha
                } else {
                    let mdist: Float, beta: Float
                    if p.legacyVersion {
                        mdist = p.margin - distanceSquared[j]
                        beta = -alpha
                    } else {
                        let d = distanceSquared[j].squareRoot()
                        mdist = p.margin - d
                        beta = -alpha * mdist / (d + 1e-4)
                    }
                    factor = mdist > 0 ? beta : 0
                }
                for c in 0..<channels { dx[j * channels + c] = factor * difference[j * channels + c] }
            }
        }
    }
}
