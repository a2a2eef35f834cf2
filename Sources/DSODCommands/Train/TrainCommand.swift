import ArgumentParser
import CaffeProto
import Foundation
import Layers
import Runtime
import Solver

/// `dsod train`: Caffe's `caffe train` on the CPU.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a net with a Caffe solver (like `caffe train`).",
        discussion: """
            Logs in Caffe's words and glog's format on standard error, so Caffe's parse_log.py and \
            `dsod plot` read the log; a progress bar shows images/s and the ETA when standard error \
            is a terminal. Ctrl-C (SIGINT) snapshots and stops; SIGHUP snapshots and continues. \
            Paths in the solver (net, snapshot_prefix) are relative to the working directory, as in \
            Caffe. Snapshots are written atomically (temporary file, fsync, rename): a run killed \
            at any moment leaves complete snapshots only, and --snapshot resumes from the newest. \
            A loss that turns NaN or infinite stops training, naming the first layer whose output \
            went bad and the iteration; --debug-info logs each layer's values to find out why.

            Examples:
              dsod train --solver jobs/DSOD300_VOC0712/solver.prototxt
              dsod train --solver solver.prototxt --weights init.caffemodel
              dsod train --solver solver.prototxt \\
                --snapshot snapshots/DSOD300_iter_1000.solverstate
            """)

    @Option(help: "The solver prototxt.")
    var solver: String

    @Option(help: "Weights to start from (comma-separated .caffemodel files, loaded in order).")
    var weights: String?

    @Option(help: "A .solverstate to resume from.")
    var snapshot: String?

    @Option(help: "Train to this iteration instead of the solver's max_iter.")
    var iterations: Int?

    @Option(help: "Also write the log to this file.")
    var log: String?

    @Option(help: "Accepted for compatibility with DSOD's job scripts (caffe train --gpu); training runs on the CPU.")
    var gpu: String?

    @Flag(help: "Log every layer's mean absolute data and diff on display iterations (the solver's debug_info: true).")
    var debugInfo = false

    func validate() throws {
        if weights != nil && snapshot != nil {
            throw ValidationError("give either --weights or --snapshot, not both (as caffe train)")
        }
        if let iterations, iterations < 0 { throw ValidationError("--iterations must be 0 or more") }
    }

    func run() throws {
        if gpu != nil { FileHandle.standardError.write(Data("dsod train runs on the CPU; --gpu is ignored\n".utf8)) }
        try Self.train(solverPath: solver, weights: weights, snapshot: snapshot, iterations: iterations, logPath: log,
                       debugInfo: debugInfo)
    }

    /// Trains and returns the solver (for tests).
    @discardableResult
    static func train(solverPath: String, weights: String?, snapshot: String?, iterations: Int?, logPath: String?,
                      debugInfo: Bool = false, echo: Bool = true, progress showProgress: Bool? = nil) throws -> Solver {
        var parameter = try CaffeFiles.readSolver(solverPath)
        if let iterations { parameter.maxIter = Int32(iterations) }
        let logFile = try logPath.map { try TrainingLogFile(path: $0) }
        if let snapshot, !FileManager.default.fileExists(atPath: snapshot) {
            throw SolverError(file: snapshot, "no such solver state (--snapshot)")
        }
        if debugInfo { parameter.debugInfo = true }
        let solver = try Solver(parameter: parameter, solverFile: solverPath, registry: .standard)
        let progress = ProgressBar(total: Int(parameter.maxIter), label: "train", enabled: (showProgress ?? echo) && isatty(STDERR_FILENO) != 0,
                                   plainSteps: !echo && showProgress == true)
        solver.log = { line in
            let text = line.glogFormatted()
            progress.clear()
            if echo { FileHandle.standardError.write(Data((text + "\n").utf8)) }
            logFile?.write(text)
        }
        // Before any work: a snapshot folder that is missing or read-only is reported now, not
        // at the first snapshot hours later (and partial snapshots of a killed run are cleared).
        try solver.checkSnapshotFolder()
        let signals = SignalMonitor()
        solver.requestedAction = { signals.next() }
        let batch = solver.net.inputBatchSize * Int(parameter.iterSize)
        let started = Date()
        var firstIteration: Int?
        solver.afterIteration = { iteration, loss in
            if firstIteration == nil { firstIteration = iteration - 1 }
            let seconds = Date().timeIntervalSince(started)
            let done = iteration - (firstIteration ?? 0)
            let rate = seconds > 0 ? Double(done * batch) / seconds : 0
            progress.update(done: iteration, detail: String(format: "loss %.4g  %.1f img/s", loss, rate))
        }
        if let snapshot {
            solver.log(SolverLogLine("caffe.cpp:248", "Resuming from \(snapshot)"))
            try solver.restore(from: snapshot)
        } else if let weights {
            for path in weights.split(separator: ",").map(String.init) {
                let report = try solver.net.loadWeights(from: path)
                solver.log(SolverLogLine("net.cpp:761", "Loaded \(report.loadedLayers.count) layers from \(path)"))
                if !report.layersWithoutWeights.isEmpty {
                    solver.log(SolverLogLine(.warning, "net.cpp:761", "\(report.layersWithoutWeights.count) layers have no weights in \(path) and keep their initial values: \(report.layersWithoutWeights.prefix(8).joined(separator: ", "))\(report.layersWithoutWeights.count > 8 ? ", ..." : "")"))
                }
            }
        }
        solver.log(SolverLogLine("caffe.cpp:251", "Starting Optimization"))
        try solver.solve()
        progress.clear()
        return solver
    }
}

extension Net {
    /// Images per forward pass: the first dimension of the first top of the first layer.
    var inputBatchSize: Int {
        guard let first = tops.first?.first, first.numAxes > 0 else { return 1 }
        return first.dim(0)
    }
}

/// A log file that receives every training log line.
final class TrainingLogFile {
    private let handle: FileHandle

    init(path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ValidationError("cannot create the log file \(path)")
        }
        handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    }

    func write(_ line: String) { handle.write(Data((line + "\n").utf8)) }

    deinit { try? handle.close() }
}
