import CaffeProto
import Runtime

/// Caffe's Reshape (src/caffe/layers/reshape_layer.cpp): 0 copies the bottom's dim, -1 is
/// inferred; `axis`/`num_axes` choose the replaced range. Quirk kept: a negative `axis` counts
/// so that -1 means after the last axis (start = num_axes + axis + 1). The top shares the
/// bottom's memory.
final class ReshapeLayer: Layer {
    override class var caffeType: String { "Reshape" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var copyAxes: [Int] = []
    private var inferredAxis = -1
    private var constantCount = 1

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0] !== top[0] else { throw error("Reshape cannot work in place") }
        copyAxes = []
        inferredAxis = -1
        constantCount = 1
        for (i, dim) in parameter.reshapeParam.shape.dim.enumerated() {
            if dim == 0 {
                copyAxes.append(i)
            } else if dim == -1 {
                guard inferredAxis == -1 else { throw error("the new shape contains more than one -1; at most one dimension can be inferred") }
                inferredAxis = i
            } else if dim < -1 {
                throw error("shape dimension \(dim) is invalid (use 0 to copy, -1 to infer)")
            } else {
                constantCount *= Int(dim)
            }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.reshapeParam
        let input = bottom[0]
        let inputAxis = Int(p.axis)
        let start = inputAxis >= 0 ? inputAxis : input.numAxes + inputAxis + 1
        guard start >= 0, start <= input.numAxes else {
            throw error("axis \(inputAxis) is out of range for a \(input.numAxes)-D bottom \(input.shape)")
        }
        let numAxes = Int(p.numAxes)
        guard numAxes >= -1 else { throw error("num_axes must be >= 0, or -1 for all") }
        let end = numAxes == -1 ? input.numAxes : start + numAxes
        guard end <= input.numAxes else {
            throw error("axis + num_axes (\(end)) is out of range for a \(input.numAxes)-D bottom \(input.shape)")
        }
        let newDims = p.shape.dim.map { Int($0) }
        var shape = Array(input.shape[0..<start]) + newDims + Array(input.shape[end...])
        for copyAxis in copyAxes {
            guard start + copyAxis < input.numAxes else {
                throw error("the new shape has a 0 at position \(copyAxis), but the bottom \(input.shape) has no axis \(start + copyAxis) to copy")
            }
            shape[start + copyAxis] = input.shape[start + copyAxis]
        }
        if inferredAxis >= 0 {
            var explicit = constantCount * input.count(from: 0, to: start) * input.count(from: end)
            for copyAxis in copyAxes { explicit *= shape[start + copyAxis] }
            guard explicit != 0, input.count % explicit == 0 else {
                throw error("the bottom's \(input.count) elements (shape \(input.shape)) are not divisible by the product of the given dimensions (\(explicit))")
            }
            shape[start + inferredAxis] = input.count / explicit
        }
        try reshapeBlob(top[0], shape)
        guard top[0].count == input.count else {
            throw error("the new shape \(shape) has \(top[0].count) elements, the bottom \(input.shape) has \(input.count)")
        }
        try top[0].shareData(with: input)
        try top[0].shareDiff(with: input)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
