import CaffeProto
@testable import DSODCommands
import Foundation
import Runtime
import TestSupport
import XCTest

/// Faults around `dsod train`: a full disk while snapshotting, a snapshot folder that is missing
/// or read-only, partial snapshots of a killed run, a loss that turns NaN, and `--debug-info`.
final class TrainFaultTests: XCTestCase {
    private var mounts: [String] = []

    override func tearDown() {
        for mount in mounts { _ = try? ChildProcess.run("/bin/umount", [mount], timeout: 30) }
        mounts = []
    }

    /// Mounts a tmpfs of `size` at a new folder (read-only with `readOnly`), or skips the test
    /// when this system does not allow it (mounting needs root and a permissive sandbox).
    private func mountTmpfs(size: String, readOnly: Bool = false) throws -> String {
        let point = NSTemporaryDirectory() + "tmpfs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: point, withIntermediateDirectories: true)
        let options = "size=\(size)" + (readOnly ? ",ro" : "")
        let outcome = try ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", options, "tmpfs", point], timeout: 30)
        guard outcome.exitCode == 0 else {
            throw XCTSkip("cannot mount a tmpfs here (needs root): \(outcome.stderr)")
        }
        mounts.append(point)
        return point
    }

    private func dsod() throws -> String {
        guard let binary = TestPaths.builtExecutable("dsod", besides: Self.self) else { throw XCTSkip("dsod is not built beside the tests") }
        return binary
    }

    /// A disk that fills up while snapshotting: a clear error naming the file and the reason,
    /// the last complete snapshot intact, no temporary file left.
    func testFullDiskWhileSnapshottingKeepsThePreviousSnapshot() throws {
        let disk = try mountTmpfs(size: "48k")
        let fixture = try TrainingFaultFixture(maxIter: 100, snapshotFolder: disk, createSnapshotFolder: false)
        defer { fixture.remove() }
        let outcome = try ChildProcess.run(try dsod(), ["train", "--solver", fixture.solver], directory: fixture.folder, timeout: 120)
        XCTAssertNotEqual(outcome.exitCode, 0, "training went on with a full disk")
        XCTAssertNil(outcome.signal, "crashed: \(outcome.stderr.suffix(1000))")
        let last = outcome.stderr.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertTrue(last.contains("No space left on device"), last)
        XCTAssertTrue(last.contains(disk + "/tiny_iter_"), last)
        XCTAssertTrue(last.contains("the previous file is unchanged") || last.contains("nothing was written"), last)
        XCTAssertEqual(fixture.temporaryFiles(), [])
        let states = fixture.snapshots(".solverstate")
        XCTAssertFalse(states.isEmpty, "no snapshot fitted at all; the test proves nothing")
        XCTAssertEqual(fixture.verifySnapshots(), [])
        // The newest complete state resumes elsewhere.
        let newest = try XCTUnwrap(states.max { $0.key < $1.key })
        let state = try CaffeFiles.read(newest.value, as: Caffe_SolverState.self)
        XCTAssertEqual(Int(state.iter), newest.key)
    }

    /// A read-only snapshot folder is reported before training starts.
    func testReadOnlySnapshotFolderIsReportedBeforeTraining() throws {
        let disk = try mountTmpfs(size: "64k", readOnly: true)
        let fixture = try TrainingFaultFixture(maxIter: 100, snapshotFolder: disk, createSnapshotFolder: false)
        defer { fixture.remove() }
        let outcome = try ChildProcess.run(try dsod(), ["train", "--solver", fixture.solver], directory: fixture.folder, timeout: 120)
        XCTAssertNotEqual(outcome.exitCode, 0)
        XCTAssertTrue(outcome.stderr.contains("cannot write snapshots to prefix '\(disk)/tiny'"), outcome.stderr)
        XCTAssertTrue(outcome.stderr.contains("Read-only file system"), outcome.stderr)
        XCTAssertFalse(outcome.stderr.contains("Iteration 0"), "training started before the check")
    }

    /// A missing snapshot folder is reported before training starts (in-process).
    func testMissingSnapshotFolderIsReportedBeforeTraining() throws {
        let fixture = try TrainingFaultFixture(maxIter: 5, snapshotFolder: "no_such_folder", createSnapshotFolder: false)
        defer { fixture.remove() }
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(fixture.folder)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let started = Date()
        XCTAssertThrowsError(try TrainCommand.train(solverPath: fixture.solver, weights: nil, snapshot: nil, iterations: nil, logPath: nil, echo: false)) { error in
            XCTAssertTrue("\(error)".contains("cannot write snapshots to prefix 'no_such_folder/tiny': the folder 'no_such_folder' does not exist"), "\(error)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.folder + "/no_such_folder"))
    }

    /// A temporary file left by a killed writer is removed when training starts again; one of a
    /// living process is not.
    func testStaleTemporarySnapshotsAreRemovedAtStart() throws {
        let fixture = try TrainingFaultFixture(maxIter: 2)
        defer { fixture.remove() }
        // A pid that cannot be alive (above Linux's pid_max limit of 2^22).
        let stale = fixture.snapshotFolder + "/.tiny_iter_7.caffemodel.tmp-9999999"
        let living = fixture.snapshotFolder + "/.tiny_iter_8.caffemodel.tmp-\(getpid())"
        FileManager.default.createFile(atPath: stale, contents: Data([1, 2, 3]))
        FileManager.default.createFile(atPath: living, contents: Data([1, 2, 3]))
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(fixture.folder)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let logPath = fixture.folder + "/train.log"
        try TrainCommand.train(solverPath: fixture.solver, weights: nil, snapshot: nil, iterations: nil, logPath: logPath, echo: false)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale))
        XCTAssertTrue(FileManager.default.fileExists(atPath: living))
        let log = try String(contentsOfFile: logPath, encoding: .utf8)
        XCTAssertTrue(log.contains("Removed snaps/.tiny_iter_7.caffemodel.tmp-9999999, a snapshot an interrupted run did not finish writing"), log)
    }

