import Detection
import Runtime
import TestSupport
import XCTest

/// The SSD layer cases of golden/layers fed straight into the Detection cores: the case's
/// bottom .npy arrays in, the top .npy compared.
final class GoldenLayerCoreTests: XCTestCase {
    // MARK: PriorBox

    func priorBoxSettings(_ p: [String: Any]) -> PriorBoxSettings {
        func floats(_ key: String) -> [Float] { ((p[key] as? [Double]) ?? []).map(Float.init) }
        func float(_ key: String) -> Float? { (p[key] as? Double).map(Float.init) }
        return PriorBoxSettings(minSizes: floats("min_size"), maxSizes: floats("max_size"), aspectRatios: floats("aspect_ratio"),
                                flip: (p["flip"] as? Bool) ?? true, clip: (p["clip"] as? Bool) ?? false,
                                variances: floats("variance"), imageSize: p["img_size"] as? Int, imageHeight: p["img_h"] as? Int,
                                imageWidth: p["img_w"] as? Int, step: float("step"), stepHeight: float("step_h"),
                                stepWidth: float("step_w"), offset: float("offset") ?? 0.5)
    }

    /// DSOD300's six PriorBox layers, as in the case's net.prototxt (copied from DSOD300's
    /// test net): min, max, aspect ratios, step; variances 0.1 0.1 0.2 0.2, flip, no clip.
    static let dsod300Heads: [(name: String, min: Float, max: Float, ratios: [Float], step: Float)] = [
        ("First_norm", 30, 60, [2], 8), ("Second_norm", 60, 111, [2, 3], 16), ("Third_norm", 111, 162, [2, 3], 32),
        ("Fourth_norm", 162, 213, [2, 3], 64), ("Fifth_norm", 213, 264, [2], 100), ("Sixth_norm", 264, 315, [2], 300),
    ]

    func testPriorBoxCasesAreBitExact() throws {
        let cases = GoldenData.layerCases(prefix: "priorbox_")
        try XCTSkipIf(cases.isEmpty, "golden data not found")
        var passed = 0
        for folder in cases {
            let name = folder.lastPathComponent
            let json = try GoldenData.caseJSON(folder)
            let image = try GoldenData.npy(folder.appendingPathComponent("bottom/data.npy"))
            var tops: [(String, PriorBoxSettings, [Int])] = []
            if let params = json["params"] as? [String: Any] {
                let feat = try GoldenData.npy(folder.appendingPathComponent("bottom/feat.npy"))
                tops.append(("priorbox", priorBoxSettings(params), feat.shape))
            } else {
                for head in Self.dsod300Heads {
                    let feat = try GoldenData.npy(folder.appendingPathComponent("bottom/\(head.name).npy"))
                    let settings = PriorBoxSettings(minSizes: [head.min], maxSizes: [head.max], aspectRatios: head.ratios,
                                                    flip: true, clip: false, variances: [0.1, 0.1, 0.2, 0.2], step: head.step, offset: 0.5)
                    tops.append(("\(head.name)_mbox_priorbox", settings, feat.shape))
                }
            }
            var allPass = true
            var concatenated: [[Float]] = [[], []]
            for (top, settings, featShape) in tops {
                let generator = try PriorBoxGenerator(settings: settings)
                let ours = try generator.generate(layerHeight: featShape[2], layerWidth: featShape[3],
                                                  imageHeight: image.shape[2], imageWidth: image.shape[3])
                let caffe = try GoldenData.npy(folder.appendingPathComponent("top/\(top).npy"))
                XCTAssertEqual(caffe.shape, [1, 2, ours.count / 2], "\(name) \(top)")
                let exact = ours == caffe.values
                XCTAssertTrue(exact, "\(name) \(top): \(toleranceViolation(ours: ours, caffe: caffe.values, atol: 0, rtol: 0) ?? "")")
                allPass = allPass && exact
                concatenated[0] += ours[0..<(ours.count / 2)]
                concatenated[1] += ours[(ours.count / 2)...]
            }
            if tops.count > 1 {
                let caffe = try GoldenData.npy(folder.appendingPathComponent("top/mbox_priorbox.npy"))
                XCTAssertEqual(caffe.shape, [1, 2, 34976])
                XCTAssertEqual(concatenated[0] + concatenated[1], caffe.values, "\(name) mbox_priorbox")
                allPass = allPass && concatenated[0] + concatenated[1] == caffe.values
            }
            if allPass { passed += 1 }
        }
        XCTAssertEqual(passed, cases.count, "PriorBox cases reproduced bit for bit")
        print("PriorBox golden cases reproduced: \(passed)/\(cases.count)")
    }

