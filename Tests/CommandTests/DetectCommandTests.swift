import XCTest
import Foundation
import TestSupport

/// `dsod detect` through the binary on a real photo with DSOD300 and Caffe-written weights: the
/// printed detections and the JSON agree, and the annotated image is written.
final class DetectCommandTests: XCTestCase {
    private func run(_ binary: URL, _ arguments: [String]) throws -> (Int32, String, String) {
        let outcome = try ChildProcess.run(binary.path, arguments, timeout: 300)
        return (outcome.exitCode ?? -1, outcome.stdout, outcome.stderr)
    }

    func testPrintedAndJSONDetectionsAgree() throws {
        guard let binary = TestPaths.builtExecutable("dsod", besideBundleOf: Self.self) else { throw XCTSkip("dsod not built beside the tests") }
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("detect-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let image = TestPaths.shared.appendingPathComponent("images/astronaut.jpg").path
        let common = ["detect", "--model", TestPaths.repoRoot.appendingPathComponent("prototxt/DSOD300_pascal/deploy.prototxt").path,
                      "--weights", TestPaths.golden("nets/dsod300_deploy/weights.caffemodel").path,
                      "--labelmap", TestPaths.repoRoot.appendingPathComponent("Models/labelmap_voc.prototxt").path, "--threshold", "0.2"]
        let (status, printed, errors) = try run(binary, common + ["--out", out, image])
        XCTAssertEqual(status, 0, errors)
        let (jsonStatus, json, _) = try run(binary, common + ["--json", image])
        XCTAssertEqual(jsonStatus, 0)
        let parsed = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
        let detections = try XCTUnwrap(parsed.first?["detections"] as? [[String: Any]])
        let fromJSON = detections.map { d in
            "\(image) \(d["label"]!) \(d["name"]!) \(String(format: "%.4f", (d["score"] as! NSNumber).doubleValue)) \(d["xmin"]!) \(d["ymin"]!) \(d["xmax"]!) \(d["ymax"]!)"
        }
        XCTAssertFalse(fromJSON.isEmpty)
        XCTAssertEqual(printed.split(separator: "\n").map(String.init), fromJSON)
        XCTAssertEqual(parsed.first?["width"] as? Int, 512)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/astronaut_detections.png"))
        // A bad image is one clear error.
        let (badStatus, _, badError) = try run(binary, common + [TestPaths.repoRoot.appendingPathComponent("README.md").path])
        XCTAssertNotEqual(badStatus, 0)
        XCTAssertTrue(badError.contains("README.md"), badError)
    }
}
