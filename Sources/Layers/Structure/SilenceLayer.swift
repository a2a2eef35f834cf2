import CaffeProto
import Runtime

/// Caffe's Silence (src/caffe/layers/silence_layer.cpp): consumes bottoms, produces nothing;
/// its backward writes zeros into the bottom diffs.
final class SilenceLayer: Layer {
    override class var caffeType: String { "Silence" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, exactTops: 0) }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for (i, blob) in bottom.enumerated() where propagateDown[i] { blob.fillDiff(0) }
    }
}
