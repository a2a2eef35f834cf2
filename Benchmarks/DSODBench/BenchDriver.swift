import Foundation
import Kernels

struct BenchOptions {
    var quick = false
    var full = false
    var openCV = true
    var profile = false
    var baseline = false
    var only: String?
}

/// The parent process: prepares the files, runs the children, prints the table.
struct BenchDriver {
    var options: BenchOptions

    var cases: [BenchCase] {
        let maxThreads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let q = options.quick
        var list: [BenchCase] = []
        func add(_ model: String, _ pass: BenchCase.Pass, _ batch: Int, threads: [Int], warmup: Int, iterations: Int) {
            for t in threads { list.append(BenchCase(model: model, pass: pass, batch: batch, threads: t, warmup: warmup, iterations: iterations)) }
        }
        let both = Array(Set([1, maxThreads])).sorted()
        let others = options.full ? both : [maxThreads]
        add("DSOD300", .deploy, 1, threads: both, warmup: 2, iterations: q ? 4 : 12)
        add("DSOD300", .deploy, 8, threads: others, warmup: 1, iterations: q ? 2 : 4)
        add("GRP_DSOD320", .deploy, 1, threads: others, warmup: 2, iterations: q ? 3 : 8)
        add("DSOD300", .train, 2, threads: others, warmup: 1, iterations: q ? 2 : 4)
        if !q { add("DSOD300", .train, 8, threads: others, warmup: 1, iterations: 3) }
        if options.baseline {
            // The same net with every NetOptimizations lever off: the before of the memory work.
            for t in others {
                list.append(BenchCase(model: "DSOD300", pass: .deploy, batch: 1, threads: t, warmup: 2, iterations: q ? 4 : 8, optimized: false))
                list.append(BenchCase(model: "DSOD300", pass: .train, batch: 8, threads: t, warmup: 1, iterations: q ? 1 : 2, optimized: false))
            }
        }
        if let only = options.only { list = list.filter { $0.key.contains(only) } }
        return list
    }

    func run() throws {
        let started = Date()
        let selected = cases
        let models = Array(Set(selected.map(\.model))).sorted()
        for model in models {
            let size = selected.first { $0.model == model }?.imageSize ?? 300
            log("writing \(model) weights (fillers + one TRAIN forward for BatchNorm statistics)")
            try BenchNets.writeWeights(model, size: size)
        }
        var gemm: [Int: GemmResult] = [:]
        for threads in Set(selected.map(\.threads)).sorted() {
            log("sgemm 2048^3, \(threads) thread(s)")
            let output = try runChild(["--gemm", String(threads)], threads: threads)
            guard let result = ChildOutput.parse(output, as: GemmResult.self) else { throw BenchError("the sgemm child printed no result:\n\(output)") }
            gemm[threads] = result
        }
        var rows: [BenchRow] = []
        for benchCase in selected {
            log("\(benchCase.label), \(benchCase.threads) thread(s): \(benchCase.warmup) warm-up + \(benchCase.iterations) timed")
            let output = try runChild(benchCase.arguments, threads: benchCase.threads)
            guard let result = ChildOutput.parse(output, as: CaseResult.self) else { throw BenchError("case \(benchCase.key) printed no result:\n\(output)") }
            var row = BenchRow(benchCase: benchCase, ours: result, gemm: gemm[benchCase.threads])
            if options.openCV && benchCase.pass == .deploy && benchCase.optimized {
                log("  OpenCV dnn, same net and weights")
                row.openCV = runOpenCV(benchCase)
            }
            rows.append(row)
        }
        print("")
        print(BenchReport.machineLine() + "\n")
        print(BenchReport.table(rows))
        if options.profile {
            for benchCase in [BenchCase(model: "DSOD300", pass: .deploy, batch: 1, threads: selected.first?.threads ?? 2, warmup: 1, iterations: 3),
                              BenchCase(model: "DSOD300", pass: .train, batch: 2, threads: selected.last?.threads ?? 2, warmup: 1, iterations: 2)]
            where models.contains("DSOD300") {
                print("")
                print(try runChild(["--profile-case"] + benchCase.arguments.dropFirst(), threads: benchCase.threads))
            }
        }
        log(String(format: "done in %.0f s", Date().timeIntervalSince(started)))
    }

    func log(_ text: String) {
        FileHandle.standardError.write(Data("[bench] \(text)\n".utf8))
    }

    /// Runs this executable again with `arguments` and `DSOD_THREADS`, returning its stdout.
    func runChild(_ arguments: [String], threads: Int) throws -> String {
        var environment = ProcessInfo.processInfo.environment
        environment["DSOD_THREADS"] = String(threads)
        environment["OPENBLAS_NUM_THREADS"] = "1"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let path = executable.hasPrefix("/") ? executable : FileManager.default.currentDirectoryPath + "/" + executable
        return try run(path, arguments, environment: environment)
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        process.currentDirectoryURL = BenchNets.root
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw BenchError("\(executable) \(arguments.joined(separator: " ")) exited with status \(process.terminationStatus)\n\(text)")
        }
        return text
    }

    /// OpenCV's dnn on the same prototxt, weights, batch and thread count; nil (with a message)
    /// when python3-opencv is missing or the run fails.
    func runOpenCV(_ c: BenchCase) -> OpenCVResult? {
        let python = "/usr/bin/python3"
        let script = BenchNets.root.appendingPathComponent("Benchmarks/opencv_dnn_bench.py").path
        var environment = ProcessInfo.processInfo.environment
        environment["OPENBLAS_NUM_THREADS"] = String(c.threads)
        environment["OMP_NUM_THREADS"] = String(c.threads)
        do {
            let output = try run(python, [script, BenchNets.deployPath(c.model), BenchNets.weightsPath(c.model),
                                          String(c.batch), String(c.imageSize), String(c.threads), String(c.warmup), String(c.iterations)],
                                 environment: environment)
            guard let result = ChildOutput.parse(output, as: OpenCVResult.self) else {
                log("  OpenCV printed no result: \(output)")
                return nil
            }
            return result
        } catch {
            log("  OpenCV dnn not run: \(error) (make bench installs python3-opencv)")
            return nil
        }
    }
}

/// What opencv_dnn_bench.py reports.
struct OpenCVResult: Codable, TimedRuns {
    var milliseconds: [Double]
    var peakBytes: Int
    var threads: Int
    var version: String
}

struct BenchRow {
    var benchCase: BenchCase
    var ours: CaseResult
    var gemm: GemmResult?
    var openCV: OpenCVResult?
}
