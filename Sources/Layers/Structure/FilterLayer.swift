import CaffeProto
import Runtime

/// Caffe's Filter (src/caffe/layers/filter_layer.cpp): the last bottom is a selector (N, 1, ...)
/// whose non-zero items choose which items of the other bottoms reach the tops (one top per
/// other bottom, in order). Quirk kept: the first reshape (at setup) gives the tops the full batch
/// size, whatever the selector holds. Backward copies the gradient back to the chosen items and
/// zeroes the others; the selector gets none (a gradient requested for it, e.g. by
/// force_backward, is an error, where Caffe aborts).
final class FilterLayer: Layer {
    override class var caffeType: String { "Filter" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 2, minTops: 1) }

    private var firstReshape = true
    private var chosen: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        // filter_layer.cpp LayerSetUp: CHECK_EQ(top.size(), bottom.size() - 1).
        guard top.count == bottom.count - 1 else {
            throw error("needs one top per filtered bottom (\(bottom.count - 1)), got \(top.count)")
        }
        firstReshape = true
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let selector = bottom[bottom.count - 1]
        guard selector.numAxes >= 1, selector.shape.dropFirst().allSatisfy({ $0 == 1 }) else {
            throw error("the selector (last bottom) must have shape (N, 1, ...), got \(selector.shape)")
        }
        for blob in bottom.dropLast() where blob.numAxes < 1 || blob.shape[0] != selector.shape[0] {
            throw error("every bottom must have the selector's first dimension \(selector.shape[0]), got shape \(blob.shape)")
        }
        chosen = (0..<selector.shape[0]).filter { selector.data[$0] != 0 }
        var items = chosen.count
        if firstReshape {
            items = bottom[0].shape[0]
            firstReshape = false
        }
        for (t, blob) in top.enumerated() {
            try reshapeBlob(blob, [items] + bottom[t].shape.dropFirst())
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        for t in top.indices {
            let inner = bottom[t].count(from: 1), x = bottom[t].data, y = top[t].data
            for (n, item) in chosen.enumerated() { (y + n * inner).update(from: x + item * inner, count: inner) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        // filter_layer.cpp Backward_cpu: LOG(FATAL) for the selector.
        if propagateDown[bottom.count - 1] { throw error("cannot backpropagate to the selector (last bottom)") }
        for t in top.indices where propagateDown[t] {
            let inner = bottom[t].count(from: 1), dx = bottom[t].diff, dy = top[t].diff
            dx.update(repeating: 0, count: bottom[t].count)
            for (n, item) in chosen.enumerated() { (dx + item * inner).update(from: dy + n * inner, count: inner) }
        }
    }
}
