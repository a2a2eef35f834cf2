import COpenBLAS
import Dispatch
import Foundation

/// How the kernels use the machine's cores.
///
/// OpenBLAS is kept single-threaded: the kernels split large products into column blocks and run
/// them on `KernelThreads.count` workers themselves, so OpenBLAS threads never compete with ours
/// and a result does not depend on OpenBLAS's own thread scheduling.
public enum KernelThreads {
    /// Number of workers used by `parallelFor` (the active processor count; `DSOD_THREADS`
    /// overrides it, 1 disables parallelism).
    public static let count: Int = {
        if let text = ProcessInfo.processInfo.environment["DSOD_THREADS"], let n = Int(text), n >= 1 {
            return n
        }
        return max(1, ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// Sets OpenBLAS to one thread once per process (idempotent, cheap after the first call).
    public static func configureBLAS() {
        _ = blasConfigured
    }

    private static let blasConfigured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// Runs `body` over `0..<total` split into contiguous chunks, one per worker. Work smaller than
    /// `minimumPerChunk` items per worker runs inline on the calling thread. `body` must only touch
    /// memory that its own range owns.
    @inline(__always)
    public static func parallelFor(_ total: Int, minimumPerChunk: Int = 4096, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let workers = min(count, max(1, total / max(1, minimumPerChunk)))
        if workers <= 1 {
            body(0..<total)
            return
        }
        let chunk = (total + workers - 1) / workers
        // concurrentPerform is synchronous, so the non-escaping body outlives every worker; the
        // box only carries it past the @Sendable requirement. Callers partition memory by range.
        withoutActuallyEscaping(body) { escapable in
            let box = UncheckedSendableBox(escapable)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                let start = worker * chunk
                let end = min(total, start + chunk)
                if start < end { box.value(start..<end) }
            }
        }
    }

    /// Runs `body(i)` for every `i` in `0..<total`, spreading the indices over the workers in
    /// contiguous blocks. For coarse work items (planes, channels, images).
    @inline(__always)
    public static func parallelForEach(_ total: Int, _ body: (Int) -> Void) {
        guard total > 0 else { return }
        if count <= 1 || total == 1 {
            for i in 0..<total { body(i) }
            return
        }
        parallelFor(total, minimumPerChunk: 1) { range in
            for i in range { body(i) }
        }
    }
}

/// Carries a value across a `@Sendable` boundary when the caller guarantees exclusive access
/// (each worker of `parallelFor` touches only its own range).
public struct UncheckedSendableBox<Value>: @unchecked Sendable {
    public let value: Value
    public init(_ value: Value) { self.value = value }
}
