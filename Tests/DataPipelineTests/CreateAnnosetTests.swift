import CaffeProto
import DataPipeline
import Foundation
import TestSupport
import XCTest

/// create-annoset / get-image-size against the LMDBs and files SSD's tools made.
final class CreateAnnosetTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dsod-annoset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: scratch)
    }

    static var vocOptions: AnnosetOptions {
        var o = AnnosetOptions()
        o.annoType = .detection
        o.labelType = .xml
        o.labelMapFile = LMDBGolden.path("voc_mini/labelmap_voc.prototxt")
        o.checkLabel = true
        o.encoded = true
        o.encodeType = "jpg"
        return o
    }

    /// Our LMDB equals Caffe's record for record: same keys, same serialized values (SHA-256).
    func testVOCMiniLMDBsMatchCaffeByteForByte() throws {
        let stored = try LMDBGolden.json("create_annoset/stored_bytes.json")
        let lmdbs = try XCTUnwrap(stored["lmdbs"] as? [String: [[String: Any]]])
        for list in ["test", "trainval"] {
            let out = scratch.appendingPathComponent("\(list)_lmdb").path
            let report = try DatasetTools.createAnnoset(root: LMDBGolden.path("voc_mini") + "/",
                                                        listFile: LMDBGolden.path("voc_mini/\(list).txt"),
                                                        output: out, options: Self.vocOptions)
            XCTAssertEqual(report.written, 4)
            let expected = try XCTUnwrap(lmdbs["voc_mini/\(list)_lmdb"])
            let cursor = try LMDBReader(path: out).makeCursor()
            XCTAssertEqual(cursor.entries, expected.count)
            let caffeCursor = try LMDBReader(path: LMDBGolden.path("voc_mini/\(list)_lmdb")).makeCursor()
            for entry in expected {
                let ours = try cursor.read()
                let theirs = try caffeCursor.read()
                XCTAssertEqual(ours.key, entry["key"] as? String)
                XCTAssertEqual(ours.value.count, entry["value_bytes"] as? Int, ours.key)
                XCTAssertEqual(SHA256.hex(ours.value), entry["value_sha256"] as? String, ours.key)
                // Read back: same decoded pixels and annotations as Caffe's record.
                let a = try RecordDecoder.annotated(ours.value, key: ours.key, source: out)
                let b = try RecordDecoder.annotated(theirs.value, key: theirs.key, source: "caffe")
                XCTAssertEqual(a, b)
                XCTAssertEqual(try a.datum.decodeImage(.color, location: ours.key), try b.datum.decodeImage(.color, location: theirs.key))
            }
        }
    }

    /// Resized datasets: decode, OpenCV LINEAR resize, cv::imencode(".jpg") (or raw pixels);
    /// the stored values must equal Caffe's byte for byte.
    func testResizedDatasetsMatchCaffeByteForByte() throws {
        let stored = try XCTUnwrap(try LMDBGolden.json("create_annoset/stored_bytes.json")["lmdbs"] as? [String: [[String: Any]]])
        var cls = AnnosetOptions()
        cls.resizeHeight = 24
        cls.resizeWidth = 32
        var clsJPEG = cls
        clsJPEG.encoded = true
        clsJPEG.encodeType = "jpg"
        var small = Self.vocOptions
        small.resizeHeight = 48
        small.resizeWidth = 64
        let runs: [(String, String, AnnosetOptions, Bool)] = [
            ("transform_cases/cls_raw_lmdb", "transform_cases/cls_list.txt", cls, false),
            ("transform_cases/cls_jpg_lmdb", "transform_cases/cls_list.txt", clsJPEG, false),
            ("random_stats/small_lmdb", "voc_mini/trainval.txt", small, true),
        ]
        var compared = 0
        for (name, list, options, annotated) in runs {
            let out = scratch.appendingPathComponent(name.replacingOccurrences(of: "/", with: "_")).path
            if annotated {
                try DatasetTools.createAnnoset(root: LMDBGolden.path("voc_mini") + "/", listFile: LMDBGolden.path(list), output: out, options: options)
            } else {
                try DatasetTools.createImageset(root: LMDBGolden.path("voc_mini") + "/", listFile: LMDBGolden.path(list), output: out, options: options)
            }
            let cursor = try LMDBReader(path: out).makeCursor()
            let expected = try XCTUnwrap(stored[name])
            XCTAssertEqual(cursor.entries, expected.count, name)
            for entry in expected {
                let record = try cursor.read()
                XCTAssertEqual(record.key, entry["key"] as? String, name)
                XCTAssertEqual(SHA256.hex(record.value), entry["value_sha256"] as? String, "\(name) \(record.key)")
                compared += 1
            }
        }
        XCTAssertEqual(compared, 12)
    }

    func testGetImageSizeMatchesCaffe() throws {
        let text = try DatasetTools.imageSizes(root: LMDBGolden.path("voc_mini"), listFile: LMDBGolden.path("voc_mini/test.txt"))
        let expected = try String(contentsOfFile: LMDBGolden.path("voc_mini/test_name_size.txt"), encoding: .utf8)
        XCTAssertEqual(text, expected)
        let quirks = try DatasetTools.imageSizes(root: LMDBGolden.path("create_annoset/quirks"),
                                                 listFile: LMDBGolden.path("create_annoset/quirks/list.txt"))
        XCTAssertEqual(quirks, try String(contentsOfFile: LMDBGolden.path("create_annoset/quirks/name_size.txt"), encoding: .utf8))
    }

    /// XML quirks: boxes by the XML size, unclipped, int parsing, difficult only for "1",
    /// groups by first appearance, .JPEG stored verbatim, the PNG decoded and re-encoded as JPEG:
    /// every value equals Caffe's quirks LMDB byte for byte.
    func testXMLQuirksMatchCaffe() throws {
        let out = scratch.appendingPathComponent("quirks_lmdb").path
        let report = try DatasetTools.createAnnoset(root: LMDBGolden.path("create_annoset/quirks") + "/",
                                                    listFile: LMDBGolden.path("create_annoset/quirks/list.txt"),
                                                    output: out, options: Self.vocOptions)
        XCTAssertEqual(report.written, 4)
        XCTAssertTrue(report.skipped.isEmpty)
        XCTAssertTrue(report.warnings.contains { $0.contains("inconsistent image height") })
        XCTAssertTrue(report.warnings.contains { $0.contains("exceeds image boundary") })
        let expected = try XCTUnwrap(try LMDBGolden.json("create_annoset/quirks/records.json")["records"] as? [[String: Any]])
        let cursor = try LMDBReader(path: out).makeCursor()
        let caffe = try LMDBReader(path: LMDBGolden.path("create_annoset/quirks/lmdb")).makeCursor()
        XCTAssertEqual(cursor.entries, 4)
        for entry in expected {
            let record = try cursor.read()
            let theirs = try caffe.read()
            XCTAssertEqual(record.key, entry["key"] as? String)
            XCTAssertEqual(record.key, theirs.key)
            XCTAssertEqual(SHA256.hex(record.value), SHA256.hex(theirs.value), record.key)
            let a = try RecordDecoder.annotated(record.value, key: record.key, source: out)
            let datum = try XCTUnwrap(entry["datum"] as? [String: Any])
            XCTAssertEqual(a.datum.channels, datum["channels"] as? Int)
            XCTAssertEqual(a.datum.height, datum["height"] as? Int)
            XCTAssertEqual(a.datum.width, datum["width"] as? Int)
            let source = LMDBGolden.root.appendingPathComponent("create_annoset/quirks")
                .appendingPathComponent(String(record.key.dropFirst(9)))
            XCTAssertEqual(a.datum.data == (try Data(contentsOf: source)), datum["data_equals_source_file"] as? Bool)
            let groups = try XCTUnwrap(entry["annotation_group"] as? [[String: Any]])
            XCTAssertEqual(a.groups.map(\.label).map(Int.init), groups.map { $0["group_label"] as? Int ?? -99 })
            for (g, group) in zip(a.groups, groups) {
                let annos = try XCTUnwrap(group["annotation"] as? [[String: Any]])
                XCTAssertEqual(g.annotations.count, annos.count)
                for (x, y) in zip(g.annotations, annos) {
                    XCTAssertEqual(Int(x.instanceID), y["instance_id"] as? Int)
                    XCTAssertEqual(x.box.xmin, Float(y["xmin"] as? Double ?? .nan))
                    XCTAssertEqual(x.box.ymin, Float(y["ymin"] as? Double ?? .nan))
                    XCTAssertEqual(x.box.xmax, Float(y["xmax"] as? Double ?? .nan))
                    XCTAssertEqual(x.box.ymax, Float(y["ymax"] as? Double ?? .nan))
                    XCTAssertEqual(x.box.difficult, y["difficult"] as? Bool)
                }
            }
        }
    }

    /// A missing image is skipped with a warning (its line number is still used up in the keys);
    /// a missing annotation file gives an image without boxes, as convert_annoset does.
    func testMissingImageIsSkippedAndMissingAnnotationGivesNoBoxes() throws {
        let list = scratch.appendingPathComponent("list.txt")
        try "JPEGImages/nope.jpg Annotations/astronaut.xml\nJPEGImages/chelsea.jpg Annotations/none.xml\n".write(to: list, atomically: true, encoding: .utf8)
        let out = scratch.appendingPathComponent("partial").path
        let report = try DatasetTools.createAnnoset(root: LMDBGolden.path("voc_mini") + "/", listFile: list.path, output: out, options: Self.vocOptions)
        XCTAssertEqual(report.skipped, ["JPEGImages/nope.jpg"])
        XCTAssertTrue(report.warnings.contains { $0.contains("nope.jpg") && $0.contains("no such image file") }, "\(report.warnings)")
        let record = try LMDBReader(path: out).makeCursor().read()
        XCTAssertEqual(record.key, "00000001_JPEGImages/chelsea.jpg")
        XCTAssertTrue(try RecordDecoder.annotated(record.value, key: record.key, source: out).groups.isEmpty)
    }

    func testExistingOutputIsRefused() throws {
        let out = scratch.appendingPathComponent("exists").path
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        XCTAssertThrowsError(try DatasetTools.createAnnoset(root: LMDBGolden.path("voc_mini") + "/",
                                                            listFile: LMDBGolden.path("voc_mini/test.txt"),
                                                            output: out, options: Self.vocOptions)) { error in
            XCTAssertTrue("\(error)".contains("already exists"), "\(error)")
        }
    }

    func testUnknownClassNameIsNamed() throws {
        let map = scratch.appendingPathComponent("map.prototxt")
        try "item { name: \"none_of_the_above\" label: 0 display_name: \"background\" }\n".write(to: map, atomically: true, encoding: .utf8)
        var options = Self.vocOptions
        options.labelMapFile = map.path
        XCTAssertThrowsError(try DatasetTools.createAnnoset(root: LMDBGolden.path("voc_mini") + "/",
                                                            listFile: LMDBGolden.path("voc_mini/test.txt"),
                                                            output: scratch.appendingPathComponent("x").path, options: options)) { error in
            XCTAssertTrue("\(error)".contains("unknown name \"person\""), "\(error)")
        }
    }

    func testLabelMapFromNamesFile() throws {
        let names = scratch.appendingPathComponent("names.txt")
        try "aeroplane\nbicycle\nbird\n".write(to: names, atomically: true, encoding: .utf8)
        let map = try LabelMaps.fromNamesFile(names.path)
        XCTAssertEqual(map.item.map(\.name), ["none_of_the_above", "aeroplane", "bicycle", "bird"])
        XCTAssertEqual(map.item.map(\.label), [0, 1, 2, 3])
        XCTAssertEqual(map.item.map(\.displayName), ["background", "aeroplane", "bicycle", "bird"])
        // The VOC label map SSD ships has the same structure for its first items.
        let voc = try LabelMaps.read(LMDBGolden.path("voc_mini/labelmap_voc.prototxt"))
        XCTAssertEqual(Array(voc.item.prefix(4)).map(\.name), ["none_of_the_above", "aeroplane", "bicycle", "bird"])
        let mixed = scratch.appendingPathComponent("bad.txt")
        try "cat 1\ndog\n".write(to: mixed, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try LabelMaps.fromNamesFile(mixed.path)) { XCTAssertTrue("\($0)".contains(":2"), "\($0)") }
    }
}
