import CaffeProto
import Detection
import Foundation
@testable import Layers
import Runtime
import TestSupport
import XCTest

/// SSD layer behaviour beyond the single-forward golden cases: MultiBoxLoss's match lists kept
/// until backward, DetectionOutput's result files (VOC against the files Caffe wrote in the
/// score runs, COCO and ILSVRC formats), and the errors that replace Caffe's aborts.
final class SSDLayerBehaviourTests: XCTestCase {
    private func makeLayer(_ text: String) throws -> Layer {
        var registry = LayerRegistry()
        SSDLayers.register(into: &registry)
        let parameter = try CaffeText.parse(text, as: Caffe_LayerParameter.self, file: "<test>")
        return try registry.makeLayer(parameter, context: LayerContext(random: RandomSource()))
    }

    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ssd-layer-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func text(_ path: String) throws -> String {
        String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    }

    // MARK: MultiBoxLoss keeps its matches until backward

    /// The (image, prior) pairs whose location gradient is not zero: the matched priors.
    private func matchedPriors(_ diff: [Float], priors: Int) -> Set<[Int]> {
        var result = Set<[Int]>()
        for index in stride(from: 0, to: diff.count, by: 4) where diff[index..<(index + 4)].contains(where: { $0 != 0 }) {
            result.insert([index / 4 / priors, index / 4 % priors])
        }
        return result
    }

