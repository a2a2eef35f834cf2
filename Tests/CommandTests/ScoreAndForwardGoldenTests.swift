import XCTest
import Foundation
@testable import DSODCommands
import CaffeProto
import Runtime
import TestSupport

/// `dsod score` on golden/eval/tiny_dsod_voc_mini (Caffe's score runs of the tiny DSOD) and
/// `dsod forward` on the golden AnnotatedData net.
final class ScoreAndForwardGoldenTests: XCTestCase {
    private var work: URL!
    private var previousDirectory = ""

    /// The eval case folder copied beside links to the train and lmdb areas (the solvers' paths
    /// are relative to the working directory; DetectionOutput writes results/ into it).
    private func enterEvalCopy() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("eval-\(UUID().uuidString)")
        work = root.appendingPathComponent("eval/tiny_dsod_voc_mini")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        for area in ["train", "lmdb"] {
            try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(area), withDestinationURL: TestPaths.golden(area))
        }
        let source = TestPaths.golden("eval/tiny_dsod_voc_mini")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name.hasSuffix(".prototxt") {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: work.appendingPathComponent(name))
        }
        previousDirectory = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(work.path))
    }

    override func tearDownWithError() throws {
        if !previousDirectory.isEmpty { _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory) }
        if let work { try? FileManager.default.removeItem(at: work.deletingLastPathComponent().deletingLastPathComponent()) }
    }

    /// The mAP strings Caffe logged, per score solver.
    private func loggedMAP(_ solver: String) throws -> String {
        let log = try String(contentsOf: TestPaths.golden("eval/tiny_dsod_voc_mini/\((solver as NSString).deletingPathExtension).log"), encoding: .utf8)
        let line = try XCTUnwrap(log.split(separator: "\n").last { $0.contains("Test net output #0: detection_eval = ") })
        return String(line.components(separatedBy: "detection_eval = ").last ?? "")
    }

    func testScoreSolversGiveCaffesMAP() throws {
        try enterEvalCopy()
        let weights = "../../train/tiny_dsod/snapshots/tiny_dsod_iter_40.caffemodel"
        for solver in ["score_11point.prototxt", "score_MaxIntegral.prototxt", "score_Integral.prototxt",
                       "score_11point_display0.prototxt", "score_MaxIntegral_display0.prototxt", "score_Integral_display0.prototxt"] {
            let report = try ScoreCommand.score(solver: solver, model: nil, weights: weights, iterations: nil, apVersion: nil, echoLog: false)
            let caffe = try XCTUnwrap(Float(try loggedMAP(solver)))
            XCTAssertEqual(report.score.mAP, caffe, accuracy: 1e-4, solver)
            XCTAssertEqual(CaffeNumberString.g6(report.score.mAP), try loggedMAP(solver), solver)
        }
    }

    /// `--model` runs the test net alone, as the display-0 solver does.
    func testScoreModelMatchesTheDisplay0Run() throws {
        try enterEvalCopy()
        let weights = "../../train/tiny_dsod/snapshots/tiny_dsod_iter_40.caffemodel"
        let solver = try CaffeFiles.readSolver("score_11point_display0.prototxt")
        let testNet = solver.hasNet ? solver.net : solver.testNet[0]
        for version in ["11point", "MaxIntegral", "Integral"] {
            let report = try ScoreCommand.score(solver: nil, model: testNet, weights: weights, iterations: Int(solver.testIter[0]), apVersion: version, echoLog: false)
            XCTAssertEqual(CaffeNumberString.g6(report.score.mAP), try loggedMAP("score_\(version)_display0.prototxt"), version)
        }
    }

    func testForwardWritesTheAnnotatedDataTops() throws {
        let folder = TestPaths.golden("lmdb/annotated_data_test")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fwd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        previousDirectory = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        let command = try ForwardCommand.parse(["--model", "net.prototxt", "--blobs", "data,label", "--iterations", "2", "--out", out])
        let (written, _) = try command.forward(log: { _ in })
        XCTAssertEqual(written.map(\.blob), ["data", "label"])
        let label = try NumpyArray.read(out + "/label.npy")
        XCTAssertEqual(label, try NumpyArray.read(folder.appendingPathComponent("top/batch_1_label.npy").path))
        let data = try NumpyArray.read(out + "/data.npy")
        let stored = try NumpyArray.read(folder.appendingPathComponent("top/batch_1_data_plus_mean_u8.npy").path)
        let plane = stored.count / (stored.shape[0] * 3)
        XCTAssertEqual(data.values, stored.values.enumerated().map { i, v in v - [104, 117, 123][(i / plane) % 3] })
    }
}

/// `%g` with 6 significant digits, as Caffe's logs print floats.
enum CaffeNumberString {
    static func g6(_ v: Float) -> String { String(format: "%g", Double(v)) }
}
