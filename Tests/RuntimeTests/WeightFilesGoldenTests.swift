import CaffeProto
import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// golden/formats: caffemodels written by Caffe load into the right layers (by name), shared
/// parameters take the last copy, legacy blob shapes are accepted, saving gives Caffe's bytes,
/// and bad weights or nets give errors naming the layer.
final class WeightFilesGoldenTests: XCTestCase {
    private func formats(_ relative: String) -> URL { TestPaths.golden("formats/\(relative)") }

    private func feedAndCompare(_ net: Net, folder: URL, tolerance: GoldenTolerance) throws {
        let goldenCase = try GoldenCase(folder: folder)
        for (name, array) in try goldenCase.arrays(in: "bottom") { try net.blob(named: name)!.setData(array.values) }
        try net.forward()
        for (name, array) in try goldenCase.arrays(in: "top") {
            guard let blob = net.blob(named: name) else { XCTFail("no blob \(name)"); continue }
            if let mismatch = goldenMismatch("\(folder.lastPathComponent)/top/\(name)", shape: blob.shape, values: blob.dataArray(), golden: array, tolerance: tolerance) {
                XCTFail(mismatch)
            }
        }
    }

    private func compareParams(_ net: Net, folder: URL) throws {
        for (name, array) in try GoldenCase(folder: folder).arrays(in: "params") {
            let parts = name.split(separator: ".")
            guard parts.count == 2, let layer = net.layer(named: String(parts[0])), let index = Int(parts[1]), index < layer.blobs.count else {
                XCTFail("params/\(name): no such layer blob")
                continue
            }
            XCTAssertEqual(layer.blobs[index].dataArray(), array.values, "params/\(name) loaded exactly")
        }
    }

    func testCaffemodelsLoadAndSaveByteForByte() throws {
        for name in ["convbn", "shared", "ssd_layers"] {
            let folder = formats("caffemodel/\(name)")
            let goldenCase = try GoldenCase(folder: folder)
            let net = try Net(path: folder.appendingPathComponent("net.prototxt").path, phase: goldenCase.phase, registry: .standard)
            let report = try net.loadWeights(from: folder.appendingPathComponent("weights.caffemodel").path)
            XCTAssertEqual(report.layersWithoutWeights, [], name)
            try compareParams(net, folder: folder)
            try feedAndCompare(net, folder: folder, tolerance: goldenCase.forwardTolerance ?? GoldenTolerance(atol: 1e-5, rtol: 1e-4))

            // Net::ToProto of the loaded net is what Caffe's net.save wrote, byte for byte.
            let saved = FileManager.default.temporaryDirectory.appendingPathComponent("dsod-\(name)-\(getpid()).caffemodel")
            defer { try? FileManager.default.removeItem(at: saved) }
            try net.saveWeights(to: saved.path)
            let ours = try Data(contentsOf: saved)
            let caffe = try Data(contentsOf: folder.appendingPathComponent("weights.caffemodel"))
            XCTAssertEqual(ours, caffe, "\(name): saved weights differ from Caffe's net.save (\(ours.count) vs \(caffe.count) bytes)")

            // And they load back into a fresh net.
            let again = try Net(path: folder.appendingPathComponent("net.prototxt").path, phase: goldenCase.phase, registry: .standard)
            try again.loadWeights(from: saved.path)
            try compareParams(again, folder: folder)
        }
    }

    func testSharedParametersLastCopyWins() throws {
        let folder = formats("caffemodel/shared")
        let net = try Net(path: folder.appendingPathComponent("net.prototxt").path, phase: .test, registry: .standard)
        try net.loadWeights(from: folder.appendingPathComponent("weights_unshared.caffemodel").path)
        let data = try Data(contentsOf: folder.appendingPathComponent("loaded_from_unshared.json"))
        let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        for layer in json["caffe_sees"] as? [[String: Any]] ?? [] {
            guard let name = layer["name"] as? String, let ours = net.layer(named: name) else { XCTFail("missing layer"); continue }
            for (i, blob) in (layer["blobs"] as? [[String: Any]] ?? []).enumerated() {
                let first = (blob["first"] as? [NSNumber] ?? []).map(\.floatValue)
                XCTAssertEqual(Array(ours.blobs[i].dataArray().prefix(first.count)), first, "\(name) blob \(i)")
                XCTAssertEqual(ours.blobs[i].shape, blob["shape"] as? [Int], "\(name) blob \(i) keeps its own shape")
                let sum = ours.blobs[i].dataArray().reduce(0.0) { $0 + Double($1) }
                XCTAssertEqual(sum, (blob["sum"] as? NSNumber)?.doubleValue ?? .nan, accuracy: 1e-5, "\(name) blob \(i) sum")
            }
        }
    }

