import CaffeProto
import Runtime

/// Caffe's BatchReindex (src/caffe/layers/batch_reindex_layer.cpp): top item i is bottom 0's item
/// `bottom1[i]` (bottom 1 is a 1-D list of item indices, repeats allowed); the gradient of a
/// repeated item adds up; the indices get none (a gradient requested for them, e.g. by
/// force_backward, is an error, where Caffe aborts).
final class BatchReindexLayer: Layer {
    override class var caffeType: String { "BatchReindex" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 2, exactTops: 1) }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // batch_reindex_layer.cpp Reshape: CHECK_EQ(1, bottom[1]->num_axes()).
        guard bottom[1].numAxes == 1 else {
            throw error("the index bottom must be 1-D, got shape \(bottom[1].shape)")
        }
        guard bottom[0].numAxes >= 1 else { throw error("the data bottom needs a first (batch) axis, got shape \(bottom[0].shape)") }
        try reshapeBlob(top[0], [bottom[1].shape[0]] + bottom[0].shape.dropFirst())
    }

    /// The source items, checked as Caffe's check_batch_reindex (0 <= index < batch).
    private func sources(_ bottom: [Blob]) throws -> [Int] {
        let batch = bottom[0].shape[0], indices = bottom[1].data
        return try (0..<bottom[1].count).map { i in
            guard let index = integerLabel(indices[i]), index >= 0, index < batch else {
                throw error("index \(i) is \(indices[i]), expected an item index in 0..<\(batch) (the batch size of bottom 0)")
            }
            return index
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let items = try sources(bottom)
        guard top[0].count > 0 else { return }
        let inner = bottom[0].count(from: 1), x = bottom[0].data, y = top[0].data
        for (n, source) in items.enumerated() { (y + n * inner).update(from: x + source * inner, count: inner) }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        // batch_reindex_layer.cpp Backward_cpu: CHECK(!propagate_down[1]).
        if propagateDown[1] { throw error("cannot backpropagate to the index bottom") }
        guard propagateDown[0] else { return }
        let items = try sources(bottom)
        let inner = bottom[0].count(from: 1), dx = bottom[0].diff, dy = top[0].diff
        dx.update(repeating: 0, count: bottom[0].count)
        for (n, source) in items.enumerated() {
            let target = dx + source * inner, from = dy + n * inner
            for j in 0..<inner { target[j] += from[j] }
        }
    }
}
