import CaffeProto
import Runtime

/// Caffe's Input (src/caffe/layers/input_layer.cpp): tops shaped by `input_param.shape`, one
/// shape per top or a single shape for all; the values are written by the caller.
final class InputLayer: Layer {
    override class var caffeType: String { "Input" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 0, minTops: 1) }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let shapes = parameter.inputParam.shape
        guard shapes.count == 0 || shapes.count == 1 || shapes.count == top.count else {
            throw error("input_param must give 0, 1 or \(top.count) (one per top) shapes, got \(shapes.count)")
        }
        for (i, blob) in top.enumerated() where !shapes.isEmpty {
            let dims = shapes[shapes.count == 1 ? 0 : i].dim.map { Int($0) }
            try reshapeBlob(blob, dims, what: "top '\(i < parameter.top.count ? parameter.top[i] : String(i))'")
        }
    }

    // Input's Reshape does nothing: the caller reshapes the input blobs.
    override func reshape(bottom: [Blob], top: [Blob]) throws {}

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
