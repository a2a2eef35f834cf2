import DataPipeline
import Foundation
import TestSupport
import XCTest

/// LMDB reading beyond the golden batches: several readers at once, rand_skip, JSON labels.
final class ReaderTests: XCTestCase {
    /// Two environments and several cursors on one read-only database, from two threads.
    func testManyReaders() throws {
        let path = LMDBGolden.path("voc_mini/test_lmdb")
        let a = try LMDBReader(path: path), b = try LMDBReader(path: path)
        let keys = try (0..<4).map { _ in try a.makeCursor().record.key }
        XCTAssertEqual(Set(keys).count, 1)
        // Written under `lock` by the two threads.
        nonisolated(unsafe) var results = [[String]](repeating: [], count: 2)
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 2) { t in
            guard let cursor = try? (t == 0 ? a : b).makeCursor() else { return }
            var seen: [String] = []
            for _ in 0..<10 { if let r = try? cursor.read() { seen.append(r.key) } }
            lock.lock(); results[t] = seen; lock.unlock()
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0].count, 10)
        XCTAssertEqual(results[0][4], results[0][0], "wraps around after 4 records")
    }

    func testRandSkipStartsInsideTheEpoch() throws {
        var starts = Set<String>()
        for seed in 0..<40 {
            var rng = CaffeRandom(seed: UInt32(seed))
            let stream = try RecordStream(source: LMDBGolden.path("voc_mini/test_lmdb"), randSkip: 4, rng: &rng)
            starts.insert(try stream.next().key)
        }
        XCTAssertEqual(starts.count, 4, "rand_skip 4 should start at each of the 4 records for some seed")
    }

    /// Per-image JSON labels (COCO style): bbox [x, y, w, h] normalized by image.width/height,
    /// iscrowd as difficult, category ids looked up in the label map by name.
    func testJSONAnnotations() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dsod-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try """
        {"image": {"height": 300, "width": 451}, "annotation": [
          {"category_id": 17, "iscrowd": 0, "bbox": [45.1, 30, 90.2, 60]},
          {"category_id": 18, "iscrowd": 1, "bbox": [0, 0, 451, 300]},
          {"category_id": 17, "iscrowd": 0, "bbox": [10, 10, 20, 20]}]}
        """.write(to: file, atomically: true, encoding: .utf8)
        let result = try AnnotationReaders.json(file.path, imageHeight: 300, imageWidth: 451, nameToLabel: ["17": 17, "18": 18])
        XCTAssertEqual(result.groups.map(\.label), [17, 18])
        XCTAssertEqual(result.groups[0].annotations.map(\.instanceID), [0, 1])
        let first = result.groups[0].annotations[0].box
        XCTAssertEqual(first.xmin, Float(45.1) / 451)
        XCTAssertEqual(first.xmax, (Float(45.1) + Float(90.2)) / 451)
        XCTAssertEqual(first.ymax, 90 / 300)
        XCTAssertTrue(result.groups[1].annotations[0].box.difficult)
        XCTAssertThrowsError(try AnnotationReaders.json(file.path, imageHeight: 300, imageWidth: 451, nameToLabel: ["17": 17])) {
            XCTAssertTrue("\($0)".contains("unknown name \"18\""), "\($0)")
        }
    }
}
