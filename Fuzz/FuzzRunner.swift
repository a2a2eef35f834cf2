import Foundation

/// What one target's run found.
struct FuzzReport: Codable {
    var target: String
    var inputs = 0
    var accepted = 0
    var refused = 0
    /// Rejections that did not say where the input went wrong (each saved for replay).
    var unlocated = 0
    /// A crash or hang ends the process (see CrashGuard), so a finished report has 0 of each.
    var crashes = 0
    var hangs = 0
    var seconds = 0.0
    var corpus = 0
    var examples: [String] = []

    var line: String {
        let padded = target.padding(toLength: 16, withPad: " ", startingAt: 0)
        return "\(padded) \(String(format: "%7d", inputs)) inputs (\(accepted) read, \(refused) refused)  unlocated \(unlocated)  crashes \(crashes)  hangs \(hangs)  \(String(format: "%.1f", seconds)) s  seeds \(corpus)"
    }
}

/// The seeded mutation engine: tries every seed as is, then mutations of seeds and of mutated
/// inputs that were read successfully (they reach deeper into the reader), until the input
/// count or the time budget is spent. Same seed and count, same inputs.
struct FuzzRunner {
    var seed: UInt64
    var iterations: Int?
    var seconds: Double?
    var crashDirectory: String
    var hangSeconds: Double

    func run(_ target: FuzzTarget) -> FuzzReport {
        var report = FuzzReport(target: target.name)
        CrashGuard.install(target: target.name, directory: crashDirectory, hangSeconds: hangSeconds)
        var corpus = target.seeds().map { Array($0.prefix(target.maximumLength)) }
        if corpus.isEmpty { corpus = [[]] }
        report.corpus = corpus.count
        let mutator = Mutator(isText: target.isText, maximumLength: target.maximumLength)
        var rng = SeededRandom(seed: seed ^ fnv1a(target.name))
        var grown: [[UInt8]] = []
        let started = ProcessInfo.processInfo.systemUptime
        while true {
            if let iterations, report.inputs >= iterations { break }
            let elapsed = ProcessInfo.processInfo.systemUptime - started
            if let seconds, elapsed >= seconds { break }
            if iterations == nil && seconds == nil && report.inputs >= 1000 { break }
            let input: [UInt8]
            if report.inputs < corpus.count {
                input = corpus[report.inputs]
            } else {
                let pool = !grown.isEmpty && rng.chance(30) ? grown : corpus
                input = mutator.mutate(pool[rng.below(pool.count)], corpus: corpus, rng: &rng)
            }
            report.inputs += 1
            CrashGuard.begin(input)
            let outcome: FuzzOutcome
            do {
                outcome = try target.run(input)
            } catch {
                report.unlocated += 1
                if report.examples.count < 5 {
                    let saved = "\(crashDirectory)/\(target.name)-unlocated-\(report.unlocated).bin"
                    FileManager.default.createFile(atPath: saved, contents: Data(input))
                    report.examples.append("\(error) [input saved to \(saved)]")
                }
                outcome = .refused("\(error)")
            }
            CrashGuard.end()
            switch outcome {
            case .accepted:
                report.accepted += 1
                if report.inputs > corpus.count && rng.chance(20) {
                    if grown.count < 256 { grown.append(input) } else { grown[rng.below(grown.count)] = input }
                }
            case .refused:
                report.refused += 1
            }
        }
        report.seconds = ProcessInfo.processInfo.systemUptime - started
        return report
    }

    /// A stable hash of the target name, so each target gets its own input sequence.
    private func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}

/// Sends standard output to /dev/null while the targets run (the tools print their results),
/// so the report stays readable.
enum QuietOutput {
    nonisolated(unsafe) private static var saved: Int32 = -1

    static func begin() {
        fflush(nil)
        saved = dup(1)
        let devnull = open("/dev/null", O_WRONLY)
        if devnull >= 0 { dup2(devnull, 1); close(devnull) }
    }

    static func end() {
        fflush(nil)
        if saved >= 0 { dup2(saved, 1); close(saved); saved = -1 }
    }
}
