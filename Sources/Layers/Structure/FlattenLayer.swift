import CaffeProto
import Runtime

/// Caffe's Flatten (src/caffe/layers/flatten_layer.cpp): axes `axis`...`end_axis` become one;
/// the top shares the bottom's memory.
final class FlattenLayer: Layer {
    override class var caffeType: String { "Flatten" }
    override var blobCounts: BlobCounts { .oneToOne }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0] !== top[0] else { throw error("Flatten cannot work in place") }
        let p = parameter.flattenParam
        let input = bottom[0]
        let start = try axisIndex(p.axis, of: input, parameter: "flatten_param.axis")
        let end = try axisIndex(p.endAxis, of: input, parameter: "flatten_param.end_axis")
        guard start <= end else { throw error("axis \(start) comes after end_axis \(end)") }
        let shape = Array(input.shape[0..<start]) + [input.count(from: start, to: end + 1)] + Array(input.shape[(end + 1)...])
        try reshapeBlob(top[0], shape)
        try top[0].shareData(with: input)
        try top[0].shareDiff(with: input)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
