import Kernels

/// Size checks made before the data pipeline allocates pixels or batches, so a record, image
/// header or parameter that declares an absurd size is refused with an error naming it instead
/// of exhausting memory (see `MemoryBudget`).
enum AllocationChecks {
    /// Caffe's largest blob (blob.cpp: `CHECK_LE(count_, INT_MAX)`).
    static let maximumBlobCount = Int(Int32.max)

    /// A zero-filled float buffer for `batch` items of `itemShape`.
    static func batchBuffer(batch: Int, itemShape: [Int], location: String) throws -> [Float] {
        let count = MemoryBudget.product([batch] + itemShape)
        guard let count, count <= maximumBlobCount else {
            throw DataPipelineError(location, "a batch of \(batch) items of shape \(itemShape) has more than \(maximumBlobCount) values, more than a blob can hold")
        }
        do {
            try MemoryBudget.check(count: count, elementSize: MemoryLayout<Float>.stride, what: "a batch of \(batch) items of shape \(itemShape)")
        } catch {
            throw DataPipelineError(location, error.description)
        }
        return [Float](repeating: 0, count: count)
    }

    /// Checks an image of `channels` × `height` × `width` bytes (`what`: "the JPEG", "the
    /// expanded canvas") before it is allocated.
    static func checkImage(channels: Int, height: Int, width: Int, what: String, location: String) throws {
        guard let count = MemoryBudget.product([channels, height, width]) else {
            throw DataPipelineError(location, "\(what) of \(width)x\(height)x\(channels) is too large to count")
        }
        do {
            try MemoryBudget.check(count: count, elementSize: 1, what: "\(what) of \(width)x\(height) pixels x \(channels) channels")
        } catch {
            throw DataPipelineError(location, error.description)
        }
    }
}
