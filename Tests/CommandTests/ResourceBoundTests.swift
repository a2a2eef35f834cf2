import CaffeProto
import Foundation
import TestSupport
import XCTest

/// Files that declare absurd sizes are refused with a clear error before any large allocation.
/// Each case runs `dsod` (or `dsod-fuzz replay`, which runs one reader on one file) as a child
/// process and checks its error and its peak resident memory.
final class ResourceBoundTests: XCTestCase {
    /// A child that refused its input must have stayed this small (the program alone is ~30 MB).
    static let smallMemory = 200 << 20

    private var folder: String!

    override func setUpWithError() throws {
        folder = NSTemporaryDirectory() + "resource-bounds-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func tool(_ name: String) throws -> String {
        guard let binary = TestPaths.builtExecutable(name, besides: Self.self) else { throw XCTSkip("\(name) is not built beside the tests") }
        return binary
    }

    /// Runs `dsod arguments` and checks that it failed cleanly, with every fragment in its last
    /// stderr line, using little memory. Returns that line.
    @discardableResult
    private func refused(_ arguments: [String], program: String = "dsod", environment: [String: String] = [:],
                         mentions fragments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (outcome, peak) = try ChildProcess.runMeasured(try tool(program), arguments, environment: environment, timeout: 120)
        let output = program == "dsod" ? outcome.stderr : outcome.stdout
        let last = output.split(separator: "\n").last.map(String.init) ?? ""
        XCTAssertNil(outcome.signal, "crashed: \(outcome.stderr.suffix(1500))", file: file, line: line)
        if program == "dsod" { XCTAssertEqual(outcome.exitCode, 1, output, file: file, line: line) }
        for fragment in fragments {
            XCTAssertTrue(last.contains(fragment), "\(last)\n  expected to contain: \(fragment)", file: file, line: line)
        }
        // Without GNU time the child ran under `ulimit -v` (a large allocation would have failed it).
        let peakBytes = peak ?? 0
        XCTAssertLessThan(peakBytes, Self.smallMemory, "peak memory \(peakBytes >> 20) MiB", file: file, line: line)
        return last
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = folder + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func inputNet(_ dims: [String]) -> String {
        "name: \"huge\"\nlayer { name: \"data\" type: \"Input\" top: \"data\" input_param { shape { \(dims.map { "dim: \($0)" }.joined(separator: " ")) } } }\n"
            + "layer { name: \"relu\" type: \"ReLU\" bottom: \"data\" top: \"out\" }\n"
    }

    /// A dimension of 2^40: more values than a blob can hold (Caffe's INT_MAX count).
    func testDimensionOfTwoToTheFortyIsRefused() throws {
        let net = try write("dim40.prototxt", inputNet(["1", "1099511627776"]))
        for arguments in [["forward", "--model", net, "--out", folder + "/out"], ["inspect", net]] {
            try refused(arguments, mentions: [net, "layer 'data'", "1099511627776", "more than 2147483647 elements"])
        }
    }

    /// Dimensions whose product overflows a 64-bit integer.
    func testShapeWhoseProductOverflowsIsRefused() throws {
        let net = try write("overflow.prototxt", inputNet(["4294967296", "4294967296", "4294967296"]))
        try refused(["forward", "--model", net, "--out", folder + "/out"], mentions: [net, "layer 'data'", "more than 2147483647 elements"])
    }

    /// A convolution whose weight count overflows: refused when its weights are shaped.
    func testConvolutionWithAbsurdWeightsIsRefused() throws {
        let net = try write("conv.prototxt", inputNet(["1", "3", "8", "8"]).replacingOccurrences(of: "layer { name: \"relu\" type: \"ReLU\" bottom: \"data\" top: \"out\" }", with: """
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
              convolution_param { num_output: 2147483647 kernel_size: 65535 pad: 40000 } }
            """))
        try refused(["forward", "--model", net, "--out", folder + "/out"], mentions: [net, "layer 'conv'", "more than 2147483647 elements"])
    }

    /// A count a blob may hold but memory may not: DSOD_MEMORY_LIMIT (default 80% of RAM) stops it.
    func testBlobLargerThanTheMemoryLimitIsRefused() throws {
        let net = try write("budget.prototxt", inputNet(["1", "1", "46340", "46340"]))
        try refused(["forward", "--model", net, "--out", folder + "/out"], environment: ["DSOD_MEMORY_LIMIT": "1G"],
                    mentions: [net, "layer 'data'", "2147395600 float values would take 8.0 GiB", "more than the memory limit of 1.0 GiB (set DSOD_MEMORY_LIMIT"])
    }

    /// A caffemodel whose blob declares an absurd shape with two values: refused by inspect,
    /// convert and forward without allocating the shape.
    func testCaffemodelWithAbsurdBlobShapeIsRefused() throws {
        var blob = Caffe_BlobProto()
        blob.shape.dim = [1 << 40, 1 << 40]
        blob.data = [1, 2]
        var layer = Caffe_LayerParameter()
        layer.name = "ip"
        layer.type = "InnerProduct"
        layer.blobs = [blob, blob]
        var weights = Caffe_NetParameter()
        weights.layer = [layer]
        let path = folder + "/absurd.caffemodel"
        try CaffeFiles.write(weights, to: path)
        let net = try write("ip.prototxt", inputNet(["2", "3"]).replacingOccurrences(of: "layer { name: \"relu\" type: \"ReLU\" bottom: \"data\" top: \"out\" }",
                                                                               with: "layer { name: \"ip\" type: \"InnerProduct\" bottom: \"data\" top: \"ip\" inner_product_param { num_output: 4 } }"))
        try refused(["inspect", path], mentions: [path, "layer 'ip'", "param 0", "needs more values than can be counted, the file stores 2"])
        try refused(["convert", path, folder + "/absurd.prototxt"], mentions: [path, "layer 'ip'", "needs more values than can be counted"])
        try refused(["forward", "--model", net, "--weights", path, "--out", folder + "/out"],
                    mentions: [path, "layer 'ip'", "cannot copy param 0 weights: shape mismatch", "1099511627776 1099511627776 (too many)"])
        // The same blob embedded in a text net (Caffe builds such a net directly from its blobs).
        var embedded = Caffe_NetParameter()
        var input = Caffe_LayerParameter()
        input.name = "data"; input.type = "Input"; input.top = ["data"]
        var inputShape = Caffe_BlobShape()
        inputShape.dim = [2, 3]
        input.inputParam.shape = [inputShape]
        var ip = layer
        ip.bottom = ["data"]; ip.top = ["ip"]; ip.innerProductParam.numOutput = 4
        ip.blobs = [{ var b = Caffe_BlobProto(); b.shape.dim = [4, 500_000_000]; b.data = [1]; return b }(), blob]
        embedded.layer = [input, ip]
        let text = folder + "/embedded.prototxt"
        try CaffeFiles.write(embedded, to: text)
        try refused(["forward", "--model", text, "--out", folder + "/out"], mentions: [text, "layer 'ip'", "stores 1 data values for 2000000000 elements"])
    }

    /// Text nested thousands deep is refused where it goes wrong, without recursion trouble.
    func testTextNestedThousandsDeepIsRefused() throws {
        let deep = try write("deep.prototxt", String(repeating: "layer { ", count: 20_000) + String(repeating: "} ", count: 20_000))
        try refused(["inspect", deep], mentions: [deep + ":1:", "has no field named \"layer\""])
        let deepXML = try write("deep.xml", String(repeating: "<annotation>", count: 100_000))
        try refused(["replay", "voc-xml", deepXML], program: "dsod-fuzz", mentions: ["XML: elements nested more than 256 deep"])
        let deepJSON = try write("deep.json", String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000))
        try refused(["replay", "coco-json", deepJSON], program: "dsod-fuzz", mentions: ["fuzz.json", "not valid JSON: "])
    }

