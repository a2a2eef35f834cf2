import Foundation
import Kernels

/// Zero-initialised float memory shared between blobs (Caffe's SyncedMemory on the CPU).
/// Several blobs may hold the same storage (`Blob.shareData`), which is how in-place layers,
/// Split/Flatten/Reshape and parameter sharing see one another's values.
///
/// The memory comes from `calloc`, so large blocks are mapped lazily and pages nobody writes
/// cost nothing; its size is counted in `MemoryBudget` while the storage lives.
public final class BlobStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int
    private let fromCalloc: Bool
    /// Bumped whenever a blob hands out this memory for writing (`Blob.data`), so that caches
    /// derived from the values (packed or folded weights) notice a change.
    var version: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = capacity
        let elements = max(1, capacity)
        if let memory = calloc(elements, MemoryLayout<Float>.stride) {
            pointer = memory.bindMemory(to: Float.self, capacity: elements)
            fromCalloc = true
        } else {
            // calloc failed (no address space left): Swift's allocator reports it as Caffe's would.
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: elements)
            pointer.initialize(repeating: 0, count: elements)
            fromCalloc = false
        }
        MemoryBudget.account(elements * MemoryLayout<Float>.stride)
    }

    deinit {
        if fromCalloc { free(pointer) } else { pointer.deallocate() }
        MemoryBudget.account(-max(1, capacity) * MemoryLayout<Float>.stride)
    }
}
