import Detection
import Runtime
import TestSupport
import XCTest

final class DetectionScoringTests: XCTestCase {
    /// Rows of one hand-made DetectionEvaluate output: count rows then detection rows.
    func rows(counts: [Int: Int], detections: [(label: Int, score: Float, tp: Int, fp: Int)]) -> [Float] {
        var out: [Float] = []
        for label in counts.keys.sorted() { out += [-1, Float(label), Float(counts[label] ?? 0), -1, -1] }
        for d in detections { out += [0, Float(d.label), d.score, Float(d.tp), Float(d.fp)] }
        return out
    }

    func testPerfectDetectionsScoreOne() throws {
        var accumulator = DetectionScoreAccumulator()
        try accumulator.add(rows: rows(counts: [1: 1, 2: 1], detections: [(1, 0.9, 1, 0), (2, 0.8, 1, 0)]))
        try accumulator.add(rows: rows(counts: [1: 1, 2: 0], detections: [(1, 0.7, 1, 0)]))
        for version in APVersion.allCases {
            let score = try XCTUnwrap(try accumulator.score(apVersion: version))
            XCTAssertEqual(score.mAP, 1, accuracy: 2e-7, "\(version)")
            XCTAssertEqual(score.missingLabels, [])
        }
    }

    func testEveryCountedClassIsInTheDenominator() throws {
        var accumulator = DetectionScoreAccumulator()
        // Class 2 has ground truth but no detection, class 3 neither: both count.
        try accumulator.add(rows: rows(counts: [1: 2, 2: 1, 3: 0],
                                       detections: [(1, 0.9, 1, 0), (1, 0.8, 0, 1), (1, 0.7, 1, 0), (1, 0.6, 0, 0)]))
        let score = try XCTUnwrap(try accumulator.score(apVersion: .integral))
        // The tp = fp = 0 row (difficult match) is skipped: AP = 1 x 1/2 + 2/3 x 1/2.
        XCTAssertEqual(score.classes.map(\.label), [1, 2, 3])
        XCTAssertEqual(score.missingLabels, [2, 3])
        XCTAssertEqual(score.mAP, Float(5.0 / 6.0) / 3, accuracy: 1e-6)
        XCTAssertEqual(score.logLines(outputIndex: 0, outputName: "detection_eval", showPerClassResult: true), [
            "class1: 0.833333",
            "Missing true_pos for label: 2",
            "Missing true_pos for label: 3",
            "    Test net output #0: detection_eval = 0.277778",
        ])
    }

    func testClassWithDetectionsButNoGroundTruthScoresZero() throws {
        var accumulator = DetectionScoreAccumulator()
        try accumulator.add(rows: rows(counts: [1: 1, 2: 0], detections: [(1, 0.9, 1, 0), (2, 0.5, 0, 1)]))
        let score = try XCTUnwrap(try accumulator.score(apVersion: .maxIntegral))
        XCTAssertEqual(score.classes, [ClassAveragePrecision(label: 1, ap: 1), ClassAveragePrecision(label: 2, ap: 0)])
        XCTAssertEqual(score.mAP, 0.5)
    }

    func testNoOutcomesNoScoreAndBadRowsAreErrors() throws {
        var accumulator = DetectionScoreAccumulator()
        try accumulator.add(rows: rows(counts: [1: 3], detections: []))
        XCTAssertNil(try accumulator.score(apVersion: .elevenPoint))
        XCTAssertThrowsError(try accumulator.add(rows: [0, 1, 0.5, 1]))
        XCTAssertThrowsError(try accumulator.add(rows: [0, .nan, 0.5, 1, 0]))
        var withoutCounts = DetectionScoreAccumulator()
        try withoutCounts.add(rows: [0, 1, 0.5, 1, 0])
        XCTAssertThrowsError(try withoutCounts.score(apVersion: .integral))
    }

    func testCaffeFloatPrinting() {
        XCTAssertEqual(DetectionScore.caffeFloatString(0.0075757578), "0.00757576")
        XCTAssertEqual(DetectionScore.caffeFloatString(0), "0")
        XCTAssertEqual(DetectionScore.caffeFloatString(0.5), "0.5")
        XCTAssertEqual(DetectionScore.caffeFloatString(1.0000001), "1")
    }

    // MARK: golden: eval/tiny_dsod_voc_mini

