import Foundation

/// One line of the training log, in Caffe's words. `source` is the Caffe file:line that logs the
/// same message (`solver.cpp:243`), so a glog-style rendering is what Caffe's `parse_log.py`
/// and `plot_training_log.py` expect.
public struct SolverLogLine: Sendable, Equatable {
    public enum Level: Character, Sendable { case info = "I", warning = "W", error = "E" }
    public var level: Level
    public var source: String
    public var message: String

    public init(_ source: String, _ message: String) {
        self.init(.info, source, message)
    }

    public init(_ level: Level, _ source: String, _ message: String) {
        self.level = level
        self.source = source
        self.message = message
    }

    /// The line as glog writes it with the classic prefix (no year: parse_log.py reads the month
    /// from the first characters; golden solvers quirk 1): `I1125 07:54:05.869072 4242 solver.cpp:243] ...`.
    public func glogFormatted(date: Date = Date(), threadID: Int = Int(getpid())) -> String {
        var t = time_t(date.timeIntervalSince1970)
        var parts = tm()
        localtime_r(&t, &parts)
        let micros = Int((date.timeIntervalSince1970 - Double(t)) * 1_000_000)
        let stamp = String(format: "%02d%02d %02d:%02d:%02d.%06d", parts.tm_mon + 1, parts.tm_mday,
                           parts.tm_hour, parts.tm_min, parts.tm_sec, micros)
        return "\(level.rawValue)\(stamp) \(threadID) \(source)] \(message)"
    }
}

/// What a signal handler asks of a running solver (Caffe's `SolverAction`).
public enum SolverAction: Sendable {
    case none, snapshot, stop
}
