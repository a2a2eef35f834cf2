import Foundation

/// A one-line progress bar on standard error, drawn only when it is a terminal. With
/// `plainSteps` set and no terminal, a plain line is printed at every tenth of the way instead.
final class ProgressBar {
    private let total: Int
    private let label: String
    private let start = Date()
    private let enabled: Bool
    private let plainSteps: Bool
    private var lastPlainTenth = 0
    private var lastDraw = Date.distantPast
    private(set) var isShowing = false

    init(total: Int, label: String, enabled: Bool = isatty(STDERR_FILENO) != 0, plainSteps: Bool = false) {
        self.total = max(total, 1)
        self.label = label
        self.enabled = enabled
        self.plainSteps = plainSteps && !enabled
    }

    /// Redraws at most ten times a second. `rate` is items per second to show, `detail` any text.
    func update(done: Int, detail: String = "") {
        let now = Date()
        if plainSteps {
            let tenth = done * 10 / total
            if tenth > lastPlainTenth {
                lastPlainTenth = tenth
                let eta = Double(total - done) * now.timeIntervalSince(start) / Double(max(done, 1))
                FileHandle.standardError.write(Data("\(label) \(done)/\(total) \(detail) ETA \(Self.duration(eta))\n".utf8))
            }
            return
        }
        guard enabled else { return }
        guard now.timeIntervalSince(lastDraw) > 0.1 || done >= total else { return }
        lastDraw = now
        let fraction = min(Double(done) / Double(total), 1)
        let width = 30
        let filled = Int(fraction * Double(width))
        let elapsed = now.timeIntervalSince(start)
        let eta = done > 0 ? elapsed / Double(done) * Double(total - done) : 0
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = "\r\(label) \(bar) \(done)/\(total) \(detail) ETA \(Self.duration(eta))\u{1B}[K"
        FileHandle.standardError.write(Data(line.utf8))
        isShowing = true
    }

    /// Clears the bar so a log line can be printed; the next update redraws it.
    func clear() {
        guard enabled, isShowing else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        isShowing = false
        lastDraw = .distantPast
    }

    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "--:--" }
        let s = Int(seconds.rounded())
        return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%02d:%02d", s / 60, s % 60)
    }
}
