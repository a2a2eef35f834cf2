import ArgumentParser
import CaffeProto
import Detection
import Foundation
import Layers
import Runtime
import Solver

/// `dsod score`: what DSOD's score scripts do — mAP and per-class AP of a trained detector.
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a detector: mAP and per-class AP, as DSOD's score scripts.",
        discussion: """
            With --solver, runs a scoring solver as DSOD's score_*.py scripts write it (max_iter: 0): \
            like `caffe train`, it first runs one TRAIN-phase forward when `display` is set, which \
            updates the BatchNorm statistics the test then uses; the published mAPs include this. \
            With --model, runs the test net alone for --iterations batches (no such forward). \
            DetectionOutput writes VOC result files when the net asks for them.

            Examples:
              dsod score --solver jobs/score_DSOD300/solver.prototxt \\
                --weights DSOD300_VOC0712.caffemodel
              dsod score --model test.prototxt --weights W.caffemodel --iterations 619 \\
                --ap-version 11point
              dsod score --model test.prototxt --weights W.caffemodel --iterations 50 --json
            """)

    @Option(help: "A scoring solver (max_iter: 0, test_iter, eval_type: \"detection\").")
    var solver: String?

    @Option(help: "A test net whose outputs are DetectionEvaluate rows.")
    var model: String?

    @Option(help: "The trained weights (.caffemodel).")
    var weights: String

    @Option(help: "Test batches to run (with --model; default: the solver's test_iter).")
    var iterations: Int?

    @Option(help: "11point, MaxIntegral or Integral (default: the solver's ap_version, else 11point).")
    var apVersion: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func validate() throws {
        if (solver == nil) == (model == nil) { throw ValidationError("give exactly one of --solver and --model") }
        if model != nil && iterations == nil { throw ValidationError("--model needs --iterations (the number of test batches)") }
        if let iterations, iterations <= 0 { throw ValidationError("--iterations must be positive") }
        if let apVersion { _ = try APVersion(caffeName: apVersion) }
    }

    func run() throws {
        let report = try Self.score(solver: solver, model: model, weights: weights, iterations: iterations,
                                    apVersion: apVersion, echoLog: !json)
        print(json ? report.json() : report.table())
    }

    static func score(solver solverPath: String?, model: String?, weights: String, iterations: Int?,
                      apVersion: String?, echoLog: Bool) throws -> ScoreReport {
        if let solverPath {
            var parameter = try CaffeFiles.readSolver(solverPath)
            if let apVersion { parameter.apVersion = apVersion }
            if let iterations, !parameter.testIter.isEmpty { parameter.testIter[0] = Int32(iterations) }
            guard parameter.evalType == "detection" else {
                throw ValidationError("\(solverPath): eval_type is \"\(parameter.evalType)\"; scoring needs eval_type: \"detection\"")
            }
            guard !parameter.testIter.isEmpty else {
                throw ValidationError("\(solverPath): the solver has no test net (test_iter)")
            }
            // Scoring never trains: the scripts' max_iter is 0.
            parameter.maxIter = 0
            parameter.snapshotAfterTrain = false
            let solver = try Solver(parameter: parameter, solverFile: solverPath, registry: .standard)
            solver.log = { line in if echoLog { FileHandle.standardError.write(Data((line.glogFormatted() + "\n").utf8)) } }
            _ = try solver.net.loadWeights(from: weights)
            try solver.solve()
            guard let result = solver.lastTestResults.first, let score = result.detection.first else {
                throw ValidationError("the test produced no detections at all, so there is no mAP to report")
            }
            let net = solver.testNets[0]
            return ScoreReport(score: score, labelNames: LabelNames.of(net.builtParameter), batches: Int(parameter.testIter[0]))
        }
        guard let model, let iterations else { throw ValidationError("give --solver, or --model with --iterations") }
        let version = try APVersion(caffeName: apVersion ?? "11point")
        let net = try Net(path: model, phase: .test, registry: .standard, optimizations: .outputsOnly)
        _ = try net.loadWeights(from: weights)
        let bar = ProgressBar(total: iterations, label: "score", enabled: echoLog && isatty(STDERR_FILENO) != 0)
        guard let evaluation = try DetectionTest.run(net: net, iterations: iterations, apVersion: version,
                                                      beforeForward: { _, batch in bar.update(done: batch) }),
              let score = evaluation.scores.first?.1 else {
            throw ValidationError("the test produced no detections at all, so there is no mAP to report")
        }
        bar.clear()
        return ScoreReport(score: score, labelNames: LabelNames.of(net.builtParameter), batches: iterations)
    }
}

/// The result of a scoring run, as a table or JSON.
struct ScoreReport {
    var score: DetectionScore
    var labelNames: [Int: String]
    var batches: Int

    func table() -> String {
        var lines = ["mAP (\(score.apVersion.rawValue)): \(String(format: "%.4f", score.mAP))", "", "label  class                 AP"]
        for entry in score.classes {
            let name = (labelNames[entry.label] ?? "class\(entry.label)").padding(toLength: 20, withPad: " ", startingAt: 0)
            let ap = entry.ap.map { String(format: "%.4f", $0) } ?? "0.0000 (no detections)"
            lines.append(String(format: "%5d  ", entry.label) + name + "  " + ap)
        }
        return lines.joined(separator: "\n")
    }

    func json() -> String {
        let classes = score.classes.map { entry -> [String: Any] in
            ["label": entry.label, "name": labelNames[entry.label] ?? "class\(entry.label)", "ap": Double(entry.ap ?? 0), "detected": entry.ap != nil]
        }
        let object: [String: Any] = ["ap_version": score.apVersion.rawValue, "mAP": Double(score.mAP), "batches": batches, "classes": classes]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

/// Label names from the label map a net names (DetectionOutput's save_output_param or a data
/// layer's label_map_file), when the file can be read.
enum LabelNames {
    static func of(_ net: Caffe_NetParameter) -> [Int: String] {
        for layer in net.layer {
            let candidates = [layer.detectionOutputParam.saveOutputParam.labelMapFile, layer.annotatedDataParam.labelMapFile]
            for path in candidates where !path.isEmpty {
                if let map = try? CaffeFiles.read(path, as: Caffe_LabelMap.self) {
                    return Dictionary(map.item.map { (Int($0.label), $0.displayName.isEmpty ? $0.name : $0.displayName) }, uniquingKeysWith: { a, _ in a })
                }
            }
        }
        return [:]
    }
}
