import CaffeProto
import Runtime

/// Caffe's Tile (src/caffe/layers/tile_layer.cpp): repeats the block from `axis` on `tiles` times
/// (axis 1 of (N, C, H, W) with 2 tiles gives (N, 2C, H, W), every item's C·H·W values twice).
/// The bottom gradient sums the tiles' gradients.
final class TileLayer: Layer {
    override class var caffeType: String { "Tile" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var tiles = 1, outer = 0, inner = 0

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.tileParam
        let axis = try axisIndex(p.axis, of: bottom[0], parameter: "tile_param.axis")
        // tile_layer.cpp Reshape: CHECK(has_tiles()) and CHECK_GT(tiles_, 0).
        guard p.hasTiles else { throw error("tile_param.tiles must be given") }
        guard p.tiles > 0 else { throw error("tile_param.tiles is \(p.tiles), expected a positive number") }
        tiles = Int(p.tiles)
        var shape = bottom[0].shape
        shape[axis] *= tiles
        try reshapeBlob(top[0], shape)
        outer = bottom[0].count(from: 0, to: axis)
        inner = bottom[0].count(from: axis)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        for i in 0..<outer {
            for t in 0..<tiles { (y + (i * tiles + t) * inner).update(from: x + i * inner, count: inner) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff, dy = top[0].diff
        for i in 0..<outer {
            let target = dx + i * inner
            target.update(from: dy + i * tiles * inner, count: inner)
            for t in 1..<max(tiles, 1) {
                let source = dy + (i * tiles + t) * inner
                for j in 0..<inner { target[j] += source[j] }
            }
        }
    }
}
