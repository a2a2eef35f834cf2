import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's Softmax along `softmax_param.axis` (src/caffe/layers/softmax_layer.cpp): the maximum
/// is subtracted before exp; dx = (dy - Σ dy·y) · y.
final class SoftmaxLayer: Layer {
    override class var caffeType: String { "Softmax" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var outer = 0, inner = 0, channels = 0

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let axis = try axisIndex(parameter.softmaxParam.axis, of: bottom[0], parameter: "softmax_param.axis")
        try reshapeBlob(top[0], bottom[0].shape)
        outer = bottom[0].count(from: 0, to: axis)
        inner = bottom[0].count(from: axis + 1)
        channels = bottom[0].shape[axis]
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        SoftmaxLayer.softmax(input: bottom[0].data, output: top[0].data, outer: outer, channels: channels, inner: inner)
    }

    /// Softmax over the middle axis of an (outer, channels, inner) array; in place allowed.
    static func softmax(input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>, outer: Int, channels: Int, inner: Int) {
        let dim = channels * inner
        KernelThreads.parallelFor(outer * inner, minimumPerChunk: max(1, 4096 / max(1, channels))) { range in
            for position in range {
                let o = position / inner, k = position % inner
                let x = input + o * dim + k
                let y = output + o * dim + k
                var maximum = x[0]
                for c in 1..<max(1, channels) where x[c * inner] > maximum { maximum = x[c * inner] }
                var sum: Float = 0
                for c in 0..<channels {
                    let e = expf(x[c * inner] - maximum)
                    y[c * inner] = e
                    sum += e
                }
                for c in 0..<channels { y[c * inner] /= sum }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff
        let (inner, channels) = (self.inner, self.channels)
        let dim = channels * inner
        KernelThreads.parallelFor(outer * inner, minimumPerChunk: max(1, 4096 / max(1, channels))) { range in
            for position in range {
                let o = position / inner, k = position % inner
                let base = o * dim + k
                var dot = 0.0
                for c in 0..<channels { dot += Double(dy[base + c * inner]) * Double(y[base + c * inner]) }
                let d = Float(dot)
                for c in 0..<channels {
                    let i = base + c * inner
                    dx[i] = (dy[i] - d) * y[i]
                }
            }
        }
    }
}
