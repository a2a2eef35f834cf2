import XCTest
import Foundation
@testable import DSODCommands
import CaffeProto
import DataPipeline
import Layers
import Runtime
import TestSupport

/// The README's main job, shortened (16 training images, 4 test images, 20 iterations): every
/// stage runs through the same functions as `dsod demo` and leaves valid outputs behind.
final class DemoEndToEndTests: XCTestCase {
    func testShortDemoProducesEveryOutput() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("demo-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let summary = try DemoCommand.run(out: folder, train: 16, test: 4, maxIter: 20, seed: 3, draw: 2, echo: false)
        XCTAssertTrue(summary.first?.hasPrefix("mAP (11point): ") == true, summary.joined(separator: "\n"))

        // The LMDBs read back with every record.
        XCTAssertEqual(try LMDBReader(path: folder + "/synth/trainval_lmdb").count(), 16)
        XCTAssertEqual(try LMDBReader(path: folder + "/synth/test_lmdb").count(), 4)

        // The snapshot reloads into the deploy net.
        let weights = folder + "/snapshots/DSOD_tiny_synth_iter_20.caffemodel"
        var deploy = try CaffeFiles.readNet(folder + "/deploy.prototxt")
        for i in deploy.layer.indices { deploy.layer[i].detectionOutputParam.clearSaveOutputParam() }
        let net = try Net(parameter: deploy, phase: .test, registry: .standard)
        let report = try net.loadWeights(from: weights)
        XCTAssertEqual(report.layersWithoutWeights, [])
        XCTAssertGreaterThan(report.loadedLayers.count, 50)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/snapshots/DSOD_tiny_synth_iter_20.solverstate"))

        // The score is a valid mAP with a row per class.
        let score = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/score.json"))) as? [String: Any]
        let mAP = try XCTUnwrap(score?["mAP"] as? Double)
        XCTAssertTrue((0...1).contains(mAP))
        XCTAssertEqual((score?["classes"] as? [Any])?.count, 5)

        // The pictures decode: detections drawn on two test images, and the training curves.
        let drawn = try FileManager.default.contentsOfDirectory(atPath: folder + "/detections").sorted()
        XCTAssertEqual(drawn, ["000017_detections.png", "000018_detections.png"])
        for file in drawn.map({ folder + "/detections/" + $0 }) + [folder + "/training.png"] {
            let image = try PNGDecoder.decode(try CaffeFiles.contents(of: file), mode: .color, source: file)
            XCTAssertGreaterThan(image.width * image.height, 0, file)
        }
        let first = try PNGDecoder.decode(try CaffeFiles.contents(of: folder + "/detections/000017_detections.png"), mode: .color, source: "")
        let original = try JPEGCodec.decode(try CaffeFiles.contents(of: folder + "/synth/JPEGImages/000017.jpg"), mode: .color, source: "")
        XCTAssertEqual([first.width, first.height], [original.width, original.height])

        // The log is Caffe's: parse_log-style rows for every 10th iteration and the test.
        let log = TrainingLog(text: try String(contentsOfFile: folder + "/train.log", encoding: .utf8))
        XCTAssertEqual(log.train.map(\.iteration), [0, 10, 20])
        XCTAssertEqual(log.test.map(\.iteration), [4, 8, 12, 16, 20])
    }
}