    /// The stored DetectionEvaluate rows of the two test batches, scored per ap_version, give
    /// the mAP and per-class APs of Caffe's score runs (float32 values of the numpy port
    /// checked against Caffe, and the logged strings).
    func testGoldenEvalScoresFromStoredRows() throws {
        let root = TestPaths.golden("eval/tiny_dsod_voc_mini")
        try GoldenData.requireFolder(root)
        var reproduced = 0
        for sub in ["", "longer_300"] {
            let folder = sub.isEmpty ? root : root.appendingPathComponent(sub)
            let results = try GoldenData.json(folder.appendingPathComponent("results.json"))
            let pycaffe = try XCTUnwrap(results["pycaffe"] as? [String: Any])
            let runs = try XCTUnwrap(results["runs"] as? [String: Any])
            for (mode, runSuffix) in [("direct", "_display0"), ("train_forward", "")] {
                var accumulator = DetectionScoreAccumulator()
                for batch in 0..<2 {
                    let rows = try GoldenData.npy(folder.appendingPathComponent("batches/\(mode)/batch\(batch)_detection_eval.npy"))
                    try accumulator.add(rows: rows.values)
                }
                let expected = try XCTUnwrap(pycaffe[mode] as? [String: Any])
                let expectedMAP = try XCTUnwrap(expected["mAP"] as? [String: Double])
                let expectedPerClass = try XCTUnwrap(expected["per_class_AP"] as? [String: [String: Double]])
                for version in APVersion.allCases {
                    let score = try XCTUnwrap(try accumulator.score(apVersion: version))
                    let context = "\(sub) \(mode) \(version.rawValue)"
                    XCTAssertEqual(score.classes.count, 20, context)
                    XCTAssertEqual(score.mAP, Float(try XCTUnwrap(expectedMAP[version.rawValue])), context)
                    let perClass = try XCTUnwrap(expectedPerClass[version.rawValue])
                    for entry in score.classes {
                        XCTAssertEqual(entry.ap.map(Double.init), perClass[String(entry.label)].map { Double(Float($0)) }, "\(context) class \(entry.label)")
                    }
                    // What `caffe train` logged for the same rows.
                    let run = try XCTUnwrap(runs["score_\(version.rawValue)\(runSuffix)"] as? [String: Any])
                    XCTAssertEqual(DetectionScore.caffeFloatString(score.mAP), run["mAP_logged"] as? String, context)
                    XCTAssertEqual(score.missingLabels, run["missing_true_pos"] as? [Int], context)
                    let logged = try XCTUnwrap(run["per_class_AP_logged"] as? [String: String])
                    for entry in score.classes where entry.ap != nil {
                        XCTAssertEqual(entry.ap.map(DetectionScore.caffeFloatString), logged[String(entry.label)], "\(context) class \(entry.label)")
                    }
                    if abs(score.mAP - Float(try XCTUnwrap(expectedMAP[version.rawValue]))) < 1e-4 { reproduced += 1 }
                }
            }
        }
        XCTAssertEqual(reproduced, 12)
    }

    /// detectionevaluate_solver_map: the five stored DetectionEvaluate outputs scored as the
    /// real `caffe train` TestDetection did (mAP float32 bits and the log lines).
    func testGoldenSolverMAP() throws {
        let folder = GoldenData.layerCase("detectionevaluate_solver_map")
        try GoldenData.requireFolder(folder)
        let expected = try GoldenData.json(folder.appendingPathComponent("expected.json"))
        let outputs = try (0..<5).map {
            try GoldenData.npy(folder.appendingPathComponent("iter_\($0)/top/detection_eval.npy")).values
        }
        for version in APVersion.allCases {
            let entry = try XCTUnwrap(expected[version.rawValue] as? [String: Any])
            let score = try XCTUnwrap(try DetectionScoreAccumulator.score(passOutputs: outputs, apVersion: version))
            let hex = try XCTUnwrap(entry["mAP_float32_hex"] as? String)
            XCTAssertEqual("0x" + String(score.mAP.bitPattern, radix: 16), hex, version.rawValue)
            XCTAssertEqual(score.classes.map(\.label), entry["classes_in_denominator"] as? [Int])
            let perClass = try XCTUnwrap(entry["per_class_AP"] as? [String: Double])
            for c in score.classes where c.ap != nil {
                XCTAssertEqual(c.ap, perClass[String(c.label)].map(Float.init), "\(version.rawValue) class \(c.label)")
            }
            XCTAssertEqual(score.logLines(outputIndex: 0, outputName: "detection_eval", showPerClassResult: true),
                           entry["caffe_log"] as? [String], version.rawValue)
        }
    }
}
