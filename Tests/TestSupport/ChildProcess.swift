import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let sendSignal = Glibc.kill
#else
private let sendSignal = Darwin.kill
#endif

/// A program run as a child process with its output in files, so tests can kill it at any
/// moment (SIGKILL mid-write) and read how much memory it used (`wait4`'s peak resident size).
public final class ChildProcess {
    public let pid: pid_t
    public let stdoutPath: String
    public let stderrPath: String

    /// How a finished child ended.
    public struct Outcome {
        /// Exit status, or nil when a signal ended it.
        public var exitCode: Int32?
        public var signal: Int32?
        /// Peak resident memory in bytes.
        public var maxResidentBytes: Int
        public var stdout: String
        public var stderr: String
    }

    /// Starts `executable` with `arguments` in `directory`, adding `environment` to this
    /// process's environment.
    public init(_ executable: String, _ arguments: [String], directory: String? = nil, environment: [String: String] = [:]) throws {
        let tag = UUID().uuidString
        stdoutPath = NSTemporaryDirectory() + "child-\(tag).out"
        stderrPath = NSTemporaryDirectory() + "child-\(tag).err"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        // posix_spawn has no working-directory action everywhere; run through /bin/sh -c 'cd D && exec ...'
        // only when a directory is given.
        var child: pid_t = 0
        let status: Int32
        if let directory {
            let quoted = ([executable] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
            let shellWords: [String] = ["/bin/sh", "-c", "cd '\(directory)' && exec \(quoted)"]
            let shellArgv: [UnsafeMutablePointer<CChar>?] = shellWords.map { strdup($0) } + [nil]
            defer { shellArgv.forEach { free($0) } }
            status = posix_spawn(&child, "/bin/sh", &actions, nil, shellArgv, envp)
        } else {
            status = posix_spawn(&child, executable, &actions, nil, argv, envp)
        }
        guard status == 0 else {
            throw NSError(domain: "ChildProcess", code: Int(status), userInfo: [NSLocalizedDescriptionKey: "cannot start \(executable): \(String(cString: strerror(status)))"])
        }
        pid = child
    }

    /// Sends `signal` (SIGKILL by default).
    public func kill(_ signal: Int32 = SIGKILL) {
        _ = sendSignal(pid, signal)
    }

    /// Waits for the child; after `timeout` seconds it is killed (and reported as killed).
    public func wait(timeout: Double = 600) -> Outcome {
        var status: Int32 = 0
        var usage = rusage()
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let result = wait4(pid, &status, WNOHANG, &usage)
            if result == pid { break }
            if result < 0 { break }
            if Date() > deadline { kill(); _ = wait4(pid, &status, 0, &usage); break }
            usleep(2_000)
        }
        let signaled = (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
        let stdout = (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: stdoutPath)
        try? FileManager.default.removeItem(atPath: stderrPath)
        return Outcome(exitCode: signaled ? nil : (status >> 8) & 0xFF, signal: signaled ? status & 0x7F : nil,
                       maxResidentBytes: Int(usage.ru_maxrss) * 1024, stdout: stdout, stderr: stderr)
    }

    /// Runs to the end and returns the outcome.
    public static func run(_ executable: String, _ arguments: [String], directory: String? = nil,
                           environment: [String: String] = [:], timeout: Double = 600) throws -> Outcome {
        try ChildProcess(executable, arguments, directory: directory, environment: environment).wait(timeout: timeout)
    }

    /// GNU time, which reports a child's true peak memory.
    static let gnuTime = "/usr/bin/time"
    static let peakMarker = "DSOD_PEAK_RSS_KB="

    /// Runs to the end with an accurate peak memory. On Linux a child spawned from a large
    /// process (the test runner) reports that process's size as its own peak (`exec` records the
    /// parent's high-water mark), so the program is started by GNU time, a small process whose
    /// child is measured correctly. Without /usr/bin/time the peak is nil and the program runs
    /// under `ulimit -v` of 6 GiB instead, so a large allocation makes it fail.
    public static func runMeasured(_ executable: String, _ arguments: [String], directory: String? = nil,
                                   environment: [String: String] = [:], timeout: Double = 600) throws -> (outcome: Outcome, peakBytes: Int?) {
        guard FileManager.default.isExecutableFile(atPath: gnuTime) else {
            let limited = try run("/bin/sh", ["-c", "ulimit -v 6291456 && exec \"$0\" \"$@\"", executable] + arguments,
                                  directory: directory, environment: environment, timeout: timeout)
            return (limited, nil)
        }
        var outcome = try run(gnuTime, ["-f", peakMarker + "%M", executable] + arguments, directory: directory,
                              environment: environment, timeout: timeout)
        var lines = outcome.stderr.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        while lines.last == "" { lines.removeLast() }
        var peak: Int?
        if let last = lines.last, last.hasPrefix(peakMarker) {
            peak = Int(last.dropFirst(peakMarker.count)).map { $0 * 1024 }
            lines.removeLast()
        }
        // GNU time reports a child killed by a signal in a line of its own and exits 128 + signal.
        if let last = lines.last, last.hasPrefix("Command terminated by signal "), let number = Int32(last.dropFirst(29)) {
            outcome.signal = number
            outcome.exitCode = nil
            lines.removeLast()
        } else if let last = lines.last, last.hasPrefix("Command exited with non-zero status ") {
            lines.removeLast()
        }
        outcome.stderr = lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
        return (outcome, peak)
    }
}

extension TestPaths {
    /// A product of this package built beside the test bundle (same configuration), or nil.
    public static func builtExecutable(_ name: String, besides testClass: AnyClass) -> String? {
        // On Linux the bundle URL is the build folder itself; on macOS the .xctest inside it.
        let bundle = Bundle(for: testClass).bundleURL
        for folder in [bundle, bundle.deletingLastPathComponent()] {
            let candidate = folder.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
