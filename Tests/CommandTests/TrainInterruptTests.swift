import XCTest
import Foundation
import CaffeProto
import TestSupport

/// `dsod train` as a process on the tiny DSOD: Ctrl-C (SIGINT) snapshots and stops; resuming
/// from that snapshot reaches the same losses and weights as an uninterrupted run.
final class TrainInterruptTests: XCTestCase {
    private var work: URL!

    override func tearDownWithError() throws {
        if let work { try? FileManager.default.removeItem(at: work.deletingLastPathComponent().deletingLastPathComponent()) }
    }

    /// Runs dsod train in `work`; when `interruptAfter` is set, sends SIGINT once that many
    /// "Iteration N, lr" lines have been logged. Returns the exit status and the log.
    private func train(_ binary: URL, _ arguments: [String], interruptAfter: Int? = nil) throws -> (Int32, [String]) {
        let process = Process()
        process.executableURL = binary
        process.arguments = ["train"] + arguments
        process.currentDirectoryURL = work
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var lines: [String] = []
        var pending = ""
        var rates = 0
        while true {
            let chunk = err.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            pending += String(decoding: chunk, as: UTF8.self)
            while let newline = pending.firstIndex(of: "\n") {
                let line = String(pending[..<newline])
                pending.removeSubrange(...newline)
                lines.append(line)
                if line.contains("sgd_solver.cpp:138] Iteration") {
                    rates += 1
                    if rates == interruptAfter { process.interrupt() }
                }
            }
        }
        process.waitUntilExit()
        return (process.terminationStatus, lines)
    }

    /// The unsmoothed per-iteration outputs ("Train net output #0: mbox_loss = X") by iteration.
    private func outputs(_ lines: [String]) -> [Int: String] {
        var result: [Int: String] = [:]
        var iteration: Int?
        for line in lines {
            if let range = line.range(of: "solver.cpp:243] Iteration ") {
                iteration = Int(line[range.upperBound...].prefix { $0.isNumber })
            } else if line.contains("Train net output #0"), let iteration {
                result[iteration] = line.components(separatedBy: "Train net output #0: ").last
            }
        }
        return result
    }

    func testInterruptedAndResumedRunMatchesUninterrupted() throws {
        guard let binary = TestPaths.builtExecutable("dsod", besideBundleOf: Self.self) else {
            throw XCTSkip("dsod not built beside the tests")
        }
        work = try TestPaths.tinyDSODScratchCopy()
        var solver = try CaffeFiles.readSolver(work.appendingPathComponent("solver.prototxt").path)
        solver.maxIter = 12
        solver.snapshot = 0
        solver.testInterval = 1000
        solver.testInitialization = false
        try CaffeFiles.write(solver, to: work.appendingPathComponent("solver.prototxt").path)

        let (fullStatus, fullLog) = try train(binary, ["--solver", "solver.prototxt", "--weights", "init.caffemodel"])
        XCTAssertEqual(fullStatus, 0, fullLog.suffix(3).joined(separator: "\n"))
        let full = try CaffeFiles.read(work.appendingPathComponent("snapshots/tiny_dsod_iter_12.caffemodel").path, as: Caffe_NetParameter.self)
        try FileManager.default.removeItem(at: work.appendingPathComponent("snapshots"))
        try FileManager.default.createDirectory(at: work.appendingPathComponent("snapshots"), withIntermediateDirectories: true)

        let (stopStatus, stopLog) = try train(binary, ["--solver", "solver.prototxt", "--weights", "init.caffemodel"], interruptAfter: 5)
        XCTAssertEqual(stopStatus, 0, stopLog.suffix(3).joined(separator: "\n"))
        XCTAssertTrue(stopLog.contains { $0.contains("Optimization stopped early.") }, stopLog.suffix(5).joined(separator: "\n"))
        let states = try FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent("snapshots").path).filter { $0.hasSuffix(".solverstate") }
        XCTAssertEqual(states.count, 1, "\(states)")
        let state = try XCTUnwrap(states.first)
        XCTAssertFalse(state.hasSuffix("_iter_12.solverstate"), "the run should have stopped early")

        let (resumeStatus, resumeLog) = try train(binary, ["--solver", "solver.prototxt", "--snapshot", "snapshots/" + state])
        XCTAssertEqual(resumeStatus, 0, resumeLog.suffix(3).joined(separator: "\n"))
        let resumed = try CaffeFiles.read(work.appendingPathComponent("snapshots/tiny_dsod_iter_12.caffemodel").path, as: Caffe_NetParameter.self)
        XCTAssertEqual(resumed.layer.map(\.blobs), full.layer.map(\.blobs), "resumed weights differ from the uninterrupted run's")
        let fullOutputs = outputs(fullLog), resumedOutputs = outputs(stopLog).merging(outputs(resumeLog)) { _, new in new }
        XCTAssertEqual(resumedOutputs, fullOutputs)
    }
}
