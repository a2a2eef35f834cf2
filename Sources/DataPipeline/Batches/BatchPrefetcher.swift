import Foundation

/// Prepares batches on a background thread, as Caffe's `BasePrefetchingDataLayer` does with
/// `PREFETCH_COUNT` batches in flight. An error in the thread is kept and thrown by the `next()`
/// that would have returned that batch (Caffe's prefetch thread aborts the whole process
/// instead, at a timing-dependent moment; golden quirk 12). Batches come out in order.
public final class BatchPrefetcher: Sendable {
    private let state: PrefetchState

    /// Starts the background thread; `capacity` batches are prepared ahead (Caffe: 3).
    public init(source: any BatchSource, capacity: Int = 3) {
        let state = PrefetchState(source: source, capacity: max(1, capacity))
        self.state = state
        let thread = Thread { state.run() }
        thread.name = "dsod-prefetch"
        thread.start()
    }

    /// Stops the thread (after the batch it is working on).
    deinit { state.stop() }

    /// The next batch in order; waits until the thread has it.
    public func next() throws -> DataBatch { try state.next() }

    /// Stops the thread after the batch it is working on.
    public func stop() { state.stop() }
}

/// The queue shared by the prefetcher and its thread.
private final class PrefetchState: @unchecked Sendable {
    // Every mutable property is read and written with `condition` locked.
    let source: any BatchSource
    let capacity: Int
    let condition = NSCondition()
    var queue: [Result<DataBatch, Error>] = []
    var stopped = false
    var failed = false

    init(source: any BatchSource, capacity: Int) {
        self.source = source
        self.capacity = capacity
    }

    func next() throws -> DataBatch {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty && !stopped && !failed { condition.wait() }
        guard !queue.isEmpty else {
            throw DataPipelineError("prefetch", stopped ? "the prefetcher was stopped" : "no more batches after an earlier error")
        }
        let result = queue.removeFirst()
        condition.broadcast()
        return try result.get()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func run() {
        while true {
            condition.lock()
            while queue.count >= capacity && !stopped { condition.wait() }
            let done = stopped || failed
            condition.unlock()
            if done { return }
            let result = Result { try source.nextBatch() }
            condition.lock()
            if case .failure = result { failed = true }
            queue.append(result)
            condition.broadcast()
            condition.unlock()
        }
    }
}
