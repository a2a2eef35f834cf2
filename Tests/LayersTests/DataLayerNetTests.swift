import XCTest
import Foundation
import CaffeProto
import Layers
import Runtime
import TestSupport

/// The AnnotatedData layer inside a Net, on Caffe's voc_mini LMDB with DSOD300's test transform
/// (golden lmdb/annotated_data_test): data tops and label rows exactly as Caffe's.
final class DataLayerNetTests: XCTestCase {
    private let folder = TestPaths.golden("lmdb/annotated_data_test")

    /// Runs `body` with the case folder as working directory (the net's paths are relative to it,
    /// as Caffe resolves them).
    private func inCaseFolder<T>(_ body: () throws -> T) throws -> T {
        let previous = FileManager.default.currentDirectoryPath
        XCTAssertTrue(FileManager.default.changeCurrentDirectoryPath(folder.path))
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        return try body()
    }

    func testDSODTestTransformBatches() throws {
        try inCaseFolder {
            let net = try Net(path: "net.prototxt", phase: .test, registry: .standard)
            for batch in 0..<3 {
                try net.forward()
                let data = try XCTUnwrap(net.blob(named: "data"))
                let stored = try NumpyArray.read(folder.appendingPathComponent("top/batch_\(batch == 2 ? 0 : batch)_data_plus_mean_u8.npy").path)
                XCTAssertEqual(data.shape, stored.shape)
                let plane = stored.count / (stored.shape[0] * 3)
                let mean: [Float] = [104, 117, 123]
                let expected = stored.values.enumerated().map { i, v in v - mean[(i / plane) % 3] }
                XCTAssertEqual(data.dataArray(), expected, "batch \(batch) data")
                let label = try NumpyArray.read(folder.appendingPathComponent("top/batch_\(batch)_label.npy").path)
                XCTAssertEqual(try XCTUnwrap(net.blob(named: "label")).shape, label.shape, "batch \(batch)")
                XCTAssertEqual(net.blob(named: "label")?.dataArray(), label.values, "batch \(batch) label")
            }
        }
    }

    func testBatchOneAndThePlaceholderRow() throws {
        try inCaseFolder {
            let net = try Net(path: "net_batch1.prototxt", phase: .test, registry: .standard)
            for batch in 0..<4 {
                try net.forward()
                let label = try NumpyArray.read(folder.appendingPathComponent("top_batch1/batch_\(batch)_label.npy").path)
                XCTAssertEqual(net.blob(named: "label")?.dataArray(), label.values, "batch \(batch)")
            }
            XCTAssertEqual(net.blob(named: "label")?.dataArray(), [Float](repeating: -1, count: 8))
        }
    }

    /// DSOD's verbatim test layer meets a 1-channel JPEG: Caffe aborts; we name the record.
    func testVerbatimDSODLayerFailsClearly() throws {
        try inCaseFolder {
            let net = try Net(path: "net_dsod_verbatim.prototxt", phase: .test, registry: .standard)
            var failure: Error?
            for _ in 0..<3 where failure == nil {
                do { try net.forward() } catch { failure = error }
            }
            let message = "\(try XCTUnwrap(failure))"
            XCTAssertTrue(message.contains("camera.jpg"), message)
            XCTAssertTrue(message.contains("force_color"), message)
        }
    }

    func testMissingLMDBIsNamed() throws {
        var p = try CaffeFiles.readNet(folder.appendingPathComponent("net.prototxt").path)
        p.layer[0].dataParam.source = "/nonexistent/lmdb"
        XCTAssertThrowsError(try Net(parameter: p, phase: .test, registry: .standard)) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/lmdb"), "\(error)")
        }
    }
}
