import Foundation

/// Large temporary float buffers shared by every layer that needs one only during a call
/// (convolution column buffers): a layer borrows a buffer for the duration of a closure, so a net
/// of hundreds of convolutions keeps a few buffers instead of one per layer. Thread-safe.
public final class WorkspacePool: @unchecked Sendable {
    public static let shared = WorkspacePool()

    private let lock = NSLock()
    private var free: [ScratchBuffer<Float>] = []

    public init() {}

    /// Runs `body` with a buffer of at least `count` floats (contents unspecified).
    public func withBuffer<Result>(_ count: Int, _ body: (UnsafeMutablePointer<Float>) throws -> Result) rethrows -> Result {
        let buffer = take()
        defer { give(buffer) }
        buffer.resize(count)
        return try body(buffer.pointer)
    }

    private func take() -> ScratchBuffer<Float> {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast() ?? ScratchBuffer<Float>()
    }

    private func give(_ buffer: ScratchBuffer<Float>) {
        lock.lock()
        defer { lock.unlock() }
        free.append(buffer)
    }

    /// Releases the pooled memory (e.g. after a large net is done).
    public func purge() {
        lock.lock()
        defer { lock.unlock() }
        free.removeAll()
    }
}