    func testLegacyBlobShapesLoad() throws {
        let folder = formats("legacy/blob_shapes")
        for file in ["legacy_dims", "double_data", "unpacked_data", "shape_and_legacy"] {
            let net = try Net(path: folder.appendingPathComponent("net.prototxt").path, phase: .test, registry: .standard)
            try net.loadWeights(from: folder.appendingPathComponent("\(file).caffemodel").path)
            try compareParams(net, folder: folder)
            try feedAndCompare(net, folder: folder, tolerance: GoldenTolerance(atol: 1e-5, rtol: 1e-4))
        }
    }

    /// Runs `body`, which must throw; returns the error's description.
    private func errorText(_ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            try body()
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch {
            return "\(error)"
        }
    }

    func testBadNetsAndWeightsGiveClearErrors() throws {
        let bad = formats("bad_inputs")
        let unknownBottom = errorText { _ = try Net(path: bad.appendingPathComponent("unknown_bottom/bad.prototxt").path, registry: .standard) }
        XCTAssertTrue(unknownBottom.contains("'pool'") && unknownBottom.contains("'conv2'"), unknownBottom)
        XCTAssertTrue(unknownBottom.contains("bad.prototxt"), unknownBottom)

        let unknownType = errorText { _ = try Net(path: bad.appendingPathComponent("unknown_layer_type/bad.prototxt").path, registry: .standard) }
        XCTAssertTrue(unknownType.contains("Poolling") && unknownType.contains("Pooling"), unknownType)

        let expectations: [(String, [String])] = [
            ("blob_count_mismatch", ["'ip'", "number of blobs", "2", "1"]),
            ("shape_mismatch", ["'ip'", "param 0", "3 7 (21)", "3 8 (24)"]),
            ("data_count_mismatch", ["'ip'", "3", "2"]),
            ("legacy_bias_left_aligned", ["'ip'", "param 1", "3 1 1 1 (3)", "3 (3)"]),
        ]
        for (name, fragments) in expectations {
            let folder = bad.appendingPathComponent(name)
            let net = try Net(path: folder.appendingPathComponent("net.prototxt").path, phase: .test, registry: .standard)
            let text = errorText { try net.loadWeights(from: folder.appendingPathComponent("bad.caffemodel").path) }
            for fragment in fragments {
                XCTAssertTrue(text.contains(fragment), "\(name): '\(fragment)' missing from: \(text)")
            }
            XCTAssertTrue(text.contains("bad.caffemodel"), "\(name): the file is named: \(text)")
        }
    }

    /// Files Caffe silently half-loads (empty, zeros, cut at a layer boundary): the report names
    /// the layers that kept their fillers, so tools can say so.
    func testHalfLoadedFilesAreReported() throws {
        let convbn = formats("caffemodel/convbn/net.prototxt").path
        let expected: [String: [String]] = [
            "trunc_0_empty": ["conv1", "conv1_bn", "conv1_scale", "fc"],
            "not_protobuf_zeros": ["conv1", "conv1_bn", "conv1_scale", "fc"],
            "trunc_at_layer_boundary": ["conv1_bn", "conv1_scale", "fc"],
        ]
        for (name, missing) in expected {
            let net = try Net(path: convbn, phase: .test, registry: .standard)
            let report = try net.loadWeights(from: formats("bad_inputs/\(name)/bad.caffemodel").path)
            XCTAssertEqual(report.layersWithoutWeights, missing, name)
        }
    }
}
