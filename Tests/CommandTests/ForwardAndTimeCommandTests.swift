import CaffeProto
@testable import DSODCommands
import Foundation
import Runtime
import TestSupport
import XCTest

/// `dsod forward` and `dsod time` called as functions.
final class ForwardAndTimeCommandTests: XCTestCase {
    private var folder: String!
    private let block = TestPaths.golden("layers/net_dense_block")

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fwd-\(UUID().uuidString)").path
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    func testForwardWritesCaffesBlobs() throws {
        let command = try ForwardCommand.parse([
            "--model", block.appendingPathComponent("net.prototxt").path,
            "--weights", block.appendingPathComponent("weights.caffemodel").path,
            "--phase", "TRAIN",
            "--input", "data=" + block.appendingPathComponent("bottom/data.npy").path,
            "--input", "target=" + block.appendingPathComponent("bottom/target.npy").path,
            "--blobs", "concat2,loss", "--out", folder,
        ])
        let (written, loss) = try command.forward(log: { _ in })
        XCTAssertEqual(written.map(\.blob), ["concat2", "loss"])
        let ours = try NumpyArray.read(folder + "/concat2.npy")
        let caffe = try NumpyArray.read(block.appendingPathComponent("top/concat2.npy").path)
        XCTAssertEqual(ours.shape, caffe.shape)
        XCTAssertNil(toleranceViolation(ours: ours.values, caffe: caffe.values, atol: 8.5e-5, rtol: 1e-5))
        let caffeLoss = try NumpyArray.read(block.appendingPathComponent("top/loss.npy").path).values[0]
        XCTAssertEqual(loss, caffeLoss, accuracy: 1e-3)
    }

    /// Asked for intermediate blobs, `dsod forward` runs every layer as Caffe: the BatchNorm tops
    /// that recomputation (TRAIN) or folding (TEST) would leave uncomputed hold Caffe's values.
    func testForwardWritesBlobsThatOptimizationsWouldSkip() throws {
        let names = ["bn1", "bn1b", "bn2", "bnt", "conv2b"]
        let command = try ForwardCommand.parse([
            "--model", block.appendingPathComponent("net.prototxt").path,
            "--weights", block.appendingPathComponent("weights.caffemodel").path,
            "--phase", "TRAIN",
            "--input", "data=" + block.appendingPathComponent("bottom/data.npy").path,
            "--input", "target=" + block.appendingPathComponent("bottom/target.npy").path,
            "--blobs", names.joined(separator: ","), "--out", folder,
        ])
        XCTAssertEqual(try command.forward(log: { _ in }).written.map(\.blob), names)
        for name in names {
            let ours = try NumpyArray.read(folder + "/\(name).npy")
            let caffe = try NumpyArray.read(block.appendingPathComponent("top/\(name).npy").path)
            XCTAssertEqual(ours.shape, caffe.shape, name)
            XCTAssertNil(toleranceViolation(ours: ours.values, caffe: caffe.values, atol: 8.5e-5, rtol: 1e-5), name)
        }
    }

    func testForwardAllAndDefaultOutputs() throws {
        let model = block.appendingPathComponent("net.prototxt").path
        let outputs = try ForwardCommand.parse(["--model", model, "--out", folder]).forward(log: { _ in }).written
        XCTAssertEqual(outputs.map(\.blob), ["loss"], "the net's only unread blob")
        let all = try ForwardCommand.parse(["--model", model, "--all", "--out", folder]).forward(log: { _ in }).written
        XCTAssertTrue(all.map(\.blob).contains("conv0_relu0_0_split_1"))
        XCTAssertFalse(all.map(\.blob).contains("(automatic)"))
    }

    func testForwardErrors() throws {
        let model = block.appendingPathComponent("net.prototxt").path
        XCTAssertThrowsError(try ForwardCommand.parse(["--model", model, "--out", folder, "--input", "nope"]))
        XCTAssertThrowsError(try ForwardCommand.parse(["--model", model, "--out", folder, "--phase", "VAL"]))
        XCTAssertThrowsError(try ForwardCommand.parse(["--model", model, "--out", folder, "--blobs", "missing"]).forward(log: { _ in })) {
            XCTAssertTrue("\($0)".contains("'missing'"), "\($0)")
        }
        XCTAssertThrowsError(try ForwardCommand.parse(["--model", model, "--out", folder, "--input", "ghost=/nonexistent.npy"]).forward(log: { _ in })) {
            XCTAssertTrue("\($0)".contains("'ghost'"), "\($0)")
        }
    }

    func testTimeReportsEveryLayer() throws {
        let command = try TimeCommand.parse(["--model", block.appendingPathComponent("net.prototxt").path, "--iterations", "2"])
        let report = try command.measure()
        XCTAssertEqual(report.layers.count, 32)
        XCTAssertTrue(report.layers.contains { $0.name == "conv0_relu0_0_split" && $0.backward != nil })
        XCTAssertGreaterThan(report.forward, 0)
        let text = TimeCommand.format(report)
        XCTAssertTrue(text.contains("Average Forward pass:") && text.contains("conv1a") && text.contains("backward:"))
        let forwardOnly = try TimeCommand.parse(["--model", block.appendingPathComponent("net.prototxt").path, "--iterations", "1", "--forward-only"]).measure()
        XCTAssertTrue(forwardOnly.layers.allSatisfy { $0.backward == nil })
        let types = TimeCommand.byType(report)
        XCTAssertEqual(types.map(\.layers).reduce(0, +), 32, "every layer counted once")
        XCTAssertEqual(types.map { $0.forward }.reduce(0, +), report.layers.map(\.forward).reduce(0, +), accuracy: 1e-9)
        XCTAssertTrue(TimeCommand.formatByType(report).contains("Convolution"))
    }
}
