import Foundation

/// `dsod-fuzz`: fuzzes every reader of the project. See `usage` and docs/fuzzing.md.
let usage = """
    usage: dsod-fuzz list
           dsod-fuzz run TARGET|all [--seconds S] [--iterations N] [--seed N] [--crash-dir DIR] [--json FILE]
           dsod-fuzz seeds TARGET DIR        write TARGET's seed corpus into DIR (for libFuzzer)
           dsod-fuzz replay TARGET FILE...   run saved inputs once, verbosely
           dsod-fuzz libfuzzer TARGET [libFuzzer flags and corpus dirs]   (a `make fuzz` build only)

    `run` tries each seed, then seeded mutations until the count or time is spent, and prints one
    line per target: inputs tried, read, refused, refused without saying where (unlocated),
    crashes and hangs. A crash or hang stops the process with exit 70/71 and saves the input in
    the crash folder (default fuzz-crashes/). Exit status: 0 when every target is clean, 1 when
    a rejection did not say where the input went wrong.
    Blob and batch memory is limited to DSOD_MEMORY_LIMIT (default here: 1G).
    """

let targets: [FuzzTarget] = CaffeFormatTargets.all + DataTargets.all + CommandTargets.all

func target(named name: String) -> FuzzTarget {
    guard let found = targets.first(where: { $0.name == name }) else {
        FileHandle.standardError.write(Data("dsod-fuzz: no target \"\(name)\"; targets: \(targets.map(\.name).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return found
}

func option(_ name: String, in arguments: [String]) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

// Readers refuse big allocations before making them; keep the fuzzer's budget small.
setenv("DSOD_MEMORY_LIMIT", "1G", 0)

var arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    print(usage)
    exit(2)
}
arguments.removeFirst()

switch command {
case "list":
    for t in targets { print(t.name.padding(toLength: 18, withPad: " ", startingAt: 0) + t.summary) }

case "run":
    guard let name = arguments.first else { print(usage); exit(2) }
    let chosen = name == "all" ? targets : [target(named: name)]
    let runner = FuzzRunner(seed: UInt64(option("--seed", in: arguments) ?? "") ?? 1,
                            iterations: option("--iterations", in: arguments).flatMap { Int($0) },
                            seconds: option("--seconds", in: arguments).flatMap { Double($0) },
                            crashDirectory: option("--crash-dir", in: arguments) ?? "fuzz-crashes",
                            hangSeconds: option("--hang-seconds", in: arguments).flatMap { Double($0) } ?? 10)
    var reports: [FuzzReport] = []
    for t in chosen {
        QuietOutput.begin()
        let report = runner.run(t)
        QuietOutput.end()
        print(report.line)
        for example in report.examples { print("    unlocated: \(example)") }
        fflush(nil)
        reports.append(report)
    }
    Scratch.remove()
    let total = reports.reduce(0) { $0 + $1.inputs }
    print("total: \(total) inputs over \(reports.count) targets, \(reports.reduce(0) { $0 + $1.unlocated }) unlocated, 0 crashes, 0 hangs")
    if let json = option("--json", in: arguments) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        if let data = try? encoder.encode(reports) { FileManager.default.createFile(atPath: json, contents: data) }
    }
    exit(reports.contains { $0.unlocated > 0 } ? 1 : 0)

case "seeds":
    guard arguments.count >= 2 else { print(usage); exit(2) }
    let t = target(named: arguments[0])
    try? FileManager.default.createDirectory(atPath: arguments[1], withIntermediateDirectories: true)
    let seeds = t.seeds()
    for (i, seed) in seeds.enumerated() {
        FileManager.default.createFile(atPath: "\(arguments[1])/seed-\(i)", contents: Data(seed))
    }
    print("\(t.name): \(seeds.count) seeds in \(arguments[1])")

case "replay":
    guard arguments.count >= 2 else { print(usage); exit(2) }
    let t = target(named: arguments[0])
    for path in arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else { print("\(path): cannot read"); continue }
        do {
            let outcome = try t.run([UInt8](data))
            print("\(path): \(outcome)")
        } catch {
            print("\(path): \(error)")
        }
    }
    Scratch.remove()

case "libfuzzer":
    guard let name = arguments.first else { print(usage); exit(2) }
    runLibFuzzer(target(named: name), arguments: Array(arguments.dropFirst()))

default:
    print(usage)
    exit(2)
}
