import XCTest
import Foundation
import CaffeProto
import Layers
import Runtime
@testable import Solver
import TestSupport

/// golden/train/tiny_dsod: `caffe train` of a tiny DSOD on voc_mini (AnnotatedData, BatchNorm,
/// Normalize, PriorBox, MultiBoxLoss, DetectionOutput, DetectionEvaluate, multistep, iter_size 2).
/// Tight checks at the stored weights, loose ones along the chaotic trajectory (see its README).
final class TinyDSODTrainingTests: XCTestCase {
    private struct Trajectory: Decodable {
        struct Iteration: Decodable { let iter: Int; let lr: Double; let loss: Double; let sub_batch_losses: [Double]; let grad_sumsq: Double? }
        struct Final: Decodable { let forward_loss: Double }
        let iterations: [Iteration]
        let final_display_forward: Final
    }

    private var work: URL!
    private var previousDirectory = ""
    private var trajectory: Trajectory!

    /// A copy of the case folder beside a link to the LMDB area, as working directory: the nets'
    /// paths are relative to it and training writes snapshots there.
    override func setUpWithError() throws {
        work = try TestPaths.tinyDSODScratchCopy()
        let source = TestPaths.golden("train/tiny_dsod")
        trajectory = try JSONDecoder().decode(Trajectory.self, from: Data(contentsOf: source.appendingPathComponent("trajectory.json")))
        previousDirectory = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(work.path))
    }

    override func tearDownWithError() throws {
        _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory)
        try? FileManager.default.removeItem(at: work.deletingLastPathComponent().deletingLastPathComponent())
    }

    private func makeSolver() throws -> Solver {
        try Solver(parameter: CaffeFiles.readSolver("solver.prototxt"), solverFile: "solver.prototxt", registry: .standard)
    }

    private func assertRelative(_ ours: Double, _ caffe: Double, _ rtol: Double, _ what: String) {
        XCTAssertLessThanOrEqual(abs(ours - caffe), rtol * abs(caffe), "\(what): ours \(ours), Caffe \(caffe)")
    }

    /// Sub-batch losses and the accumulated gradient at Caffe's stored weights.
    func testLossesAndGradientAtStoredWeights() throws {
        for (iteration, weights) in [(0, "init.caffemodel"), (20, TestPaths.golden("train/tiny_dsod/snapshots/tiny_dsod_iter_20.caffemodel").path)] {
            let solver = try makeSolver()
            _ = try solver.net.loadWeights(from: weights)
            solver.net.clearParamDiffs()
            var losses: [Double] = []
            for _ in 0..<2 {
                losses.append(Double(try solver.net.forward()))
                try solver.net.backward()
            }
            let expected = trajectory.iterations[iteration]
            for (ours, caffe) in zip(losses, expected.sub_batch_losses) { assertRelative(ours, caffe, 1e-5, "iteration \(iteration) sub-batch loss") }
            let sumsq = solver.net.params.reduce(0.0) { total, blob in
                total + (0..<blob.count).reduce(0.0) { $0 + Double(blob.diff[$1]) * Double(blob.diff[$1]) }
            }
            if let caffe = expected.grad_sumsq { assertRelative(sumsq, caffe, 5e-3, "iteration \(iteration) gradient sum of squares") }
        }
        let final = try makeSolver()
        _ = try final.net.loadWeights(from: TestPaths.golden("train/tiny_dsod/snapshots/tiny_dsod_iter_40.caffemodel").path)
        assertRelative(Double(try final.net.forward()), trajectory.final_display_forward.forward_loss, 1e-5, "final display forward")
    }

    /// 40 iterations from init.caffemodel: the lr schedule exactly, the losses within the
    /// trajectory tolerances, snapshots 10..40 written and reloadable.
    func testTrainingTrajectory() throws {
        let solver = try makeSolver()
        _ = try solver.net.loadWeights(from: "init.caffemodel")
        var rates: [String] = []
        var losses: [Double] = []
        solver.log = { line in
            if line.source == "sgd_solver.cpp:138" { rates.append(line.message) }
            if line.source == "solver.cpp:243", let value = Double(line.message.components(separatedBy: "loss = ").last ?? "") { losses.append(value) }
        }
        try solver.solve()
        XCTAssertEqual(rates, trajectory.iterations.map { "Iteration \($0.iter), lr = \(CaffeNumber.format(Float($0.lr)))" })
        XCTAssertEqual(losses.count, 40)
        // The logged (smoothed) losses, against Caffe's logged values.
        let logged = try String(contentsOf: TestPaths.golden("train/tiny_dsod/train.log"), encoding: .utf8)
            .split(separator: "\n").filter { $0.contains("solver.cpp:243] Iteration") }
            .compactMap { Double($0.components(separatedBy: "loss = ").last ?? "") }
        for (i, (ours, caffe)) in zip(losses, logged).enumerated() {
            assertRelative(ours, caffe, i == 0 ? 1e-5 : (i == 1 ? 1e-2 : 0.25), "iteration \(i) logged loss")
        }
        for k in [10, 20, 30, 40] {
            let state = try CaffeFiles.read("snapshots/tiny_dsod_iter_\(k).solverstate", as: Caffe_SolverState.self)
            XCTAssertEqual(state.iter, Int32(k))
            XCTAssertEqual(state.learnedNet, "snapshots/tiny_dsod_iter_\(k).caffemodel")
            // The multistep advance of iteration k happens in its update, after snapshot k.
            XCTAssertEqual(state.currentStep, k > 30 ? 2 : (k > 15 ? 1 : 0), "snapshot \(k)")
            if k == 20 || k == 40 {
                let caffe = try CaffeFiles.read(TestPaths.golden("train/tiny_dsod/snapshots/tiny_dsod_iter_\(k).solverstate").path, as: Caffe_SolverState.self)
                XCTAssertEqual(state.currentStep, caffe.currentStep)
                XCTAssertEqual(state.learnedNet, caffe.learnedNet)
                XCTAssertEqual(state.history.map(\.shape), caffe.history.map(\.shape))
                XCTAssertEqual(state.minimumLoss, caffe.minimumLoss)
            }
        }
        XCTAssertEqual(solver.lastTestResults.first?.outputs.first?.name, "detection_eval")
    }

    /// Resuming from Caffe's iteration-20 solverstate: iteration, lr step, history and weights
    /// restored; the run goes on to 40 with the schedule of the uninterrupted run.
    func testResumeFromCaffesSnapshot() throws {
        let snapshots = TestPaths.golden("train/tiny_dsod/snapshots")
        try FileManager.default.copyItem(at: snapshots.appendingPathComponent("tiny_dsod_iter_20.caffemodel"), to: work.appendingPathComponent("snapshots/tiny_dsod_iter_20.caffemodel"))
        try FileManager.default.copyItem(at: snapshots.appendingPathComponent("tiny_dsod_iter_20.solverstate"), to: work.appendingPathComponent("snapshots/tiny_dsod_iter_20.solverstate"))
        let solver = try makeSolver()
        var rates: [String] = []
        solver.log = { if $0.source == "sgd_solver.cpp:138" { rates.append($0.message) } }
        try solver.restore(from: "snapshots/tiny_dsod_iter_20.solverstate")
        XCTAssertEqual(solver.iteration, 20)
        XCTAssertEqual(solver.policy.currentStep, 1)
        try solver.solve()
        XCTAssertEqual(rates, trajectory.iterations[20...].map { "Iteration \($0.iter), lr = \(CaffeNumber.format(Float($0.lr)))" })
        XCTAssertTrue(FileManager.default.fileExists(atPath: "snapshots/tiny_dsod_iter_40.caffemodel"))
    }
}
