import Dispatch
import Foundation
import Solver

/// Turns SIGINT and SIGHUP into solver actions, as `caffe train` does by default
/// (`--sigint_effect=stop`: snapshot then stop; `--sighup_effect=snapshot`: snapshot and go on).
final class SignalMonitor: @unchecked Sendable {
    private let lock = NSLock()
    private var pending: [SolverAction] = []
    private var sources: [DispatchSourceSignal] = []

    init(sigint: SolverAction = .stop, sighup: SolverAction = .snapshot) {
        for (number, action) in [(SIGINT, sigint), (SIGHUP, sighup)] where action != .none {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in
                guard let self else { return }
                self.lock.lock()
                self.pending.append(action)
                self.lock.unlock()
            }
            source.resume()
            sources.append(source)
        }
    }

    /// The oldest action a signal asked for, once.
    func next() -> SolverAction {
        lock.lock()
        defer { lock.unlock() }
        return pending.isEmpty ? .none : pending.removeFirst()
    }

    deinit {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGHUP, SIG_DFL)
    }
}
