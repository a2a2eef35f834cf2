import CaffeProto
import DataPipeline
import Foundation
import TestSupport
import XCTest

/// voc_mini/records: every record of Caffe's test_lmdb read back field for field, and its JPEG
/// decoded to the same pixels as Caffe's `DecodeDatumToCVMat(datum, true)`.
final class RecordDecodingTests: XCTestCase {
    func testRecordsMatchCaffe() throws {
        let index = try LMDBGolden.json("voc_mini/records/index.json")
        let keys = try XCTUnwrap(index["keys_in_cursor_order"] as? [String])
        let folders = try XCTUnwrap(index["records"] as? [[String: Any]])
        let reader = try LMDBReader(path: LMDBGolden.path("voc_mini/test_lmdb"))
        XCTAssertEqual(try reader.count(), keys.count)
        let cursor = try reader.makeCursor()
        for (i, key) in keys.enumerated() {
            let record = try cursor.read()
            XCTAssertEqual(record.key, key)
            let folder = try XCTUnwrap(folders[i]["folder"] as? String)
            let expected = try LMDBGolden.json("voc_mini/records/\(folder)/record.json")
            XCTAssertEqual(SHA256.hex(record.value), expected["value_sha256"] as? String)
            let anno = try RecordDecoder.annotated(record.value, key: record.key, source: "test_lmdb")
            let datum = try XCTUnwrap(expected["datum"] as? [String: Any])
            XCTAssertEqual(anno.datum.channels, datum["channels"] as? Int)
            XCTAssertEqual(anno.datum.height, datum["height"] as? Int)
            XCTAssertEqual(anno.datum.width, datum["width"] as? Int)
            XCTAssertEqual(anno.datum.encoded, datum["encoded"] as? Bool)
            XCTAssertEqual(Int(anno.datum.label), datum["label"] as? Int)
            XCTAssertEqual(SHA256.hex(anno.datum.data), datum["data_sha256"] as? String)
            XCTAssertTrue(anno.hasBoxType)
            let groups = try XCTUnwrap(expected["annotation_group"] as? [[String: Any]])
            XCTAssertEqual(anno.groups.count, groups.count, key)
            for (g, group) in zip(anno.groups, groups) {
                XCTAssertEqual(Int(g.label), group["group_label"] as? Int)
                let annos = try XCTUnwrap(group["annotation"] as? [[String: Any]])
                XCTAssertEqual(g.annotations.count, annos.count)
                for (a, an) in zip(g.annotations, annos) {
                    XCTAssertEqual(Int(a.instanceID), an["instance_id"] as? Int)
                    let box = try XCTUnwrap(an["bbox"] as? [String: Any])
                    XCTAssertEqual(a.box.xmin, Float(try XCTUnwrap(box["xmin"] as? Double)))
                    XCTAssertEqual(a.box.ymin, Float(try XCTUnwrap(box["ymin"] as? Double)))
                    XCTAssertEqual(a.box.xmax, Float(try XCTUnwrap(box["xmax"] as? Double)))
                    XCTAssertEqual(a.box.ymax, Float(try XCTUnwrap(box["ymax"] as? Double)))
                    XCTAssertEqual(a.box.difficult, box["difficult"] as? Bool)
                }
            }
            // Pixels: colour decode equals Caffe's cv::Mat byte for byte.
            let color = try anno.datum.decodeImage(.color, location: key)
            let decoded = try XCTUnwrap(expected["decoded"] as? [String: Any])
            XCTAssertEqual(SHA256.hex(color.pixels), decoded["sha256_of_hwc_u8_bytes"] as? String, key)
            let golden = try LMDBGolden.npy("voc_mini/records/\(folder)/decoded_bgr_u8.npy")
            XCTAssertEqual(golden.shape, [color.height, color.width, 3])
            XCTAssertEqual(golden.values, color.pixels.map(Float.init), key)
            let native = try XCTUnwrap(expected["decoded_native"] as? [String: Any])
            XCTAssertEqual(try anno.datum.decodeImage(.native, location: key).channels, native["channels"] as? Int, key)
        }
        // Wrap-around: after the last key the cursor is back on the first.
        XCTAssertEqual(try cursor.read().key, keys[0])
    }
}
