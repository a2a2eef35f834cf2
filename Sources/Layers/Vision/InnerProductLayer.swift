import CaffeProto
import Kernels
import Runtime

/// Caffe's InnerProduct (src/caffe/layers/inner_product_layer.cpp): the bottom is flattened from
/// `axis` (K = count(axis)); weights (N, K), or (K, N) with `transpose`; optional bias (N).
final class InnerProductLayer: Layer {
    override class var caffeType: String { "InnerProduct" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var n = 0, k = 0, m = 0
    private var biasTerm = true
    private var transpose = false

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.innerProductParam
        n = Int(p.numOutput)
        guard n > 0 else { throw error("num_output must be positive, got \(n)") }
        biasTerm = p.biasTerm
        transpose = p.transpose
        let axis = try axisIndex(p.axis, of: bottom[0], parameter: "inner_product_param.axis")
        k = bottom[0].count(from: axis)
        let weightShape = transpose ? [k, n] : [n, k]
        if !blobs.isEmpty {
            guard blobs.count == (biasTerm ? 2 : 1) else {
                throw error("has \(blobs.count) blobs, expected \(biasTerm ? 2 : 1)")
            }
            try expectBlobShape(0, weightShape, what: "weight")
            if biasTerm { try expectBlobShape(1, [n], what: "bias") }
        } else {
            let weight = try makeBlob(weightShape, what: "weight")
            try fill(weight, with: p.weightFiller, what: "weight_filler")
            blobs = [weight]
            if biasTerm {
                let bias = try makeBlob([n], what: "bias")
                try fill(bias, with: p.biasFiller, what: "bias_filler")
                blobs.append(bias)
            }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let axis = try axisIndex(parameter.innerProductParam.axis, of: bottom[0], parameter: "inner_product_param.axis")
        let newK = bottom[0].count(from: axis)
        guard newK == k else {
            throw error("the bottom \(bottom[0].shape) gives \(newK) inputs per row from axis \(axis), the weights expect \(k)")
        }
        m = bottom[0].count(from: 0, to: axis)
        try reshapeBlob(top[0], Array(bottom[0].shape[0..<axis]) + [n])
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let output = top[0].data
        BLAS.gemm(.none, transpose ? .none : .transpose, m: m, n: n, k: k, alpha: 1, a: bottom[0].data, b: blobs[0].data, beta: 0, c: output)
        if biasTerm {
            let bias = blobs[1].data
            for row in 0..<m {
                let out = output + row * n
                for j in 0..<n { out[j] += bias[j] }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let topDiff = top[0].diff
        if parameterPropagateDown[0] {
            if transpose {
                BLAS.gemm(.transpose, .none, m: k, n: n, k: m, alpha: 1, a: bottom[0].data, b: topDiff, beta: 1, c: blobs[0].diff)
            } else {
                BLAS.gemm(.transpose, .none, m: n, n: k, k: m, alpha: 1, a: topDiff, b: bottom[0].data, beta: 1, c: blobs[0].diff)
            }
        }
        if biasTerm && parameterPropagateDown[1] {
            let biasDiff = blobs[1].diff
            for j in 0..<n {
                var sum = 0.0
                for row in 0..<m { sum += Double(topDiff[row * n + j]) }
                biasDiff[j] += Float(sum)
            }
        }
        if propagateDown[0] {
            BLAS.gemm(.none, transpose ? .transpose : .none, m: m, n: k, k: n, alpha: 1, a: topDiff, b: blobs[0].data, beta: 0, c: bottom[0].diff)
        }
    }
}