    func testPriorBoxSetupChecksBecomeErrors() {
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [])))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [30], maxSizes: [20])))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [30], variances: [0.1, 0.2])))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [30], imageSize: 300, imageHeight: 300)))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [30], imageHeight: 300)))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [.infinity])))
        XCTAssertThrowsError(try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [30])).generate(layerHeight: 0, layerWidth: 3, imageHeight: 30, imageWidth: 30))
    }

    // MARK: DetectionOutput

    func detectionOutputSettings(_ p: [String: Any]) throws -> DetectionOutputSettings {
        let codeTypes: [String: BoxCodeType] = ["CORNER": .corner, "CENTER_SIZE": .centerSize, "CORNER_SIZE": .cornerSize]
        let codeType = try XCTUnwrap(codeTypes[(p["code_type"] as? String) ?? "CORNER"])
        return DetectionOutputSettings(
            numClasses: try XCTUnwrap(p["num_classes"] as? Int), shareLocation: (p["share_location"] as? Bool) ?? true,
            backgroundLabelId: (p["background_label_id"] as? Int) ?? 0,
            coder: BoxCoder(codeType: codeType, varianceEncodedInTarget: (p["variance_encoded_in_target"] as? Bool) ?? false),
            keepTopK: (p["keep_top_k"] as? Int) ?? -1,
            confidenceThreshold: (p["confidence_threshold"] as? Double).map(Float.init) ?? -Float.greatestFiniteMagnitude,
            nmsThreshold: (p["nms_threshold"] as? Double).map(Float.init) ?? 0.3, eta: (p["eta"] as? Double).map(Float.init) ?? 1,
            topK: (p["top_k"] as? Int) ?? -1)
    }

    func testDetectionOutputCases() throws {
        let cases = GoldenData.layerCases(prefix: "detectionoutput_")
        try XCTSkipIf(cases.isEmpty, "golden data not found")
        var passed = 0
        for folder in cases {
            let name = folder.lastPathComponent
            let json = try GoldenData.caseJSON(folder)
            let settings = try detectionOutputSettings(try XCTUnwrap(json["params"] as? [String: Any]))
            let loc = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_loc.npy"))
            let conf = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_conf_flatten.npy"))
            let priors = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_priorbox.npy"))
            if json["expected_error"] != nil {
                XCTAssertThrowsError(try DetectionOutputCore(settings: settings), name) { error in
                    XCTAssertTrue("\(error)".contains("Could not find location predictions for label -1"), "\(error)")
                }
                passed += 1
                continue
            }
            let core = try DetectionOutputCore(settings: settings)
            let result = try core.detect(loc: loc.values, conf: conf.values, priorData: priors.values, num: loc.shape[0])
            let caffe = try GoldenData.npy(folder.appendingPathComponent("top/detection_out.npy"))
            XCTAssertEqual(caffe.shape, [1, 1, result.rowCount, 7], name)
            let difference = rowDifference(ours: result.rows, caffe: caffe.values, width: 7, exactColumns: 3,
                                           atol: GoldenData.forwardAtol(json))
            XCTAssertNil(difference, name)
            if difference == nil { passed += 1 }
        }
        XCTAssertEqual(passed, cases.count)
        print("DetectionOutput golden cases reproduced: \(passed)/\(cases.count)")
    }

    // MARK: DetectionEvaluate

    func evaluateSettings(_ p: [String: Any], folder: URL) throws -> DetectionEvaluateSettings {
        var sizes: [ImageSize] = []
        if let file = p["name_size_file"] as? String {
            sizes = try NameSizeFile(contentsOf: folder.appendingPathComponent(file).path).sizes
        }
        return DetectionEvaluateSettings(numClasses: try XCTUnwrap(p["num_classes"] as? Int),
                                         backgroundLabelId: (p["background_label_id"] as? Int) ?? 0,
                                         overlapThreshold: (p["overlap_threshold"] as? Double).map(Float.init) ?? 0.5,
                                         evaluateDifficultGT: (p["evaluate_difficult_gt"] as? Bool) ?? true, nameSizes: sizes)
    }

    func testDetectionEvaluateCases() throws {
        var passed = 0, total = 0
        for name in ["detectionevaluate_name_size_multi_batch", "detectionevaluate_normalized_difficult"] {
            let folder = GoldenData.layerCase(name)
            try GoldenData.requireFolder(folder)
            total += 1
            let json = try GoldenData.caseJSON(folder)
            var evaluator = try DetectionEvaluator(settings: try evaluateSettings(try XCTUnwrap(json["params"] as? [String: Any]), folder: folder))
            let iterations = (json["iterations"] as? Int) ?? 1
            var allMatch = true
            for k in 0..<iterations {
                let base = iterations > 1 ? folder.appendingPathComponent("iter_\(k)") : folder
                let detections = try GoldenData.npy(base.appendingPathComponent("bottom/detection_out.npy"))
                let labels = try GoldenData.npy(base.appendingPathComponent("bottom/label.npy"))
                let caffe = try GoldenData.npy(base.appendingPathComponent("top/detection_eval.npy"))
                let ours = try evaluator.evaluate(detections: detections.values, groundTruth: labels.values)
                let difference = rowDifference(ours: ours, caffe: caffe.values, width: 5, exactColumns: 5, atol: 0)
                XCTAssertNil(difference, "\(name) forward \(k)")
                allMatch = allMatch && difference == nil
            }
            if allMatch { passed += 1 }
        }
        XCTAssertEqual(passed, total)
        print("DetectionEvaluate golden cases reproduced: \(passed)/\(total)")
    }

    /// The test batches of eval/tiny_dsod_voc_mini: DetectionOutput rows and labels of the real
    /// test net through one evaluator (name-size index running across the two batches), as
    /// the test net's DetectionEvaluate layer (num_classes 21, difficult not evaluated).
    func testEvalBatchesThroughTheEvaluator() throws {
        let root = TestPaths.golden("eval/tiny_dsod_voc_mini")
        try GoldenData.requireFolder(root)
        let sizes = try NameSizeFile(contentsOf: TestPaths.golden("lmdb/voc_mini/test_name_size.txt").path).sizes
        XCTAssertEqual(sizes.count, 4)
        var runs = 0
        for sub in ["", "longer_300"] {
            for mode in ["direct", "train_forward"] {
                let folder = (sub.isEmpty ? root : root.appendingPathComponent(sub)).appendingPathComponent("batches/\(mode)")
                var evaluator = try DetectionEvaluator(settings: DetectionEvaluateSettings(
                    numClasses: 21, backgroundLabelId: 0, overlapThreshold: 0.5, evaluateDifficultGT: false, nameSizes: sizes))
                for batch in 0..<2 {
                    let detections = try GoldenData.npy(folder.appendingPathComponent("batch\(batch)_detection_out.npy"))
                    let labels = try GoldenData.npy(folder.appendingPathComponent("batch\(batch)_label.npy"))
                    let caffe = try GoldenData.npy(folder.appendingPathComponent("batch\(batch)_detection_eval.npy"))
                    let ours = try evaluator.evaluate(detections: detections.values, groundTruth: labels.values)
                    XCTAssertNil(rowDifference(ours: ours, caffe: caffe.values, width: 5, exactColumns: 5, atol: 0), "\(sub) \(mode) batch \(batch)")
                }
                runs += 1
            }
        }
        XCTAssertEqual(runs, 4)
    }

    func testNameSizeFileReadsLikeCxxStreams() {
        let file = NameSizeFile(text: "a 10 20\n  b\t30 40 c 5 x d 1 2")
        XCTAssertEqual(file.names, ["a", "b"])
        XCTAssertEqual(file.sizes, [ImageSize(height: 10, width: 20), ImageSize(height: 30, width: 40)])
        XCTAssertThrowsError(try NameSizeFile(contentsOf: "/nonexistent/name_size.txt"))
    }
}