    /// writeAtomically over an existing file that fails part-way keeps the old file whole.
    func testFailedAtomicWriteKeepsThePreviousFile() throws {
        let disk = try mountTmpfs(size: "16k")
        let path = disk + "/weights.caffemodel"
        try CaffeFiles.writeAtomically(Data(repeating: 7, count: 4000), to: path)
        XCTAssertThrowsError(try CaffeFiles.writeAtomically(Data(repeating: 9, count: 64_000), to: path)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ": cannot write ("), text)
            XCTAssertTrue(text.contains("No space left on device; the previous file is unchanged"), text)
        }
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), Data(repeating: 7, count: 4000))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: disk), ["weights.caffemodel"])
    }

    /// A loss that becomes NaN stops training with the iteration and the first layer whose
    /// output went bad.
    func testNonFiniteLossNamesTheLayerAndIteration() throws {
        let fixture = try TrainingFaultFixture(maxIter: 50, baseLR: "1e30")
        defer { fixture.remove() }
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(fixture.folder)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        XCTAssertThrowsError(try TrainCommand.train(solverPath: fixture.solver, weights: nil, snapshot: nil, iterations: nil, logPath: nil, echo: false)) { error in
            let text = "\(error)"
            let pattern = #"the loss became (-?nan|-?inf) at iteration [1-9][0-9]*; the first layer with a non-finite output is '(conv1|relu1|pool1|ip1|loss)' \("#
            XCTAssertNotNil(text.range(of: pattern, options: .regularExpression), text)
            XCTAssertTrue(text.hasPrefix(fixture.solver + ": "), text)
        }
    }

    /// `--debug-info` logs Caffe's per-layer lines on display iterations; the data layer's value
    /// is the mean |pixel| / 256 of the three images, computed from golden/formats/mean.
    func testDebugInfoLogsPerLayerMagnitudes() throws {
        let fixture = try TrainingFaultFixture(maxIter: 2)
        defer { fixture.remove() }
        let cwd = FileManager.default.currentDirectoryPath
        FileManager.default.changeCurrentDirectoryPath(fixture.folder)
        defer { FileManager.default.changeCurrentDirectoryPath(cwd) }
        let logPath = fixture.folder + "/train.log"
        try TrainCommand.train(solverPath: fixture.solver, weights: nil, snapshot: nil, iterations: nil, logPath: logPath,
                               debugInfo: true, echo: false)
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map(String.init)
        func messages(_ prefix: String) -> [String] {
            lines.compactMap { line in line.range(of: "] ").map { String(line[$0.upperBound...]) } }.filter { $0.hasPrefix(prefix) }
        }
        // Display is every 10 iterations: iteration 0 and the final display forward.
        let dataLines = messages("    [Forward] Layer data, top blob data data: ")
        XCTAssertGreaterThanOrEqual(dataLines.count, 1, lines.joined(separator: "\n"))
        let datums = try NumpyArray.read(TestPaths.golden("formats/mean/datums.npy").path)
        let expected = datums.values.reduce(0) { $0 + Double(abs($1)) } / Double(datums.values.count) * 0.00390625
        let logged = try XCTUnwrap(Double(dataLines[0].split(separator: " ").last.map(String.init) ?? ""))
        XCTAssertEqual(logged, expected, accuracy: expected * 1e-5)
        for prefix in ["    [Forward] Layer conv1, top blob conv1 data: ", "    [Forward] Layer conv1, param blob 0 data: ",
                       "    [Forward] Layer ip1, param blob 1 data: ", "    [Forward] Layer loss, top blob loss data: ",
                       "    [Backward] Layer loss, bottom blob ip1 diff: ", "    [Backward] Layer ip1, param blob 0 diff: ",
                       "    [Backward] Layer conv1, param blob 1 diff: ", "    [Backward] All net params (data, diff): L1 norm = (",
                       "    [Update] Layer conv1, param 0 data: ", "    [Update] Layer ip1, param 1 data: "] {
            XCTAssertFalse(messages(prefix).isEmpty, "no line starting \"\(prefix)\"")
        }
        // Caffe logs the norms at ERROR level, the rest at INFO; nothing is logged for the data
        // layer's backward (it needs none).
        XCTAssertTrue(lines.contains { $0.hasPrefix("E") && $0.contains("net.cpp:736] ") && $0.contains("All net params") })
        XCTAssertTrue(lines.contains { $0.hasPrefix("I") && $0.contains("net.cpp:608] ") })
        XCTAssertTrue(messages("    [Backward] Layer data").isEmpty)
        let update = try XCTUnwrap(messages("    [Update] Layer conv1, param 0 data: ").first)
        XCTAssertNotNil(update.range(of: #"data: [0-9.e+-]+; diff: [0-9.e+-]+$"#, options: .regularExpression), update)
    }
}
