import CaffeProto
import DataPipeline
import Foundation
import TestSupport
import XCTest

/// Every bad input gets an error that says what and where; nothing aborts.
final class BadInputTests: XCTestCase {
    var scratch: URL!

    override func setUpWithError() throws {
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dsod-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: scratch) }

    func assertError(_ body: @autoclosure () throws -> Any, contains parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            let text = "\(error)"
            for part in parts { XCTAssertTrue(text.contains(part), "\"\(text)\" lacks \"\(part)\"", file: file, line: line) }
        }
    }

    /// A one-layer net parsed from text; sources resolve against the golden lmdb folder.
    func layer(_ text: String) throws -> Caffe_LayerParameter {
        let net = try CaffeText.parse("layer { \(text) }", as: Caffe_NetParameter.self, file: "test")
        return try XCTUnwrap(net.layer.first)
    }

    func testMissingPath() {
        assertError(try LMDBReader(path: scratch.appendingPathComponent("nope").path), contains: ["nope", "no such LMDB"])
    }

    func testFolderWithoutDataFile() {
        assertError(try LMDBReader(path: scratch.path), contains: [scratch.path, "no data.mdb"])
    }

    func testNotAnLMDB() throws {
        let folder = scratch.appendingPathComponent("fake")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(repeating: 0x42, count: 20000).write(to: folder.appendingPathComponent("data.mdb"))
        assertError(try LMDBReader(path: folder.path), contains: ["fake", "not an LMDB"])
    }

    func testEmptyDatabase() throws {
        let path = scratch.appendingPathComponent("empty").path
        try LMDBWriter(path: path).commit()
        assertError(try LMDBReader(path: path).makeCursor(), contains: ["empty", "no records"])
    }

    func testDatumRecordInAnnotatedDataLayer() throws {
        let l = try layer("""
            name: "data" type: "AnnotatedData" top: "data" top: "label"
            data_param { source: "transform_cases/cls_raw_lmdb" batch_size: 1 backend: LMDB }
            """)
        assertError(try AnnotatedBatchLoader(layer: l, phase: .test, baseDirectory: LMDBGolden.root.path),
                    contains: ["00000000_JPEGImages/astronaut.jpg", "is a Datum", "not an AnnotatedDatum"])
    }

    func testAnnotatedRecordInDataLayer() throws {
        let l = try layer("""
            name: "data" type: "Data" top: "data" top: "label"
            data_param { source: "voc_mini/test_lmdb" batch_size: 1 backend: LMDB }
            """)
        assertError(try DatumBatchLoader(layer: l, phase: .test, baseDirectory: LMDBGolden.root.path),
                    contains: ["00000000_JPEGImages/astronaut.jpg", "AnnotatedDatum", "not a Datum"])
    }

    func testGarbageRecordNamesItsKey() throws {
        assertError(try RecordDecoder.annotated(Data([0xFF, 0xFF, 0xFF, 0x07]), key: "00000007_x.jpg", source: "db"),
                    contains: ["db key \"00000007_x.jpg\"", "not an AnnotatedDatum"])
        var truncated = Caffe_Datum()
        truncated.channels = 3; truncated.height = 4; truncated.width = 4; truncated.data = Data([1, 2, 3])
        assertError(try RecordDecoder.datum(try truncated.serializedBytes(), key: "k", source: "db"),
                    contains: ["key \"k\"", "holds 3 bytes", "needs 48"])
    }

    func testPNGAndCorruptJPEGDatums() throws {
        let png = Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])
        let datum = DatumRecord(channels: 3, height: 2, width: 2, encoded: true, data: png)
        assertError(try datum.decodeImage(.color, location: "db key \"k\""), contains: ["key \"k\"", "corrupt PNG"])
        let gif = DatumRecord(channels: 3, height: 2, width: 2, encoded: true, data: Data("GIF89a....".utf8))
        assertError(try gif.decodeImage(.color, location: "db key \"g\""), contains: ["key \"g\"", "GIF", "only JPEG and PNG"])
        let jpeg = try Data(contentsOf: LMDBGolden.root.appendingPathComponent("voc_mini/JPEGImages/chelsea.jpg"))
        let broken = DatumRecord(channels: 3, height: 300, width: 451, encoded: true, data: jpeg.prefix(600))
        assertError(try broken.decodeImage(.color, location: "db key \"k2\""), contains: ["key \"k2\"", "corrupt JPEG"])
    }

    /// Without force_color a batch mixing the 1-channel camera.jpg with a colour JPEG fails
    /// Caffe's shape CHECK; ours names the record.
    func testMixedChannelBatch() throws {
        let l = try layer("""
            name: "data" type: "AnnotatedData" top: "data" top: "label"
            transform_param { resize_param { resize_mode: WARP height: 8 width: 8 } }
            data_param { source: "voc_mini/test_lmdb" batch_size: 2 backend: LMDB }
            """)
        let loader = try AnnotatedBatchLoader(layer: l, phase: .test, baseDirectory: LMDBGolden.root.path)
        XCTAssertNoThrow(try loader.nextBatch())
        assertError(try loader.nextBatch(), contains: ["coffee.jpg", "differs from the batch shape", "force_color"])
    }

    func testParameterErrors() throws {
        let root = LMDBGolden.root.path
        let both = try layer("""
            name: "d" type: "AnnotatedData" transform_param { force_color: true force_gray: true }
            data_param { source: "voc_mini/test_lmdb" batch_size: 1 }
            """)
        assertError(try AnnotatedBatchLoader(layer: both, phase: .test, baseDirectory: root), contains: ["\"d\"", "force_color and force_gray"])
        let small = try layer("""
            name: "d" type: "AnnotatedData" transform_param { resize_param { resize_mode: FIT_SMALL_SIZE height: 10 width: 10 } }
            data_param { source: "voc_mini/test_lmdb" batch_size: 2 }
            """)
        assertError(try AnnotatedBatchLoader(layer: small, phase: .test, baseDirectory: root), contains: ["FIT_SMALL_SIZE", "batch_size 1"])
        let emptyMean = try layer("""
            name: "d" type: "AnnotatedData" transform_param { mean_file: "transform_cases/mean_from_annoset_lmdb.binaryproto" }
            data_param { source: "voc_mini/test_lmdb" batch_size: 1 }
            """)
        assertError(try AnnotatedBatchLoader(layer: emptyMean, phase: .test, baseDirectory: root),
                    contains: ["mean_from_annoset_lmdb.binaryproto", "mean file is empty"])
        let sampler = try layer("""
            name: "d" type: "AnnotatedData" data_param { source: "voc_mini/test_lmdb" batch_size: 1 }
            annotated_data_param { batch_sampler { sampler { min_scale: 0 } } }
            """)
        assertError(try AnnotatedBatchLoader(layer: sampler, phase: .train, baseDirectory: root), contains: ["batch_sampler 0", "min_scale"])
        let missing = try layer("""
            name: "d" type: "AnnotatedData" data_param { source: "voc_mini/no_such_lmdb" batch_size: 1 }
            """)
        assertError(try AnnotatedBatchLoader(layer: missing, phase: .test, baseDirectory: root), contains: ["no_such_lmdb", "no such LMDB"])
    }

    /// DSOD's distortion on the natively decoded 1-channel JPEG: Caffe's cvtColor throws and
    /// the process dies; ours is an error naming the record.
    func testDistortionOnGrayRecord() throws {
        let l = try layer("""
            name: "d" type: "AnnotatedData"
            transform_param { resize_param { height: 8 width: 8 } distort_param { saturation_prob: 1 saturation_lower: 0.5 saturation_upper: 1.5 } }
            data_param { source: "voc_mini/test_lmdb" batch_size: 1 }
            """)
        let loader = try AnnotatedBatchLoader(layer: l, phase: .train, baseDirectory: LMDBGolden.root.path)
        _ = try loader.nextBatch(); _ = try loader.nextBatch()
        assertError(try loader.nextBatch(), contains: ["camera.jpg", "3-channel", "force_color"])
    }
}
