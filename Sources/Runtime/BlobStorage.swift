#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Zero-initialised float memory shared between blobs (Caffe's SyncedMemory on the CPU).
/// Several blobs may hold the same storage (`Blob.shareData`), which is how in-place layers,
/// Split/Flatten/Reshape and parameter sharing see one another's values.
///
/// The memory comes from `calloc`: large blocks are mapped zero pages that only become resident
/// when written, so blobs shaped but never computed (folded layers' tops) cost no memory.
public final class BlobStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int
    /// Bumped whenever a blob hands out this memory for writing (`Blob.data`), so that caches
    /// derived from the values (packed or folded weights) notice a change.
    var version: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = capacity
        let count = max(1, capacity)
        if let memory = calloc(count, MemoryLayout<Float>.stride) {
            pointer = memory.bindMemory(to: Float.self, capacity: count)
        } else {
            // Out of memory: let Swift's allocator report it as it would.
            pointer = UnsafeMutablePointer<Float>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
        }
    }

    deinit {
        free(pointer)
    }
}
