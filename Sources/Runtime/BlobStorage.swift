/// Zero-initialised float memory shared between blobs (Caffe's SyncedMemory on the CPU).
/// Several blobs may hold the same storage (`Blob.shareData`), which is how in-place layers,
/// Split/Flatten/Reshape and parameter sharing see one another's values.
public final class BlobStorage {
    public let pointer: UnsafeMutablePointer<Float>
    public let capacity: Int
    /// Bumped whenever a blob hands out this memory for writing (`Blob.data`), so that caches
    /// derived from the values (packed or folded weights) notice a change.
    var version: UInt64 = 0

    public init(capacity: Int) {
        self.capacity = capacity
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, capacity))
        pointer.initialize(repeating: 0, count: max(1, capacity))
    }

    deinit {
        pointer.deallocate()
    }
}