final class VOCResultTests: XCTestCase {
    static let vocClasses = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
                             "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]

    /// The VOC files DetectionOutput wrote in the score runs of eval/tiny_dsod_voc_mini, from
    /// the stored DetectionOutput rows of the same runs.
    func testGoldenVOCFilesFromStoredRows() throws {
        let root = TestPaths.golden("eval/tiny_dsod_voc_mini")
        try GoldenData.requireFolder(root)
        let nameSize = try NameSizeFile(contentsOf: TestPaths.golden("lmdb/voc_mini/test_name_size.txt").path)
        var labelNames: [Int: String] = [0: "none_of_the_above"]
        for (i, name) in Self.vocClasses.enumerated() { labelNames[i + 1] = name }
        var filesChecked = 0
        for (mode, results) in [("train_forward", "results_display10"), ("direct", "results_display0")] {
            var collector = try VOCResultCollector(labelNames: labelNames, numClasses: 21, backgroundLabelId: 0,
                                                   names: nameSize.names, sizes: nameSize.sizes, numTestImages: 4)
            var files: [String: String]?
            for batch in 0..<2 {
                let rows = try GoldenData.npy(root.appendingPathComponent("batches/\(mode)/batch\(batch)_detection_out.npy"))
                let produced = try collector.add(rows: rows.values, batchSize: 2)
                XCTAssertEqual(produced == nil, batch == 0, "files are written when the 4th image is done")
                files = produced ?? files
            }
            let written = try XCTUnwrap(files)
            XCTAssertEqual(Set(written.keys), Set(Self.vocClasses))
            for name in Self.vocClasses {
                let path = root.appendingPathComponent("\(results)/comp4_det_test_\(name).txt").path
                let caffe = String(decoding: try XCTUnwrap(FileManager.default.contents(atPath: path)), as: UTF8.self)
                XCTAssertEqual(written[name], caffe, "\(results) \(name)")
                filesChecked += 1
            }
        }
        XCTAssertEqual(filesChecked, 40)
    }

    func testLineTruncatesAndWritesRightEdgeFromWidth() throws {
        // xmin 10.9 -> 10, width 20.3 -> 20: the right edge is 30 although int(xmax) is 31.
        let box = NormalizedBox(xmin: 0.109, ymin: 0, xmax: 0.312, ymax: 0.5)
        let line = try VOCResultCollector.line(name: "img", score: 0.25, box: box, imageSize: ImageSize(height: 100, width: 100), resize: nil)
        XCTAssertEqual(line, "img 0.25 10 0 30 50")
    }
}