    /// A file over protobuf's 2 GiB limit is refused from its size, before it is read.
    func testFileLargerThanTwoGiBIsRefusedBeforeReading() throws {
        for name in ["huge.caffemodel", "huge.prototxt"] {
            let path = folder + "/" + name
            FileManager.default.createFile(atPath: path, contents: nil)
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
            try handle.truncate(atOffset: UInt64(Int32.max) + 2)  // sparse: no disk used
            try handle.close()
            try refused(["inspect", path], mentions: [path, "is 2147483649 bytes", "limited to 2 GiB - 1"])
        }
    }

    /// A JPEG whose header declares 30000x30000 pixels in a few kilobytes: refused as a bomb
    /// before the 2.7 GB of pixels are allocated, even when the memory limit would allow them.
    func testJPEGBombIsRefused() throws {
        let bomb = try Self.jpegBomb(width: 30_000, height: 30_000)
        let path = folder + "/bomb.jpg"
        FileManager.default.createFile(atPath: path, contents: bomb)
        try refused(["replay", "jpeg", path], program: "dsod-fuzz", environment: ["DSOD_MEMORY_LIMIT": "64G"],
                    mentions: ["JPEG header declares 30000x30000 pixels", "refusing it as a decompression bomb"])
    }

    /// A small real JPEG with the frame size of its SOF marker rewritten.
    static func jpegBomb(width: Int, height: Int) throws -> Data {
        let source = TestPaths.golden("lmdb/voc_mini/JPEGImages/camera.jpg").path
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        var i = 2
        while i + 9 < bytes.count {
            guard bytes[i] == 0xFF else { i += 1; continue }
            let marker = bytes[i + 1]
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            if (0xC0...0xC3).contains(marker) {
                bytes[i + 5] = UInt8(height >> 8); bytes[i + 6] = UInt8(height & 0xFF)
                bytes[i + 7] = UInt8(width >> 8); bytes[i + 8] = UInt8(width & 0xFF)
                return Data(bytes.prefix(min(bytes.count, 4096)))
            }
            i += 2 + length
        }
        throw XCTSkip("no SOF marker in \(source)")
    }
}
