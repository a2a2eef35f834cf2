import CaffeProto
import Kernels
import Runtime

/// Caffe's Slice along `axis` (or legacy `slice_dim`) at `slice_point`s, or into equal parts
/// (src/caffe/layers/slice_layer.cpp). With one top the top shares the bottom's memory.
final class SliceLayer: Layer {
    override class var caffeType: String { "Slice" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 1, minTops: 1) }

    private var axis = 1
    private var numSlices = 0, sliceSize = 0
    private var sizes: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.sliceParam
        guard !(p.hasAxis && p.hasSliceDim) else { throw error("give either axis or slice_dim, not both") }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.sliceParam
        if p.hasSliceDim {
            axis = Int(p.sliceDim)
            guard axis < bottom[0].numAxes else { throw error("slice_dim \(axis) is out of range for a \(bottom[0].numAxes)-D bottom") }
        } else {
            axis = try axisIndex(p.axis, of: bottom[0], parameter: "slice_param.axis")
        }
        let total = bottom[0].shape[axis]
        numSlices = bottom[0].count(from: 0, to: axis)
        sliceSize = bottom[0].count(from: axis + 1)
        let points = p.slicePoint.map { Int($0) }
        if !points.isEmpty {
            guard points.count == top.count - 1 else {
                throw error("\(points.count) slice_point values for \(top.count) tops (need \(top.count - 1))")
            }
            guard top.count <= total else { throw error("cannot slice \(total) entries of axis \(axis) into \(top.count) tops") }
            var previous = 0
            sizes = []
            for point in points {
                guard point > previous else { throw error("slice_point values must increase and be positive, got \(points)") }
                sizes.append(point - previous)
                previous = point
            }
            guard total > previous else { throw error("slice_point \(previous) is not inside axis \(axis) of size \(total)") }
            sizes.append(total - previous)
        } else {
            guard total % top.count == 0 else {
                throw error("axis \(axis) of size \(total) cannot be sliced equally into \(top.count) tops; give slice_point")
            }
            sizes = Array(repeating: total / top.count, count: top.count)
        }
        for (i, blob) in top.enumerated() {
            var shape = bottom[0].shape
            shape[axis] = sizes[i]
            try reshapeBlob(blob, shape)
        }
        if top.count == 1 {
            try top[0].shareData(with: bottom[0])
            try top[0].shareDiff(with: bottom[0])
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard top.count > 1 else { return }
        let x = bottom[0].data
        let bottomRow = bottom[0].shape[axis] * sliceSize
        var offset = 0
        for (i, blob) in top.enumerated() {
            let y = blob.data
            let rowLength = sizes[i] * sliceSize
            for n in 0..<numSlices {
                (y + n * rowLength).update(from: x + n * bottomRow + offset * sliceSize, count: rowLength)
            }
            offset += sizes[i]
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0], top.count > 1 else { return }
        let dx = bottom[0].diff
        let bottomRow = bottom[0].shape[axis] * sliceSize
        var offset = 0
        for (i, blob) in top.enumerated() {
            let dy = blob.diff
            let rowLength = sizes[i] * sliceSize
            for n in 0..<numSlices {
                (dx + n * bottomRow + offset * sliceSize).update(from: dy + n * rowLength, count: rowLength)
            }
            offset += sizes[i]
        }
    }
}
