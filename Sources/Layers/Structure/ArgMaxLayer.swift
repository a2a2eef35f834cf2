import CaffeProto
import Runtime

/// Caffe's ArgMax (src/caffe/layers/argmax_layer.cpp): the `top_k` largest entries of each item
/// (without `axis`: of all its values; top (N, 1, k), or (N, 2, k) with `out_max_val` holding the
/// indices then the values, at least 3 axes) or along `axis` (top: the bottom shape with that
/// axis k, holding indices, or values with `out_max_val`). Entries are ordered as Caffe's
/// partial_sort on (value, index) pairs with std::greater: equal values put the larger index first.
/// Forward only.
final class ArgMaxLayer: Layer {
    override class var caffeType: String { "ArgMax" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var topK = 1, axis: Int?, outMaxVal = false

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.argmaxParam
        outMaxVal = p.outMaxVal
        topK = Int(p.topK)
        // argmax_layer.cpp LayerSetUp: CHECK_GE(top_k_, 1) and CHECK_LE(top_k_, dimension).
        guard topK >= 1 else { throw error("argmax_param.top_k is \(topK), expected at least 1") }
        if p.hasAxis {
            let index = try axisIndex(p.axis, of: bottom[0], parameter: "argmax_param.axis")
            axis = index
            guard topK <= bottom[0].shape[index] else {
                throw error("argmax_param.top_k \(topK) is larger than axis \(index) of the bottom (shape \(bottom[0].shape))")
            }
        } else {
            axis = nil
            guard bottom[0].numAxes >= 1, topK <= bottom[0].count(from: 1) else {
                throw error("argmax_param.top_k \(topK) is larger than the values per item (\(bottom[0].numAxes >= 1 ? bottom[0].count(from: 1) : 0)) of the bottom (shape \(bottom[0].shape))")
            }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        if let axis {
            var shape = bottom[0].shape
            shape[axis] = topK
            try reshapeBlob(top[0], shape)
        } else {
            var shape = Array(repeating: 1, count: max(bottom[0].numAxes, 3))
            shape[0] = bottom[0].shape[0]
            shape[2] = topK
            if outMaxVal { shape[1] = 2 }
            try reshapeBlob(top[0], shape)
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let dim = axis.map { bottom[0].shape[$0] } ?? bottom[0].count(from: 1)
        guard dim > 0 else { return }
        let stride = axis.map { bottom[0].count(from: $0) / dim } ?? 1
        let num = bottom[0].count / dim
        let k = topK
        var pairs = [(value: Float, index: Int)](repeating: (0, 0), count: dim)
        for i in 0..<num {
            let outer = i / stride, inner = i % stride
            for j in 0..<dim { pairs[j] = (x[(outer * dim + j) * stride + inner], j) }
            // std::greater on pairs: larger value first, then larger index (NaN compares false, as
            // in Caffe, so its place is unspecified there).
            pairs.sort { $0.value != $1.value ? $0.value > $1.value : $0.index > $1.index }
            for j in 0..<k {
                if axis != nil {
                    y[(outer * k + j) * stride + inner] = outMaxVal ? pairs[j].value : Float(pairs[j].index)
                } else if outMaxVal {
                    y[2 * i * k + j] = Float(pairs[j].index)
                    y[2 * i * k + k + j] = pairs[j].value
                } else {
                    y[i * k + j] = Float(pairs[j].index)
                }
            }
        }
    }
}
