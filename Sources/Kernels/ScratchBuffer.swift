/// A growable block of raw memory owned by a layer for intermediate values (argmax indices,
/// column buffers, dropout masks). Memory is reused across calls and only grows.
public final class ScratchBuffer<Element> {
    public private(set) var pointer: UnsafeMutablePointer<Element>
    public private(set) var capacity: Int
    /// Elements requested by the last `resize`.
    public private(set) var count: Int = 0

    public init() {
        capacity = 0
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: 1)
    }

    deinit {
        pointer.deallocate()
    }

    /// Makes room for `count` elements; the contents are unspecified after growth.
    public func resize(_ count: Int) {
        self.count = count
        if count > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(1, count))
            capacity = count
        }
    }
}
