import XCTest
import Foundation
import CaffeProto
import Layers
import Runtime
import Kernels
@testable import Solver
import TestSupport

/// The 20 golden `caffe train` runs (golden/solvers): the same solver, net, initial weights and
/// batches give Caffe's per-iteration losses, final weights, histories and log lines. The Python
/// data layer of the golden net is replaced by Input blobs fed batch n mod 5 on forward pass n.
final class SolverGoldenTests: XCTestCase {
    private struct Tolerance: Decodable {
        struct Entry: Decodable { let atol: Double }
        let forward: Entry, backward: Entry, history: Entry
    }
    private struct Case: Decodable { let tolerance: Tolerance }
    private struct Log: Decodable {
        struct Iteration: Decodable { let iter: Int; let loss: Double; let lr_text: String? }
        let iterations: [Iteration]
    }

    private let root = TestPaths.golden("solvers")
    private var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("solver-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    /// The golden net with its Python data layer replaced by an Input layer.
    private func netParameter() throws -> Caffe_NetParameter {
        var net = try CaffeFiles.readNet(root.appendingPathComponent("net.prototxt").path)
        var input = Caffe_LayerParameter()
        input.name = "data"
        input.type = "Input"
        input.top = ["data", "label"]
        var dataShape = Caffe_BlobShape(); dataShape.dim = [4, 6]
        var labelShape = Caffe_BlobShape(); labelShape.dim = [4]
        input.inputParam.shape = [dataShape, labelShape]
        net.layer[0] = input
        return net
    }

    private func batches() throws -> [(data: [Float], label: [Float])] {
        try (0..<5).map { k in
            (try NumpyArray.read(root.appendingPathComponent("data/data_\(k).npy").path).values,
             try NumpyArray.read(root.appendingPathComponent("data/label_\(k).npy").path).values)
        }
    }

    private func makeSolver(_ run: URL, lines: @escaping (SolverLogLine) -> Void) throws -> Solver {
        var p = try CaffeFiles.readSolver(run.appendingPathComponent("solver.prototxt").path)
        p.clearNet()
        p.netParam = try netParameter()
        p.snapshotPrefix = scratch.appendingPathComponent("snap").path
        let solver = try Solver(parameter: p, registry: .standard)
        let data = try batches()
        solver.beforeTrainForward = { net, pass in
            try net.blob(named: "data")!.setData(data[pass % 5].data)
            try net.blob(named: "label")!.setData(data[pass % 5].label)
        }
        solver.log = lines
        return solver
    }

    private func assertClose(_ ours: [Float], _ caffe: [Float], atol: Double, _ what: String) {
        if let problem = toleranceViolation(ours: ours, caffe: caffe, atol: atol, rtol: 0) {
            XCTFail("\(what): \(problem)")
        }
    }

    func testEveryRunReproducesCaffe() throws {
        var runs = 0
        for run in TestPaths.subfolders(of: root) where FileManager.default.fileExists(atPath: run.appendingPathComponent("case.json").path) {
            let name = run.lastPathComponent
            let tolerance = try JSONDecoder().decode(Case.self, from: Data(contentsOf: run.appendingPathComponent("case.json"))).tolerance
            let log = try JSONDecoder().decode(Log.self, from: Data(contentsOf: run.appendingPathComponent("log.json")))
            var lines: [SolverLogLine] = []
            let solver = try makeSolver(run, lines: { lines.append($0) })
            _ = try solver.net.loadWeights(from: run.appendingPathComponent("init.caffemodel").path)
            try solver.solve()

            // Logged rates and smoothed losses, iteration by iteration.
            let lossLines = lines.filter { $0.source == "solver.cpp:243" }.map(\.message)
            XCTAssertEqual(lossLines.count, 10, name)
            for (entry, line) in zip(log.iterations, lossLines) {
                let value = Double(line.components(separatedBy: "loss = ").last ?? "") ?? .nan
                XCTAssertEqual(value, entry.loss, accuracy: max(2e-5 * abs(entry.loss), tolerance.forward.atol * 4), "\(name) iteration \(entry.iter)")
            }
            let rateLines = lines.filter { $0.source == "sgd_solver.cpp:138" }.map(\.message)
            XCTAssertEqual(rateLines, log.iterations.compactMap { e in e.lr_text.map { "Iteration \(e.iter), lr = \($0)" } }, name)

            // Final weights against Caffe's snapshot, and the history.
            let snapshot = try CaffeFiles.readNet(run.appendingPathComponent("snap_iter_10.caffemodel").path)
            for layer in snapshot.layer where !layer.blobs.isEmpty {
                let ours = try XCTUnwrap(solver.net.layer(named: layer.name), name)
                for (i, blob) in layer.blobs.enumerated() {
                    assertClose(ours.blobs[i].dataArray(), blob.data, atol: tolerance.backward.atol, "\(name) \(layer.name).\(i)")
                }
            }
            for (i, blob) in solver.history.enumerated() {
                let caffe = try NumpyArray.read(run.appendingPathComponent("history/\(i).npy").path)
                assertClose(blob.dataArray(), caffe.values, atol: tolerance.history.atol, "\(name) history \(i)")
            }
            // Our snapshot files exist and reload.
            let state = try CaffeFiles.read(scratch.appendingPathComponent("snap_iter_10.solverstate").path, as: Caffe_SolverState.self)
            XCTAssertEqual(state.iter, 10, name)
            XCTAssertEqual(state.history.count, solver.history.count, name)
            runs += 1
        }
        XCTAssertEqual(runs, 20)
    }

    /// Resuming from Caffe's iteration-5 solverstate continues to Caffe's iteration-10 weights.
    func testResumeFromCaffesSolverstate() throws {
        let run = root.appendingPathComponent("sgd_momentum")
        let tolerance = try JSONDecoder().decode(Case.self, from: Data(contentsOf: run.appendingPathComponent("case.json"))).tolerance
        var lines: [SolverLogLine] = []
        let solver = try makeSolver(run, lines: { lines.append($0) })
        try solver.restore(from: run.appendingPathComponent("snap_iter_5.solverstate").path)
        XCTAssertEqual(solver.iteration, 5)
        try solver.solve()
        let caffe = try CaffeFiles.readNet(run.appendingPathComponent("resume/snap_iter_10.caffemodel").path)
        for layer in caffe.layer where !layer.blobs.isEmpty {
            for (i, blob) in layer.blobs.enumerated() {
                assertClose(solver.net.layer(named: layer.name)!.blobs[i].dataArray(), blob.data, atol: tolerance.backward.atol, "resume \(layer.name).\(i)")
            }
        }
        XCTAssertEqual(lines.filter { $0.source == "solver.cpp:243" }.first?.message.hasPrefix("Iteration 5, loss = "), true)
    }

    /// Snapshots we write reload into a fresh solver and continue identically.
    func testOwnSnapshotResumesBitForBit() throws {
        let run = root.appendingPathComponent("adam")
        var p = try CaffeFiles.readSolver(run.appendingPathComponent("solver.prototxt").path)
        p.snapshot = 5
        let first = try makeSolver(run, lines: { _ in })
        _ = try first.net.loadWeights(from: run.appendingPathComponent("init.caffemodel").path)
        try first.step(5)
        try first.snapshot()
        try first.step(5)
        let second = try makeSolver(run, lines: { _ in })
        try second.restore(from: scratch.appendingPathComponent("snap_iter_5.solverstate").path)
        try second.step(5)
        for (a, b) in zip(first.net.learnableParams, second.net.learnableParams) {
            XCTAssertEqual(a.dataArray(), b.dataArray())
        }
    }

    func testBadSolversGetClearErrors() throws {
        var p = Caffe_SolverParameter()
        p.netParam = try netParameter()
        p.type = "Adamax"
        p.lrPolicy = "fixed"
        XCTAssertThrowsError(try Solver(parameter: p, solverFile: "s.prototxt", registry: .standard)) {
            XCTAssertEqual("\($0)", "s.prototxt: unknown solver type \"Adamax\"; expected one of SGD, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam")
        }
        p.type = "SGD"
        p.snapshotFormat = .hdf5
        XCTAssertThrowsError(try Solver(parameter: p, solverFile: "s.prototxt", registry: .standard)) {
            XCTAssertTrue("\($0)".contains("HDF5 snapshots are not supported"))
        }
        var noPolicy = p
        noPolicy.snapshotFormat = .binaryproto
        noPolicy.clearLrPolicy()
        XCTAssertThrowsError(try Solver(parameter: noPolicy, solverFile: "s.prototxt", registry: .standard)) {
            XCTAssertEqual("\($0)", "s.prototxt: lr_policy is not set; expected one of fixed, step, exp, inv, multistep, poly, sigmoid, plateau")
        }
        var none = Caffe_SolverParameter()
        none.type = "SGD"
        none.lrPolicy = "fixed"
        XCTAssertThrowsError(try Solver(parameter: none, solverFile: "s.prototxt", registry: .standard)) {
            XCTAssertTrue("\($0)".contains("names no train net"), "\($0)")
        }
    }
}

/// `debug_info` reports every layer's tops, so a train net with it runs every layer (no
/// BatchNorm chain recomputed by a convolution, whose tops would stay empty); without it the
/// chains of golden/layers/net_dense_block are recomputed where the packed kernels run.
final class SolverDebugInfoNetTests: XCTestCase {
    func testDebugInfoTurnsRecomputationOff() throws {
        var parameter = Caffe_SolverParameter()
        parameter.netParam = try CaffeFiles.readNet(TestPaths.golden("layers/net_dense_block/net.prototxt").path)
        parameter.lrPolicy = "fixed"
        parameter.baseLr = 0.01
        let optimized = try Solver(parameter: parameter, registry: .standard)
        XCTAssertEqual(optimized.net.layerIsFolded.contains(true), PackedGemm.isAvailable)
        parameter.debugInfo = true
        let debugging = try Solver(parameter: parameter, registry: .standard)
        XCTAssertFalse(debugging.net.layerIsFolded.contains(true))
    }
}
