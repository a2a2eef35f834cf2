import CaffeProto
import Runtime

/// Caffe's Crop (src/caffe/layers/crop_layer.cpp): crops bottom 0 to the shape of bottom 1 on
/// every axis from `axis` on (default 2), starting at `offset` (none: 0 everywhere; one value:
/// the same on every cropped axis; else one per cropped axis). Bottom 1 only gives the shape
/// and gets no gradient; the bottom gradient is zero outside the crop.
final class CropLayer: Layer {
    override class var caffeType: String { "Crop" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 2, exactTops: 1) }

    /// Caffe lets force_backward reach the reference bottom but never writes its gradient (so it
    /// stays zero); not forcing it gives the same numbers.
    override func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex == 0 }

    private var offsets: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.cropParam
        let start = try axisIndex(p.axis, of: bottom[0], parameter: "crop_param.axis")
        // crop_layer.cpp LayerSetUp: several offsets must cover exactly the axes from `axis`.
        if p.offset.count > 1, start + p.offset.count != bottom[0].numAxes {
            throw error("\(p.offset.count) offset values for axes \(start)...\(bottom[0].numAxes - 1) of a \(bottom[0].numAxes)-D bottom: give one offset, or one per cropped axis (\(bottom[0].numAxes - start))")
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.cropParam
        let axes = bottom[0].numAxes
        let start = try axisIndex(p.axis, of: bottom[0], parameter: "crop_param.axis")
        guard bottom[1].numAxes >= axes else {
            throw error("the reference bottom (shape \(bottom[1].shape)) has fewer axes than the data bottom (shape \(bottom[0].shape))")
        }
        offsets = Array(repeating: 0, count: axes)
        var shape = bottom[0].shape
        for i in start..<axes {
            let offset: Int
            switch p.offset.count {
            case 0: offset = 0
            case 1: offset = Int(p.offset[0])
            default: offset = Int(p.offset[i - start])
            }
            // crop_layer.cpp Reshape: CHECK_GE(bottom[0]->shape(i) - crop_offset, bottom[1]->shape(i)).
            guard bottom[0].shape[i] - offset >= bottom[1].shape[i] else {
                throw error("the crop for axis \(i) is out of bounds: size \(bottom[1].shape[i]) at offset \(offset) does not fit in \(bottom[0].shape[i])")
            }
            shape[i] = bottom[1].shape[i]
            offsets[i] = offset
        }
        try reshapeBlob(top[0], shape)
    }

    /// Calls `body(bottomOffset, topOffset, length)` for every contiguous row of the crop.
    private func forEachRow(bottom: Blob, top: Blob, _ body: (Int, Int, Int) -> Void) {
        let axes = top.numAxes
        guard top.count > 0 else { return }
        guard axes > 0 else { body(0, 0, 1); return }
        let rowLength = top.shape[axes - 1]
        let rows = top.count / rowLength
        var bottomStrides = Array(repeating: 1, count: axes)
        for i in stride(from: axes - 2, through: 0, by: -1) { bottomStrides[i] = bottomStrides[i + 1] * bottom.shape[i + 1] }
        for row in 0..<rows {
            var rest = row, bottomOffset = offsets[axes - 1]
            for i in stride(from: axes - 2, through: 0, by: -1) {
                let index = rest % top.shape[i]
                rest /= top.shape[i]
                bottomOffset += (index + offsets[i]) * bottomStrides[i]
            }
            body(bottomOffset, row * rowLength, rowLength)
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        forEachRow(bottom: bottom[0], top: top[0]) { from, to, length in (y + to).update(from: x + from, count: length) }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        // crop_layer.cpp Backward_cpu writes no gradient into the reference bottom, even when asked.
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff, dy = top[0].diff
        dx.update(repeating: 0, count: bottom[0].count)
        forEachRow(bottom: bottom[0], top: top[0]) { to, from, length in (dx + to).update(from: dy + from, count: length) }
    }
}
