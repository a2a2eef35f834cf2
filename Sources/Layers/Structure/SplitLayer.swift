import CaffeProto
import Kernels
import Runtime

/// Caffe's Split (src/caffe/layers/split_layer.cpp): every top shares the bottom's values; the
/// bottom's diff is the sum of the tops' diffs. The Net inserts these automatically. With
/// `sharesFirstTopDiff` (NetOptimizations.shareSplitDiff) top 0 writes its gradient straight into
/// the bottom's, and backward adds the others to it.
final class SplitLayer: Layer, FirstTopDiffSharing {
    var sharesFirstTopDiff = false

    override class var caffeType: String { "Split" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 1, minTops: 1) }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        for (i, blob) in top.enumerated() {
            guard blob !== bottom[0] else {
                throw error("top \(i) ('\(parameter.top[i])') is the bottom: Split cannot work in place")
            }
            try reshapeBlob(blob, bottom[0].shape)
            try blob.shareData(with: bottom[0])
        }
        if sharesFirstTopDiff, let first = top.first {
            try first.shareDiff(with: bottom[0])
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        for blob in top { try blob.shareData(with: bottom[0]) }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let count = bottom[0].count
        let dx = bottom[0].diff
        if !top[0].sharesDiff(with: bottom[0]) { Elementwise.copy(count, top[0].diff, dx) }
        for blob in top.dropFirst() {
            BLAS.axpy(count, 1, blob.diff, dx)
        }
    }
}
