import CaffeProto
import DataPipeline
import Foundation
import Runtime
import TestSupport
import XCTest

/// transform_cases/* and annotated_data_test: Caffe's data layers run through pycaffe, batch by
/// batch; ours must give the same tops exactly.
final class GoldenBatchTests: XCTestCase {
    /// Builds the loader for the single data layer of `net` (paths relative to `folder`).
    static func loader(net: String, folder: String, phase: Caffe_Phase = .test) throws -> any BatchSource {
        let netParam = try CaffeFiles.readNet((folder as NSString).appendingPathComponent(net))
        guard let layer = netParam.layer.first else { throw DataPipelineError(net, "no layer") }
        switch layer.type {
        case "AnnotatedData": return try AnnotatedBatchLoader(layer: layer, phase: phase, baseDirectory: folder)
        case "Data": return try DatumBatchLoader(layer: layer, phase: phase, baseDirectory: folder)
        default: throw DataPipelineError(net, "unexpected layer type \(layer.type)")
        }
    }

    /// Compares one batch with Caffe's files; returns a failure description or nil.
    static func compare(_ batch: DataBatch, data: NumpyArray?, label: NumpyArray?) -> [String] {
        var problems: [String] = []
        if let data {
            if data.shape != batch.dataShape { problems.append("data shape \(batch.dataShape) vs Caffe \(data.shape)") }
            else if let v = toleranceViolation(ours: batch.data, caffe: data.values, atol: 0, rtol: 0) { problems.append("data: \(v)") }
        }
        if let label {
            if label.shape != batch.labelShape { problems.append("label shape \(batch.labelShape) vs Caffe \(label.shape): ours \(batch.label) Caffe \(label.values)") }
            else if batch.label != label.values { problems.append("label: ours \(batch.label) Caffe \(label.values)") }
        }
        return problems
    }

    func testTransformCases() throws {
        let root = LMDBGolden.root.appendingPathComponent("transform_cases")
        let index = try LMDBGolden.json("transform_cases/index.json")
        let cases = try XCTUnwrap(index["cases"] as? [String])
        var passed = 0
        var failures: [String] = []
        for name in cases {
            let folder = root.appendingPathComponent(name).path
            let topFiles = (try FileManager.default.contentsOfDirectory(atPath: folder + "/top")).sorted()
            let batches = topFiles.filter { $0.hasSuffix("_data.npy") }.count
            XCTAssertGreaterThan(batches, 0, "\(name) has no stored batch")
            do {
                let source = try Self.loader(net: "net.prototxt", folder: folder)
                var problems: [String] = []
                for b in 0..<batches {
                    let batch = try source.nextBatch()
                    let data = try NumpyArray.read("\(folder)/top/batch_\(b)_data.npy")
                    let label = try NumpyArray.read("\(folder)/top/batch_\(b)_label.npy")
                    problems += Self.compare(batch, data: data, label: label).map { "batch \(b) \($0)" }
                }
                if problems.isEmpty { passed += 1 } else { failures.append("\(name): " + problems.joined(separator: "; ")) }
            } catch {
                failures.append("\(name): \(error)")
            }
        }
        print("transform_cases: \(passed)/\(cases.count) passed")
        for f in failures { XCTFail(f) }
    }

    func testAnnotatedDataTestNet() throws {
        let folder = LMDBGolden.root.appendingPathComponent("annotated_data_test").path
        let source = try Self.loader(net: "net.prototxt", folder: folder)
        let means: [Float] = [104, 117, 123]
        var maxDeviation: Float = 0
        for b in 0..<3 {
            let batch = try source.nextBatch()
            let u8 = try NumpyArray.read("\(folder)/top/batch_\(b == 2 ? 0 : b)_data_plus_mean_u8.npy")
            let plane = u8.shape[2] * u8.shape[3]
            var expected = u8.values
            for i in 0..<expected.count { expected[i] -= means[(i / plane) % 3] }
            let caffe = NumpyArray(shape: u8.shape, values: expected)
            let label = try NumpyArray.read("\(folder)/top/batch_\(b)_label.npy")
            for (ours, theirs) in zip(batch.data, caffe.values) { maxDeviation = max(maxDeviation, abs(ours - theirs)) }
            let problems = Self.compare(batch, data: caffe, label: label)
            XCTAssertTrue(problems.isEmpty, "batch \(b): \(problems.joined(separator: "; "))")
        }
        print("annotated_data_test: max |data - Caffe| = \(maxDeviation)")
    }

    func testAnnotatedDataBatchOfOneGivesPlaceholderRow() throws {
        let folder = LMDBGolden.root.appendingPathComponent("annotated_data_test").path
        let source = try Self.loader(net: "net_batch1.prototxt", folder: folder)
        for b in 0..<4 {
            let batch = try source.nextBatch()
            let label = try NumpyArray.read("\(folder)/top_batch1/batch_\(b)_label.npy")
            XCTAssertEqual(batch.labelShape, label.shape, "batch \(b)")
            XCTAssertEqual(batch.label, label.values, "batch \(b)")
        }
    }

    /// The verbatim DSOD test layer aborts in Caffe on the 1-channel record; ours must fail
    /// with an error that names the record and suggests force_color.
    func testVerbatimDSODTestLayerFailsClearlyOnGrayRecord() throws {
        let folder = LMDBGolden.root.appendingPathComponent("annotated_data_test").path
        let source = try Self.loader(net: "net_dsod_verbatim.prototxt", folder: folder)
        _ = try source.nextBatch()  // astronaut, chelsea: fine
        XCTAssertThrowsError(try source.nextBatch()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("camera.jpg"), text)
            XCTAssertTrue(text.contains("force_color"), text)
        }
    }
}
