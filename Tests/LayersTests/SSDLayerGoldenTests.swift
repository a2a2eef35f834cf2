import Foundation
@testable import Layers
import Runtime
import TestSupport
import XCTest

/// The SSD cases of golden/layers (priorbox_*, detectionoutput_*, multiboxloss_*,
/// detectionevaluate_*, smoothl1loss_*) through the table-driven `GoldenLayerRunner` and the
/// standard registry (which includes `SSDLayers`), counted per layer type:
/// prints `SSD golden layer cases <type>: passed/total`.
final class SSDLayerGoldenTests: XCTestCase {
    static let prefixes = ["priorbox_", "detectionoutput_", "multiboxloss_", "detectionevaluate_", "smoothl1loss_"]

    func testEverySSDLayerCase() throws {
        let folders = TestPaths.subfolders(of: TestPaths.golden("layers")).filter { folder in
            Self.prefixes.contains { folder.lastPathComponent.hasPrefix($0) }
                && FileManager.default.fileExists(atPath: folder.appendingPathComponent("case.json").path)
        }
        try XCTSkipIf(folders.isEmpty, "golden data not found")
        let runner = GoldenLayerRunner(registry: .standard)
        var passed: [String: Int] = [:], total: [String: Int] = [:]
        for folder in folders {
            let goldenCase = try GoldenCase(folder: folder)
            guard goldenCase.type != "SolverTestDetection" else { continue }  // the Solver tests' case
            total[goldenCase.type, default: 0] += 1
            switch runner.run(goldenCase) {
            case .passed:
                passed[goldenCase.type, default: 0] += 1
            case .skipped(let reason, let types):
                XCTFail("\(goldenCase.name) skipped: \(reason) \(types)")
            case .failed(let messages):
                XCTFail("\(goldenCase.name): \(messages.joined(separator: "\n    "))")
            }
        }
        for type in total.keys.sorted() {
            print("SSD golden layer cases \(type): \(passed[type] ?? 0)/\(total[type] ?? 0)")
        }
        XCTAssertEqual(total.values.reduce(0, +), 38, "the SSD golden cases (5 PriorBox, 9 DetectionOutput, 19 MultiBoxLoss, 2 DetectionEvaluate, 3 SmoothL1Loss)")
    }
}
