import Foundation
import ModelZoo
import TestSupport
import XCTest

/// `LayerParamFields.table` is net_spec.py's `param_name_dict()` of this repository's caffe.proto.
final class LayerParamFieldsTests: XCTestCase {
    func testTableMatchesCaffeProto() throws {
        let schema = try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("Sources/CaffeProto/Schema/caffe.proto"), encoding: .utf8)
        guard let start = schema.range(of: "message LayerParameter {") else { return XCTFail("no LayerParameter in caffe.proto") }
        var expected: [String: String] = [:]
        var depth = 0
        for line in schema[start.lowerBound...].split(separator: "\n") {
            depth += line.filter { $0 == "{" }.count - line.filter { $0 == "}" }.count
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // optional <Name>Parameter <name>_param = <n>;
            if words.count >= 3, words[0] == "optional", words[1].hasSuffix("Parameter"), words[2].hasSuffix("_param") {
                expected[String(words[1].dropLast("Parameter".count))] = String(words[2])
            }
            if depth == 0 { break }
        }
        XCTAssertGreaterThan(expected.count, 50)
        XCTAssertEqual(LayerParamFields.table, expected)
        XCTAssertEqual(LayerParamFields.field(forType: "Normalize"), "norm_param")
        XCTAssertNil(LayerParamFields.field(forType: "Deconvolution"))
    }
}
