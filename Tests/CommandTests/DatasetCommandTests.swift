@testable import DSODCommands
import DataPipeline
import Foundation
import TestSupport
import XCTest

/// `dsod create-annoset`, `get-image-size` and `create-labelmap` as create_data.sh runs them.
final class DatasetCommandTests: XCTestCase {
    func testCreateAnnosetAsCreateDataSh() throws {
        let voc = TestPaths.golden("lmdb/voc_mini").path
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dsod-cmd-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let out = scratch.appendingPathComponent("lmdb/VOC0712_test_lmdb").path
        let command = try CreateAnnosetCommand.parse([
            "--anno-type=detection", "--label-map-file=\(voc)/labelmap_voc.prototxt", "--check-label",
            "--encode-type=jpg", "--encoded", "--redo", voc, "\(voc)/test.txt", out, scratch.appendingPathComponent("examples").path,
        ])
        let report = try command.execute()
        XCTAssertEqual(report.written, 4)
        let ours = try LMDBReader(path: out).makeCursor()
        let caffe = try LMDBReader(path: "\(voc)/test_lmdb").makeCursor()
        for _ in 0..<4 {
            let a = try ours.read(), b = try caffe.read()
            XCTAssertEqual(a.key, b.key)
            XCTAssertEqual(a.value, b.value, a.key)
        }
        // Without --redo an existing output is refused.
        let again = try CreateAnnosetCommand.parse(["--anno-type=detection", "--label-map-file=\(voc)/labelmap_voc.prototxt", voc, "\(voc)/test.txt", out])
        XCTAssertThrowsError(try again.execute())

        let sizes = scratch.appendingPathComponent("test_name_size.txt").path
        try GetImageSizeCommand.parse([voc, "\(voc)/test.txt", sizes]).run()
        XCTAssertEqual(try String(contentsOfFile: sizes, encoding: .utf8), try String(contentsOfFile: "\(voc)/test_name_size.txt", encoding: .utf8))
    }
}