    func testSecondForwardWithoutBackwardUsesTheFirstForwardsMatches() throws {
        // use_prior_for_matching false: the matches depend on the location predictions.
        let folder = TestPaths.golden("layers/multiboxloss_match_decoded_predictions")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.path), "golden data not found")
        let net = try CaffeFiles.readNet(folder.appendingPathComponent("net.prototxt").path)
        let parameter = try XCTUnwrap(net.layer.first { $0.type == "MultiBoxLoss" })
        var registry = LayerRegistry()
        SSDLayers.register(into: &registry)
        let bottoms = try parameter.bottom.map { name -> Blob in
            let array = try NumpyArray.read(folder.appendingPathComponent("bottom/\(name).npy").path)
            return try Blob(shape: array.shape, values: array.values)
        }
        let numPriors = bottoms[2].count / 8
        let firstLoc = bottoms[0].dataArray()
        var secondLoc = firstLoc
        let random = RandomSource(seed: 7)
        for i in secondLoc.indices { secondLoc[i] += random.uniform(-1.5, 1.5) }
        let caffeFirst = matchedPriors(try NumpyArray.read(folder.appendingPathComponent("bottom_diff/mbox_loc.npy").path).values,
                                       priors: numPriors)

        func run(_ forwards: [[Float]]) throws -> Set<[Int]> {
            let layer = try registry.makeLayer(parameter, context: LayerContext(random: RandomSource()))
            let top = [try Blob()]
            try layer.setUp(bottom: bottoms, top: top)
            for loc in forwards {
                try bottoms[0].setData(loc)
                try layer.runForward(bottom: bottoms, top: top)
            }
            try layer.backward(top: top, propagateDown: [true, true, false, false], bottom: bottoms)
            return matchedPriors(bottoms[0].diffArray(), priors: numPriors)
        }
        let first = try run([firstLoc])
        let second = try run([secondLoc])
        XCTAssertEqual(first, caffeFirst, "one forward: Caffe's matches")
        XCTAssertNotEqual(second, first, "the perturbed predictions must match other priors, or this test shows nothing")
        XCTAssertEqual(try run([firstLoc, secondLoc]), first, "a second forward before backward keeps the first forward's matches")
        XCTAssertEqual(try run([secondLoc, firstLoc]), second)
        try bottoms[0].setData(firstLoc)
    }

    // MARK: DetectionOutput result files

    static let vocClasses = ["aeroplane", "bicycle", "bird", "boat", "bottle", "bus", "car", "cat", "chair", "cow", "diningtable",
                             "dog", "horse", "motorbike", "person", "pottedplant", "sheep", "sofa", "train", "tvmonitor"]

    func testVOCFilesOfTheGoldenScoreRuns() throws {
        let root = TestPaths.golden("eval/tiny_dsod_voc_mini")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: root.path), "golden data not found")
        let nameSize = try NameSizeFile(contentsOf: TestPaths.golden("lmdb/voc_mini/test_name_size.txt").path)
        var labelNames: [Int: String] = [0: "none_of_the_above"]
        for (i, name) in Self.vocClasses.enumerated() { labelNames[i + 1] = name }
        var compared = 0
        for (mode, results) in [("train_forward", "results_display10"), ("direct", "results_display0")] {
            let directory = try temporaryDirectory()
            var files = try DetectionResultFiles(directory: directory.path, prefix: "comp4_det_test_", format: "VOC",
                                                 labelNames: labelNames, numClasses: 21, backgroundLabelId: 0,
                                                 nameSize: nameSize, numTestImages: 4, resize: nil)
            for batch in 0..<2 {
                try files.startPassIfNeeded()
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).count, 20, "emptied at the start of the pass")
                let rows = try NumpyArray.read(root.appendingPathComponent("batches/\(mode)/batch\(batch)_detection_out.npy").path)
                let written = try files.add(rows: rows.values, num: 2)
                XCTAssertEqual(written.count, batch == 0 ? 0 : 20, "the files are written when the 4th image is done")
            }
            for name in Self.vocClasses {
                let ours = try text(directory.appendingPathComponent("comp4_det_test_\(name).txt").path)
                let caffe = try text(root.appendingPathComponent("\(results)/comp4_det_test_\(name).txt").path)
                XCTAssertEqual(ours, caffe, "\(results) \(name)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 40)
    }

    /// Two detections: image 0 (named "000042", 100x200) label "1", image 1 ("img_b", 50x50)
    /// label "cat/dog" with a score that prints in exponent form. Expected values are float32
    /// arithmetic done independently (numpy), formatted as boost's ptree does (%.9g).
    private func formatFixture(_ format: String, directory: URL, secondName: String = "cat/dog") throws -> DetectionResultFiles {
        let nameSize = NameSizeFile(text: "000042 100 200\nimg_b 50 50\n")
        var files = try DetectionResultFiles(directory: directory.path, prefix: "det", format: format,
                                             labelNames: [0: "background", 1: "1", 2: secondName], numClasses: 3,
                                             backgroundLabelId: 0, nameSize: nameSize, numTestImages: nil, resize: nil)
        try files.add(rows: [0, 1, 0.95, 0.123, 0.25, 0.5, 0.75,
                             1, 2, 1e-5, 0, 0, 1, 1], num: 2)
        return files
    }

    func testCOCOResultFileAsBoostWritesIt() throws {
        let directory = try temporaryDirectory()
        _ = try formatFixture("COCO", directory: directory)
        let expected = """
            [
                    {
                        "image_id": 000042,
                        "category_id": 1,
                        "bbox": [
                            24.6000004,
                            25,
                            75.4000015,
                            50
                        ],
                        "score": 0.949999988
                    },
                    {
                        "image_id": "img_b",
                        "category_id": "cat\\/dog",
                        "bbox": [
                            0,
                            0,
                            50,
                            50
                        ],
                        "score": "9.99999975e-06"
                    }
                \("")
            ]

            """
        XCTAssertEqual(try text(directory.appendingPathComponent("det.json").path), expected)
    }

    func testILSVRCAndVOCResultLines() throws {
        let directory = try temporaryDirectory()
        _ = try formatFixture("ILSVRC", directory: directory)
        XCTAssertEqual(try text(directory.appendingPathComponent("det.txt").path),
                       "000042 1 0.95 24 25 99 75\nimg_b 2 1e-05 0 0 50 50\n")
        _ = try formatFixture("VOC", directory: directory, secondName: "cat")
        XCTAssertEqual(try text(directory.appendingPathComponent("det1.txt").path), "000042 0.95 24 25 99 75\n")
    }

    func testDetectionOutputLayerWritesVOCFilesPerPass() throws {
        let folder = TestPaths.golden("layers/detectionoutput_center_size_basic")
        try XCTSkipUnless(FileManager.default.fileExists(atPath: folder.path), "golden data not found")
        let directory = try temporaryDirectory()
        let labelMap = directory.appendingPathComponent("labelmap.prototxt").path
        try Data("""
            item { name: "none_of_the_above" label: 0 }
            item { name: "a" label: 1 }
            item { name: "b" label: 2 }
            item { name: "c" label: 3 }
            item { name: "unused" label: 7 }
            """.utf8).write(to: URL(fileURLWithPath: labelMap))
        let nameSize = directory.appendingPathComponent("name_size.txt").path
        try Data("i0 300 400\ni1 300 400\ni2 300 400\ni3 300 400\ni4 300 400\ni5 300 400\n".utf8).write(to: URL(fileURLWithPath: nameSize))
        let output = directory.appendingPathComponent("results").path
        let layer = try makeLayer("""
            name: "detection_out" type: "DetectionOutput"
            detection_output_param { num_classes: 4 share_location: true background_label_id: 0
              nms_param { nms_threshold: 0.45 } code_type: CENTER_SIZE confidence_threshold: 0.1
              save_output_param { output_directory: "\(output)" output_name_prefix: "comp4_det_test_"
                output_format: "VOC" label_map_file: "\(labelMap)" name_size_file: "\(nameSize)" } }
            """)
        let bottoms = try ["mbox_loc", "mbox_conf_flatten", "mbox_priorbox"].map { name -> Blob in
            let array = try NumpyArray.read(folder.appendingPathComponent("bottom/\(name).npy").path)
            return try Blob(shape: array.shape, values: array.values)
        }
        let top = [try Blob()]
        try layer.setUp(bottom: bottoms, top: top)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: output)),
                       Set(["a", "b", "c", "unused"].map { "comp4_det_test_\($0).txt" }), "every label of the map is emptied at the pass start")
        try layer.runForward(bottom: bottoms, top: top)   // images 0-2 of 6: nothing written yet
        XCTAssertEqual(try text(output + "/comp4_det_test_a.txt"), "")
        try layer.runForward(bottom: bottoms, top: top)   // images 3-5: the pass is complete
        let rows = top[0].dataArray()
        var linesPerLabel: [Int: Int] = [:]
        for r in 0..<(rows.count / 7) { linesPerLabel[Int(rows[r * 7 + 1]), default: 0] += 2 }
        for (label, name) in [1: "a", 2: "b", 3: "c"] {
            let lines = try text(output + "/comp4_det_test_\(name).txt").split(separator: "\n")
            XCTAssertEqual(lines.count, linesPerLabel[label] ?? 0, "class \(name): one line per detection of both forwards")
            XCTAssertTrue(lines.allSatisfy { ["i0", "i2", "i3", "i5"].contains(String($0.prefix(2))) }, "image 1 (and 4) have no detection")
        }
    }

    // MARK: Errors instead of Caffe's aborts

    private func assertSetUpFails(_ text: String, bottoms: [[Int]], contains phrase: String,
                                  file: StaticString = #filePath, line: UInt = #line) {
        do {
            let layer = try makeLayer(text)
            let blobs = try bottoms.map { try Blob(shape: $0) }
            try layer.setUp(bottom: blobs, top: [try Blob()])
            XCTFail("setup succeeded; expected an error containing \"\(phrase)\"", file: file, line: line)
        } catch let error as LayerError {
            XCTAssertTrue(error.description.contains(phrase), "\(error)", file: file, line: line)
            XCTAssertFalse(error.layer.isEmpty, file: file, line: line)
        } catch {
            XCTFail("not a LayerError: \(error)", file: file, line: line)
        }
    }

    func testBadParametersAndShapesAreErrorsNamingTheLayer() {
        assertSetUpFails("name: \"p\" type: \"PriorBox\" prior_box_param { }", bottoms: [[1, 1, 2, 2], [1, 3, 8, 8]], contains: "min_size")
        assertSetUpFails("name: \"p\" type: \"PriorBox\" prior_box_param { min_size: 4 }", bottoms: [[1, 1, 2, 2]], contains: "second bottom")
        assertSetUpFails("name: \"p\" type: \"PriorBox\" prior_box_param { min_size: 4 max_size: 2 }", bottoms: [[1, 1, 2, 2], [1, 3, 8, 8]], contains: "max_size")
        assertSetUpFails("name: \"p\" type: \"PriorBox\" prior_box_param { min_size: 4 }", bottoms: [[1, 1, 0, 2], [1, 3, 8, 8]], contains: "prior values")

        let output = "name: \"d\" type: \"DetectionOutput\" detection_output_param { num_classes: 3 %@ }"
        let outputBottoms = [[1, 8], [1, 6], [1, 2, 8]]
        assertSetUpFails(output.replacingOccurrences(of: "num_classes: 3 %@", with: ""), bottoms: outputBottoms, contains: "num_classes")
        assertSetUpFails(output.replacingOccurrences(of: "%@", with: "visualize: true"), bottoms: outputBottoms, contains: "visualize")
        assertSetUpFails(output.replacingOccurrences(of: "%@", with: "nms_param { eta: 0 }"), bottoms: outputBottoms, contains: "eta")
        assertSetUpFails(output.replacingOccurrences(of: "%@", with: ""), bottoms: [[1, 8], [1, 9], [1, 2, 8]], contains: "confidence predictions")
        assertSetUpFails(output.replacingOccurrences(of: "%@", with: "save_output_param { name_size_file: \"/nonexistent/ns.txt\" }"),
                         bottoms: outputBottoms, contains: "/nonexistent/ns.txt")
        assertSetUpFails(output.replacingOccurrences(of: "%@", with: "save_output_param { label_map_file: \"/nonexistent/map.prototxt\" }"),
                         bottoms: outputBottoms, contains: "label_map_file")

        let multibox = "name: \"m\" type: \"MultiBoxLoss\" multibox_loss_param { num_classes: 3 %@ }"
        let multiboxBottoms = [[2, 8], [2, 6], [1, 2, 8], [1, 1, 1, 8]]
        assertSetUpFails(multibox.replacingOccurrences(of: "num_classes: 3 %@", with: ""), bottoms: multiboxBottoms, contains: "num_classes")
        assertSetUpFails(multibox.replacingOccurrences(of: "%@", with: "share_location: false"), bottoms: [[2, 24], [2, 6], [1, 2, 8], [1, 1, 1, 8]], contains: "share_location")
        assertSetUpFails(multibox.replacingOccurrences(of: "%@", with: "background_label_id: 3"), bottoms: multiboxBottoms, contains: "background_label_id")
        assertSetUpFails(multibox.replacingOccurrences(of: "%@", with: "do_neg_mining: false"), bottoms: multiboxBottoms, contains: "do_neg_mining")
        assertSetUpFails(multibox.replacingOccurrences(of: "%@", with: ""), bottoms: [[2, 12], [2, 6], [1, 2, 8], [1, 1, 1, 8]], contains: "location predictions")
        assertSetUpFails(multibox.replacingOccurrences(of: "%@", with: ""), bottoms: [[2, 8], [3, 6], [1, 2, 8], [1, 1, 1, 8]], contains: "first dimension")

        let evaluate = "name: \"e\" type: \"DetectionEvaluate\" detection_evaluate_param { num_classes: 3 %@ }"
        assertSetUpFails(evaluate.replacingOccurrences(of: "%@", with: "name_size_file: \"/nonexistent/ns.txt\""), bottoms: [[1, 1, 2, 7], [1, 1, 2, 8]], contains: "name size file")
        assertSetUpFails(evaluate.replacingOccurrences(of: "%@", with: "overlap_threshold: 0"), bottoms: [[1, 1, 2, 7], [1, 1, 2, 8]], contains: "overlap_threshold")
        assertSetUpFails(evaluate.replacingOccurrences(of: "%@", with: ""), bottoms: [[1, 1, 2, 6], [1, 1, 2, 8]], contains: "(1, 1, N, 7)")

        assertSetUpFails("name: \"l\" type: \"SmoothL1Loss\"", bottoms: [[2, 3], [2, 4]], contains: "same channels")
        assertSetUpFails("name: \"l\" type: \"SmoothL1Loss\"", bottoms: [[2, 3], [2, 3], [2, 3]], contains: "weights")
    }

    func testAFailedSetUpCreatesNoOutputDirectory() throws {
        // Caffe creates output_directory before reading the label map; ours writes nothing until
        // it saves a file, so the deploy nets' absolute result paths are not created by a build.
        let output = try temporaryDirectory().appendingPathComponent("results/Main").path
        let layer = try makeLayer("""
            name: "d" type: "DetectionOutput" detection_output_param { num_classes: 3
              save_output_param { output_directory: "\(output)" output_format: "VOC"
                label_map_file: "/nonexistent/labelmap.prototxt" name_size_file: "/nonexistent/ns.txt" } }
            """)
        XCTAssertThrowsError(try layer.setUp(bottom: [try Blob(shape: [1, 8]), try Blob(shape: [1, 6]), try Blob(shape: [1, 2, 8])],
                                             top: [try Blob()]))
        XCTAssertFalse(FileManager.default.fileExists(atPath: output))
    }

    func testForwardErrorsOnBadRows() throws {
        // A label row with the background label: Caffe aborts ("Found background label").
        let layer = try makeLayer("name: \"m\" type: \"MultiBoxLoss\" multibox_loss_param { num_classes: 3 }")
        let bottoms = [try Blob(shape: [1, 4]), try Blob(shape: [1, 3]),
                       try Blob(shape: [1, 2, 4], values: [0.1, 0.1, 0.5, 0.5, 0.1, 0.1, 0.2, 0.2]),
                       try Blob(shape: [1, 1, 1, 8], values: [0, 0, 0, 0.1, 0.1, 0.4, 0.4, 0])]
        let top = [try Blob()]
        try layer.setUp(bottom: bottoms, top: top)
        XCTAssertThrowsError(try layer.runForward(bottom: bottoms, top: top)) { error in
            XCTAssertTrue("\(error)".contains("background label"), "\(error)")
        }
        // A label out of range for SOFTMAX (Caffe reads past the row).
        try bottoms[3].setData([0, 5, 0, 0.1, 0.1, 0.4, 0.4, 0])
        XCTAssertThrowsError(try layer.runForward(bottom: bottoms, top: top)) { error in
            XCTAssertTrue("\(error)".contains("5"), "\(error)")
        }
    }
}
