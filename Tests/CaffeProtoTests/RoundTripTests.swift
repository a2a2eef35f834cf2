import XCTest
import Foundation
import CaffeProto
import TestSupport

/// Text and binary round trips over every reference prototxt and golden caffemodel.
final class RoundTripTests: XCTestCase {
    /// Every prototxt DSOD's scripts write parses, and printing it (not upgraded) gives the same
    /// bytes (the references end with one extra newline from Python's print).
    func testReferencePrototxtsPrintBackByteForByte() throws {
        var checked = 0
        for model in TestPaths.subfolders(of: TestPaths.referencePrototxt) {
            for name in ["train", "test", "deploy", "solver"] {
                let path = model.appendingPathComponent("\(name).prototxt").path
                let reference = try String(contentsOfFile: path, encoding: .utf8)
                let printed: String
                if name == "solver" {
                    printed = CaffeText.format(try CaffeFiles.readSolver(path))
                    XCTAssertEqual(try CaffeText.parse(printed, as: Caffe_SolverParameter.self, file: "printed"), try CaffeFiles.readSolver(path))
                } else {
                    let net = try CaffeFiles.read(path, as: Caffe_NetParameter.self)
                    printed = CaffeText.format(net)
                    XCTAssertEqual(try CaffeText.parse(printed, as: Caffe_NetParameter.self, file: "printed"), net)
                }
                XCTAssertEqual(printed + "\n", reference, path)
                checked += 1
            }
        }
        XCTAssertEqual(checked, 8)
    }

    private var caffemodels: [String] {
        let enumerator = FileManager.default.enumerator(atPath: TestPaths.golden.path)
        var found: [String] = []
        while let item = enumerator?.nextObject() as? String {
            if item.hasSuffix(".caffemodel") && !item.contains("bad_inputs") { found.append(TestPaths.golden(item).path) }
        }
        return found.sorted()
    }

    /// Every golden caffemodel decodes, re-encodes to the same bytes, and survives
    /// binary → text → binary as the same message.
    func testEveryGoldenCaffemodelRoundTrips() throws {
        let paths = caffemodels
        XCTAssertGreaterThan(paths.count, 40)
        for path in paths where !path.contains("legacy/blob_shapes/unpacked") {
            let data = try CaffeFiles.contents(of: path)
            let loaded = try CaffeBinary.decode(data, as: Caffe_NetParameter.self, file: path)
            XCTAssertEqual(loaded.warnings, [], path)
            XCTAssertEqual(try CaffeBinary.encode(loaded.message), data, "re-encoding \(path)")
            if data.count < 2_000_000 {
                let text = CaffeText.format(loaded.message)
                XCTAssertEqual(try CaffeText.parse(text, as: Caffe_NetParameter.self, file: path + ".txt"), loaded.message, path)
            }
        }
    }

    /// Python's text form of a Caffe-written caffemodel parses to a message that serializes to
    /// the caffemodel's exact bytes; printing the caffemodel gives that text.
    func testCaffemodelTextFormsMatchCaffe() throws {
        for name in ["convbn", "shared", "ssd_layers"] {
            let folder = TestPaths.golden("formats/caffemodel/\(name)").path
            let binary = try CaffeFiles.contents(of: folder + "/weights.caffemodel")
            let text = try CaffeFiles.read(folder + "/weights.prototxt", as: Caffe_NetParameter.self)
            XCTAssertEqual(try CaffeBinary.encode(text), binary, name)
            let fromBinary = try CaffeBinary.decode(binary, as: Caffe_NetParameter.self, file: name).message
            let reference = try String(contentsOfFile: folder + "/weights.prototxt", encoding: .utf8)
            XCTAssertEqual(CaffeText.format(fromBinary), reference, name)
            // Caffe's own C++ printer (9 significant digits) reads back to the same values, except
            // that Caffe's upgrade cleared convbn's BatchNorm params (formats quirk 2).
            var upgraded = fromBinary
            try NetUpgrade.upgrade(&upgraded, file: name)
            let caffeText = try CaffeFiles.read(folder + "/weights.caffe_text.prototxt", as: Caffe_NetParameter.self)
            XCTAssertEqual(caffeText, upgraded, name)
        }
    }

    /// A mean file (legacy 4-D BlobProto) reads, and unpacked repeated floats decode like packed.
    func testBinaryprotoAndUnpackedFloats() throws {
        let mean = try CaffeFiles.read(TestPaths.golden("formats/mean/mean.binaryproto").path, as: Caffe_BlobProto.self)
        XCTAssertEqual([mean.num, mean.channels, mean.height, mean.width], [1, 3, 32, 32])
        XCTAssertEqual(mean.data.count, 3 * 32 * 32)
        let folder = TestPaths.golden("formats/legacy/blob_shapes").path
        let packed = try CaffeFiles.read(folder + "/legacy_dims.caffemodel", as: Caffe_NetParameter.self)
        let unpacked = try CaffeFiles.read(folder + "/unpacked_data.caffemodel", as: Caffe_NetParameter.self)
        XCTAssertEqual(unpacked.layer.flatMap { $0.blobs.map(\.data) }, packed.layer.flatMap { $0.blobs.map(\.data) })
    }

    /// Writing is atomic and by extension: text for .prototxt, binary for .caffemodel.
    func testWriteByExtension() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rt-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var net = Caffe_NetParameter()
        net.name = "n"
        var layer = Caffe_LayerParameter()
        layer.name = "l"
        var blob = Caffe_BlobProto()
        blob.shape.dim = [2, 3]
        blob.data = [1, 0.1, 2.5, -3, 1e-5, 104]
        layer.blobs = [blob]
        net.layer = [layer]
        try CaffeFiles.write(net, to: folder + "/n.caffemodel")
        try CaffeFiles.write(net, to: folder + "/n.prototxt")
        XCTAssertEqual(try CaffeFiles.readNet(folder + "/n.caffemodel"), net)
        XCTAssertEqual(try CaffeFiles.readNet(folder + "/n.prototxt"), net)
        let text = try String(contentsOfFile: folder + "/n.prototxt", encoding: .utf8)
        XCTAssertTrue(text.contains("    shape {\n      dim: 2\n      dim: 3\n    }\n"), text)
        XCTAssertTrue(text.contains("    data: 0.1\n") && text.contains("    data: 104.0\n") && text.contains("    data: 1e-05\n"), text)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder).sorted(), ["n.caffemodel", "n.prototxt"])
    }

    /// A device is written in place, never replaced by a renamed regular file.
    func testWritingToADeviceKeepsTheDevice() throws {
        try CaffeFiles.writeAtomically(Data("x".utf8), to: "/dev/null")
        var status = stat()
        XCTAssertEqual(stat("/dev/null", &status), 0)
        XCTAssertEqual(status.st_mode & S_IFMT, S_IFCHR)
    }
}
