import CaffeProto
@testable import DSODCommands
import Foundation
import TestSupport
import XCTest

/// Every case of golden/formats/bad_inputs through `dsod inspect`, `dsod convert` and
/// `dsod forward` (with the case's net.prototxt where it has one): where Caffe aborts (case.json
/// `expect: error`), each tool gives an error naming the file and what went wrong; where Caffe
/// loads the file (`loads`, `loads (!)`), each tool loads it, and for the silent ones it warns
/// about the net layers the file has no weights for.
final class BadInputCommandTests: XCTestCase {
    private var scratch: String!

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "bad-inputs-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    /// What every tool's error must say, per case (the file path is checked separately).
    static let expectedErrors: [String: [String]] = [
        "bad_enum_name": [":7:95: ", #"Unknown enumeration value of "MAXIMUM" for field "pool""#],
        "bad_enum_number": [":7:89: ", #"Unknown enumeration value of "7" for field "pool""#],
        "caffemodel_as_prototxt": [":2:1: ", "Invalid control characters encountered in text"],
        "duplicate_optional_field": [":5:47: ", #"Non-repeated field "num_output" is specified multiple times."#],
        "unclosed_brace": [":8:1: ", #"a "{" is never closed"#],
        "unknown_field": [":6:14: ", #"has no field named "bogus_field""#],
        "wrong_type_float_for_int": [":5:50: ", "Expected integer, got: 2.5"],
        "wrong_type_int_for_string": [":1:7: ", "Expected string, got: 5"],
        "wrong_type_negative_uint": [":5:35: ", "Expected integer, got: -"],
        "wrong_type_string_for_int": [":5:35: ", #"Expected integer, got: "three""#],
        "unknown_bottom": ["layer 'pool'", "unknown bottom blob 'conv2'"],
        "unknown_layer_type": ["layer 'pool'", #"unknown layer type "Poolling""#, #"did you mean "Pooling"?"#],
        "blob_count_mismatch": ["layer 'ip'", "incompatible number of blobs", "has 2, the file has 1"],
        "data_count_mismatch": ["layer 'ip'", "param 1", "blob of shape [3]", "3", "2"],
        "legacy_bias_left_aligned": ["layer 'ip'", "cannot copy param 1 weights: shape mismatch", "3 1 1 1 (3)", "expects 3 (3)"],
        "shape_mismatch": ["layer 'ip'", "cannot copy param 0 weights: shape mismatch", "3 7 (21)", "expects 3 8 (24)"],
        "not_protobuf_jpeg": ["(byte 0): not a valid binary caffe.NetParameter", "looks like a JPEG image"],
        "not_protobuf_prototxt_as_weights": ["(byte 0): not a valid binary caffe.NetParameter", "looks like text (a prototxt?)"],
        "trunc_1": ["(byte 1): not a valid binary caffe.NetParameter", "truncated inside a varint of caffe.NetParameter.name"],
        "trunc_in_name": ["(byte 0): not a valid binary caffe.NetParameter", "caffe.NetParameter.name declares 6 bytes, 3 remain"],
        "trunc_mid_blob": ["(byte 43): not a valid binary caffe.NetParameter", #"caffe.NetParameter.layer[1] ("conv1") declares 541 bytes, 104 remain"#],
        "trunc_minus_1": ["(byte 1889): not a valid binary caffe.NetParameter", #"caffe.NetParameter.layer[6] ("prob")"#],
    ]

    /// Net layers with parameters that the silently accepted files have no weights for.
    static let expectedMissing: [String: String] = [
        "trunc_0_empty": "4 layer(s)",
        "not_protobuf_zeros": "4 layer(s)",
        "trunc_at_layer_boundary": "3 layer(s)",
    ]

    private struct Case {
        var name: String
        var expect: String
        var file: String
        var model: String?
    }

    private func cases() throws -> [Case] {
        try TestPaths.subfolders(of: TestPaths.golden("formats/bad_inputs")).map { folder in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("case.json"))) as? [String: Any]
            let expect = try XCTUnwrap(json?["expect"] as? String)
            let weights = folder.appendingPathComponent("bad.caffemodel").path
            let hasWeights = FileManager.default.fileExists(atPath: weights)
            return Case(name: folder.lastPathComponent, expect: expect,
                        file: hasWeights ? weights : folder.appendingPathComponent("bad.prototxt").path,
                        model: hasWeights ? folder.appendingPathComponent("net.prototxt").path : nil)
        }
    }

    /// The three tools on one case; each returns its warning lines or throws.
    private func tools(_ c: Case) -> [(String, () throws -> [String])] {
        let out = scratch + "/\(c.name)"
        return [
            ("inspect", { try InspectCommand.inspect(file: c.file, kind: nil, showBlobs: true, model: c.model).filter { $0.hasPrefix("warning") } }),
            ("convert", {
                try ConvertCommand.convert(input: c.file, output: out + (c.model == nil ? ".caffemodel" : ".prototxt"), kind: nil,
                                           upgrade: true, model: c.model).filter { $0.hasPrefix("warning") }
            }),
            ("forward", {
                var arguments = ["--model", c.model ?? c.file, "--out", out + "_blobs"]
                if c.model != nil { arguments += ["--weights", c.file] }
                var warnings: [String] = []
                _ = try ForwardCommand.parse(arguments).forward(log: { if $0.hasPrefix("warning") { warnings.append($0) } })
                return warnings
            }),
        ]
    }

    func testEveryCaseThroughEveryTool() throws {
        let all = try cases()
        XCTAssertEqual(all.count, 26)
        var checked = 0
        for c in all {
            for (tool, run) in tools(c) {
                let label = "\(c.name) / dsod \(tool)"
                if c.expect == "error" {
                    XCTAssertThrowsError(try run(), label) { error in
                        let message = "\(error)"
                        XCTAssertTrue(message.contains(c.file) || message.contains(c.model ?? c.file), "\(label): does not name the file: \(message)")
                        for fragment in Self.expectedErrors[c.name] ?? ["(no expectation)"] {
                            XCTAssertTrue(message.contains(fragment), "\(label): \(message)\n  expected to contain: \(fragment)")
                        }
                    }
                } else {
                    do {
                        let warnings = try run()
                        if let missing = Self.expectedMissing[c.name] {
                            XCTAssertTrue(warnings.contains { $0.contains("has no weights for \(missing)") && $0.contains("keep their fillers") },
                                          "\(label): no warning about the layers without weights: \(warnings)")
                        }
                    } catch {
                        XCTFail("\(label): Caffe loads this file, we refused it: \(error)")
                    }
                }
                checked += 1
            }
        }
        XCTAssertEqual(checked, 78)
    }

    /// The layers a boundary-truncated file lacks are named.
    func testTruncatedAtLayerBoundaryNamesTheLayersWithoutWeights() throws {
        let folder = TestPaths.golden("formats/bad_inputs/trunc_at_layer_boundary")
        let lines = try InspectCommand.inspect(file: folder.appendingPathComponent("bad.caffemodel").path, kind: nil, showBlobs: false,
                                               model: folder.appendingPathComponent("net.prototxt").path)
        XCTAssertTrue(lines.contains { $0.hasPrefix("warning: ") && $0.hasSuffix("they keep their fillers: conv1_bn, conv1_scale, fc") }, "\(lines)")
    }
}
