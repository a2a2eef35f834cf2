import CaffeProto
import Kernels
import Runtime

/// Caffe's Reduction (src/caffe/layers/reduction_layer.cpp): reduces every axis from `axis`
/// (default 0: the whole blob to a scalar) with SUM, ASUM (Σ|x|), SUMSQ (Σx²) or MEAN, times
/// `coeff`; the top keeps the axes before `axis`. MEAN is SUM with coeff/dim. ASUM's gradient
/// at 0 is 0 (caffe_cpu_sign). The sums go through `BLAS.dot`/`BLAS.asum` where Caffe calls
/// caffe_cpu_dot (with a ones vector, or x with itself) and caffe_cpu_asum (double-accumulated,
/// as every such sum in this project).
final class ReductionLayer: Layer {
    override class var caffeType: String { "Reduction" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var operation = Caffe_ReductionParameter.ReductionOp.sum
    private var num = 0, dim = 0, coeff: Float = 1
    private let ones = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        operation = parameter.reductionParam.operation
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.reductionParam
        let axis = try axisIndex(p.axis, of: bottom[0], parameter: "reduction_param.axis")
        try reshapeBlob(top[0], Array(bottom[0].shape[0..<axis]))
        num = bottom[0].count(from: 0, to: axis)
        dim = bottom[0].count(from: axis)
        coeff = p.coeff
        ones.resize(max(dim, 1))
        ones.pointer.update(repeating: 1, count: max(dim, 1))
        // reduction_layer.cpp Reshape: `coeff_ /= dim_` for MEAN (in float).
        if operation == .mean { coeff /= Float(dim) }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        for i in 0..<num {
            let row = x + i * dim
            switch operation {
            case .sum, .mean: y[i] = BLAS.dot(dim, ones.pointer, row)
            case .asum: y[i] = BLAS.asum(dim, row)
            case .sumsq: y[i] = BLAS.dot(dim, row, row)
            }
            if coeff != 1 { y[i] *= coeff }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dx = bottom[0].diff, dy = top[0].diff
        for i in 0..<num {
            let bottomCoeff = dy[i] * coeff
            let row = x + i * dim, target = dx + i * dim
            switch operation {
            case .sum, .mean: target.update(repeating: bottomCoeff, count: dim)
            case .asum:
                for j in 0..<dim { target[j] = (row[j] > 0 ? 1 : (row[j] < 0 ? -1 : 0)) * bottomCoeff }
            case .sumsq:
                for j in 0..<dim { target[j] = 2 * bottomCoeff * row[j] }
            }
        }
    }
}
