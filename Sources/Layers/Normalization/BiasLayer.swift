import CaffeProto
import Kernels
import Runtime

/// Caffe's Bias (src/caffe/layers/bias_layer.cpp): y = x + b, b broadcast from `axis` over
/// `num_axes` axes, a learned blob (filled by `filler`, default constant 0) or the second bottom.
/// The parameter diff accumulates; a second bottom's diff is overwritten.
final class BiasLayer: Layer {
    override class var caffeType: String { "Bias" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, maxBottoms: 2, exactTops: 1) }

    private var outer = 0, biasDim = 0, inner = 0

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.biasParam
        if bottom.count == 1 && blobs.isEmpty {
            let axis = try axisIndex(p.axis, of: bottom[0], parameter: "bias_param.axis")
            let numAxes = Int(p.numAxes)
            guard numAxes >= -1 else { throw error("num_axes must be non-negative, or -1 to extend to the end of bottom[0]") }
            if numAxes >= 0 {
                guard bottom[0].numAxes >= axis + numAxes else {
                    throw error("the bias blob's shape extends past the bottom's shape \(bottom[0].shape) when applied starting at axis \(axis)")
                }
            }
            let end = numAxes == -1 ? bottom[0].numAxes : axis + numAxes
            let bias = try makeBlob(Array(bottom[0].shape[axis..<end]), what: "bias")
            try fill(bias, with: p.filler, what: "filler")
            blobs = [bias]
        } else if bottom.count > 1 && !blobs.isEmpty {
            throw error("takes its bias from the second bottom, but \(blobs.count) blob(s) were given")
        }
    }

    private func biasBlob(_ bottom: [Blob]) -> Blob { bottom.count > 1 ? bottom[1] : blobs[0] }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let bias = biasBlob(bottom)
        let axis = bias.numAxes == 0 ? 0 : try axisIndex(parameter.biasParam.axis, of: bottom[0], parameter: "bias_param.axis")
        guard bottom[0].numAxes >= axis + bias.numAxes else {
            throw error("the bias \(bias.shape) extends past the bottom \(bottom[0].shape) when applied at axis \(axis)")
        }
        for i in 0..<bias.numAxes where bottom[0].shape[axis + i] != bias.shape[i] {
            throw error("dimension mismatch between the bottom \(bottom[0].shape) (axis \(axis + i)) and the bias \(bias.shape) (axis \(i))")
        }
        outer = bottom[0].count(from: 0, to: axis)
        biasDim = bias.count
        inner = bottom[0].count(from: axis + bias.numAxes)
        if bottom[0] !== top[0] { try reshapeBlob(top[0], bottom[0].shape) }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let b = biasBlob(bottom).data
        let (biasDim, inner) = (self.biasDim, self.inner)
        KernelThreads.parallelForEach(outer * biasDim) { row in
            let value = b[row % biasDim]
            let offset = row * inner
            for i in 0..<inner { y[offset + i] = x[offset + i] + value }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let dy = top[0].diff
        if propagateDown[0] && bottom[0] !== top[0] {
            Elementwise.copy(bottom[0].count, dy, bottom[0].diff)
        }
        let biasIsParameter = bottom.count == 1
        if (biasIsParameter && parameterPropagateDown[0]) || (!biasIsParameter && propagateDown[1]) {
            let biasDiff = biasBlob(bottom).diff
            for d in 0..<biasDim {
                var sum = 0.0
                for o in 0..<outer {
                    let offset = (o * biasDim + d) * inner
                    for i in 0..<inner { sum += Double(dy[offset + i]) }
                }
                if biasIsParameter { biasDiff[d] += Float(sum) } else { biasDiff[d] = Float(sum) }
            }
        }
    }
}
