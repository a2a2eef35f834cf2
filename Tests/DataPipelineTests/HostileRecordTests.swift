import CaffeProto
import DataPipeline
import Foundation
import TestSupport
import XCTest

/// LMDB records that claim absurd images, read by a Data layer in `dsod forward` (a child
/// process, so its peak memory can be checked): each is refused with an error naming the
/// database and key before the batch is allocated. Also the readers' own bounds, in process.
final class HostileRecordTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "hostile-records-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// An LMDB holding one record, and a net whose Data layer reads it.
    private func database(_ name: String, _ datum: Caffe_Datum) throws -> (lmdb: String, net: String) {
        let lmdb = folder + "/\(name)_lmdb"
        let writer = try LMDBWriter(path: lmdb, mapSize: 1 << 26)
        try writer.put(key: "00000000_huge", value: try datum.serializedData())
        try writer.commit()
        let net = folder + "/\(name).prototxt"
        try """
            layer { name: "data" type: "Data" top: "data" top: "label"
              data_param { source: "\(lmdb)" batch_size: 2 backend: LMDB } }
            layer { name: "relu" type: "ReLU" bottom: "data" top: "out" }
            """.write(toFile: net, atomically: true, encoding: .utf8)
        return (lmdb, net)
    }

    private func forwardRefuses(_ net: String, mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        guard let dsod = TestPaths.builtExecutable("dsod", besides: Self.self) else { throw XCTSkip("dsod is not built beside the tests") }
        let (outcome, peak) = try ChildProcess.runMeasured(dsod, ["forward", "--model", net, "--out", folder + "/out"], timeout: 120)
        XCTAssertNil(outcome.signal, "crashed: \(outcome.stderr.suffix(1500))", file: file, line: line)
        XCTAssertEqual(outcome.exitCode, 1, outcome.stderr, file: file, line: line)
        let last = outcome.stderr.split(separator: "\n").last.map(String.init) ?? ""
        for fragment in fragments {
            XCTAssertTrue(last.contains(fragment), "\(last)\n  expected to contain: \(fragment)", file: file, line: line)
        }
        // Without GNU time the child ran under `ulimit -v` (a large allocation would have failed it).
        let peakBytes = peak ?? 0
        XCTAssertLessThan(peakBytes, 200 << 20, "peak memory \(peakBytes >> 20) MiB", file: file, line: line)
    }

    /// A raw record claiming a 100000×100000 colour image with 12 bytes of pixels.
    func testRecordClaimingA100000SquareImageIsRefused() throws {
        var datum = Caffe_Datum()
        datum.channels = 3; datum.height = 100_000; datum.width = 100_000
        datum.data = Data(repeating: 7, count: 12)
        let (lmdb, net) = try database("raw", datum)
        try forwardRefuses(net, mentions: ["\(lmdb) key \"00000000_huge\"", "3x100000x100000"])
    }

    /// A raw record whose dimensions multiply past any integer.
    func testRecordWhoseShapeOverflowsIsRefused() throws {
        var datum = Caffe_Datum()
        datum.channels = Int32.max; datum.height = Int32.max; datum.width = Int32.max
        datum.data = Data(repeating: 7, count: 12)
        let (lmdb, net) = try database("overflow", datum)
        try forwardRefuses(net, mentions: ["\(lmdb) key \"00000000_huge\"", "2147483647x2147483647x2147483647"])
    }

    /// An encoded record whose JPEG header claims 20000×20000 pixels in 4 KB: the batch shape
    /// comes from that header, so it is refused there, before 2 x 1.2 G floats are allocated.
    func testEncodedRecordWithAJPEGBombIsRefused() throws {
        var datum = Caffe_Datum()
        datum.encoded = true
        datum.data = try Self.jpegBomb(width: 20_000, height: 20_000)
        let (lmdb, net) = try database("bomb", datum)
        try forwardRefuses(net, mentions: ["\(lmdb) key \"00000000_huge\"", "JPEG header declares 20000x20000 pixels", "decompression bomb"])
    }

    /// The readers themselves, in process.
    func testReadersRefuseBombsFromTheirHeaders() throws {
        let bomb = try Self.jpegBomb(width: 16_000, height: 16_000)
        XCTAssertThrowsError(try JPEGCodec.decode(bomb, mode: .color, source: "bomb.jpg")) { error in
            XCTAssertEqual("\(error)", "bomb.jpg: JPEG header declares 16000x16000 pixels, more than its \(bomb.count) bytes can encode (at most 512 pixels per byte); refusing it as a decompression bomb")
        }
        // A real JPEG of the same kind still decodes.
        let real = try Data(contentsOf: TestPaths.golden("lmdb/voc_mini/JPEGImages/camera.jpg"))
        XCTAssertNoThrow(try JPEGCodec.decode(real, mode: .color, source: "camera.jpg"))
        // XML nested 100000 deep: an error with its line, not a stack overflow.
        let xml = folder + "/deep.xml"
        try (String(repeating: "<annotation>\n", count: 100_000)).write(toFile: xml, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AnnotationReaders.voc(xml, imageHeight: 10, imageWidth: 10, nameToLabel: [:])) { error in
            XCTAssertEqual("\(error)", "\(xml):257: XML: elements nested more than 256 deep")
        }
    }

    /// A small real JPEG with the frame size of its SOF marker rewritten.
    static func jpegBomb(width: Int, height: Int) throws -> Data {
        var bytes = [UInt8](try Data(contentsOf: TestPaths.golden("lmdb/voc_mini/JPEGImages/camera.jpg")))
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { i += 1; continue }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC3).contains(marker) {
                bytes[i + 5] = UInt8(height >> 8); bytes[i + 6] = UInt8(height & 0xFF)
                bytes[i + 7] = UInt8(width >> 8); bytes[i + 8] = UInt8(width & 0xFF)
                return Data(bytes.prefix(4096))
            }
            i += 2 + length
        }
        throw XCTSkip("no SOF marker in camera.jpg")
    }
}
