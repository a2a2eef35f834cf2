import CaffeProto
import Runtime

/// Caffe's Parameter (include/caffe/layers/parameter_layer.hpp): no bottom; one learnable blob
/// of `parameter_param.shape` (not filled: zeros, unless weights are loaded), given as the top.
/// Caffe makes the top share the blob's data and diff; here forward copies the values and
/// backward adds the top's gradient to the blob's (the same numbers, since parameter gradients
/// start from zero each iteration, and safe with the net's memory reuse).
final class ParameterLayer: Layer {
    override class var caffeType: String { "Parameter" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 0, exactTops: 1) }

    private var shape: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        shape = parameter.parameterParam.shape.dim.map { Int($0) }
        if blobs.isEmpty {
            blobs = [try makeBlob(shape, what: "parameter")]
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // parameter_layer.hpp Forward_cpu: ShareData checks that the counts agree.
        guard blobs[0].count == shape.reduce(1, *) else {
            throw error("the parameter blob has shape \(blobs[0].shape), which does not fit parameter_param.shape \(shape)")
        }
        try reshapeBlob(top[0], shape)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        top[0].data.update(from: blobs[0].data, count: blobs[0].count)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard parameterPropagateDown.first == true else { return }
        let dy = top[0].diff, dw = blobs[0].diff
        for i in 0..<blobs[0].count { dw[i] += dy[i] }
    }
}
