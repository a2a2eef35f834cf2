import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the input being tried where a fatal signal handler and a watchdog thread can find it:
/// when a reader crashes (a Swift trap is SIGILL or SIGTRAP, a bad pointer SIGSEGV or SIGBUS)
/// or runs longer than the hang limit, the input is written to `<dir>/<target>-crash.bin` or
/// `-hang.bin` and the process exits with a message naming it, so the case can be replayed
/// with `dsod-fuzz replay`.
enum CrashGuard {
    // Written by the fuzzing thread before each input and read by the signal handler (which
    // can only use async-signal-safe calls) or the watchdog. One fuzzing thread; the watchdog
    // only reads, under `lock`.
    nonisolated(unsafe) private static var inputBuffer: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) private static var inputCapacity = 0
    nonisolated(unsafe) private static var inputLength = 0
    nonisolated(unsafe) private static var crashPath: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var hangPath: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var startedAt: Double = 0
    nonisolated(unsafe) private static var running = false
    private static let lock = NSLock()

    /// Installs the handlers for `target`, writing crash inputs under `directory`.
    static func install(target: String, directory: String, hangSeconds: Double) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        crashPath.map { free($0) }
        hangPath.map { free($0) }
        crashPath = strdup("\(directory)/\(target)-crash.bin")
        hangPath = strdup("\(directory)/\(target)-hang.bin")
        for signalNumber in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE] {
            signal(signalNumber, crashHandler)
        }
        startWatchdog(hangSeconds: hangSeconds)
    }

    /// Records the input about to be tried.
    static func begin(_ bytes: [UInt8]) {
        lock.lock()
        defer { lock.unlock() }
        if bytes.count > inputCapacity {
            inputBuffer?.deallocate()
            inputCapacity = max(bytes.count, 4096)
            inputBuffer = UnsafeMutablePointer<UInt8>.allocate(capacity: inputCapacity)
        }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress, let buffer = inputBuffer { buffer.update(from: base, count: bytes.count) }
        }
        inputLength = bytes.count
        startedAt = ProcessInfo.processInfo.systemUptime
        running = true
    }

    static func end() {
        lock.lock()
        running = false
        lock.unlock()
    }

    private static let crashHandler: @convention(c) (Int32) -> Void = { signalNumber in
        CrashGuard.saveInput(to: CrashGuard.crashPath)
        let message = "dsod-fuzz: CRASH (signal \(signalNumber)); the input is saved for `dsod-fuzz replay`\n"
        _ = message.withCString { write(2, $0, strlen($0)) }
        _exit(70)
    }

    /// Writes the current input with async-signal-safe calls only.
    private static func saveInput(to path: UnsafeMutablePointer<CChar>?) {
        guard let path, let buffer = inputBuffer else { return }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { return }
        var written = 0
        while written < inputLength {
            let n = write(fd, buffer + written, inputLength - written)
            if n <= 0 { break }
            written += n
        }
        close(fd)
    }

    nonisolated(unsafe) private static var watchdogStarted = false

    private static func startWatchdog(hangSeconds: Double) {
        guard !watchdogStarted else { return }
        watchdogStarted = true
        let thread = Thread {
            while true {
                Thread.sleep(forTimeInterval: 0.25)
                lock.lock()
                let stuck = running && ProcessInfo.processInfo.systemUptime - startedAt > hangSeconds
                if stuck { saveInput(to: hangPath) }
                lock.unlock()
                if stuck {
                    let path = hangPath.map { String(cString: $0) } ?? "?"
                    FileHandle.standardError.write(Data("dsod-fuzz: HANG (one input ran more than \(hangSeconds) s); saved to \(path)\n".utf8))
                    _exit(71)
                }
            }
        }
        thread.start()
    }
}
