import XCTest
import CaffeProto
import TestSupport

/// The golden bad inputs that are format errors (text or binary): each gets a clear error
/// naming the file and where, in libprotobuf's words with our additions.
final class BadInputTests: XCTestCase {
    private func folder(_ name: String) -> String { TestPaths.golden("formats/bad_inputs/\(name)").path }

    private func textError(_ name: String) -> CaffeFormatError? {
        let path = folder(name) + "/bad.prototxt"
        do { _ = try CaffeFiles.readNet(path); return nil } catch { return error as? CaffeFormatError }
    }

    private func weightsError(_ name: String) -> CaffeFormatError? {
        let path = folder(name) + "/bad.caffemodel"
        do { _ = try CaffeFiles.loadNet(path); return nil } catch { return error as? CaffeFormatError }
    }

    /// The position libprotobuf reports and the message, for each text case.
    func testTextCases() {
        let expected: [(String, Int, Int, String)] = [
            ("bad_enum_name", 7, 95, #"Unknown enumeration value of "MAXIMUM" for field "pool"; expected one of MAX, AVE, STOCHASTIC."#),
            ("bad_enum_number", 7, 89, #"Unknown enumeration value of "7" for field "pool"; expected one of MAX, AVE, STOCHASTIC."#),
            ("caffemodel_as_prototxt", 2, 1, "Invalid control characters encountered in text (is this a binary file?)."),
            ("duplicate_optional_field", 5, 47, #"Non-repeated field "num_output" is specified multiple times."#),
            ("unclosed_brace", 8, 1, #"Expected identifier, got: (end of file); a "{" is never closed."#),
            ("unknown_field", 6, 14, #"Message type "caffe.LayerParameter" has no field named "bogus_field"."#),
            ("wrong_type_float_for_int", 5, 50, "Expected integer, got: 2.5"),
            ("wrong_type_int_for_string", 1, 7, "Expected string, got: 5"),
            ("wrong_type_negative_uint", 5, 35, "Expected integer, got: -"),
            ("wrong_type_string_for_int", 5, 35, #"Expected integer, got: "three""#),
        ]
        for (name, line, column, message) in expected {
            let e = textError(name)
            XCTAssertNotNil(e, name)
            XCTAssertEqual(e?.line, line, name)
            XCTAssertEqual(e?.column, column, name)
            XCTAssertEqual(e?.message, message, name)
            XCTAssertEqual(e?.description.hasPrefix(folder(name) + "/bad.prototxt:\(line):\(column): "), true, name)
        }
    }

    func testEnumAsNumberLoads() throws {
        let net = try CaffeFiles.readNet(folder("enum_as_number_ok") + "/bad.prototxt")
        XCTAssertEqual(net.layer[2].poolingParam.pool, .ave)
    }

    func testBinaryCasesThatCaffeRejects() {
        let expected: [(String, Int, String)] = [
            ("trunc_1", 1, "truncated inside a varint of caffe.NetParameter.name"),
            ("trunc_in_name", 0, "truncated: caffe.NetParameter.name declares 6 bytes, 3 remain"),
            ("trunc_mid_blob", 43, "truncated: caffe.NetParameter.layer[1] (\"conv1\") declares 541 bytes, 104 remain"),
            ("trunc_minus_1", 1889, "truncated: caffe.NetParameter.layer[6] (\"prob\")"),
            ("not_protobuf_jpeg", 0, "(the file looks like a JPEG image)"),
            ("not_protobuf_prototxt_as_weights", 0, "(the file looks like text (a prototxt?)"),
        ]
        for (name, offset, fragment) in expected {
            let e = weightsError(name)
            XCTAssertNotNil(e, name)
            XCTAssertEqual(e?.byteOffset, offset, "\(name): \(e?.description ?? "")")
            XCTAssertTrue(e?.message.contains(fragment) == true, "\(name): \(e?.description ?? "nil")")
            XCTAssertTrue(e?.message.hasPrefix("not a valid binary caffe.NetParameter: ") == true, name)
        }
    }

    /// Caffe loads these (golden "loads (!)"); we load them too, with a warning where the bytes
    /// themselves show something is off.
    func testBinaryCasesThatCaffeAccepts() throws {
        let empty = try CaffeFiles.loadNet(folder("trunc_0_empty") + "/bad.caffemodel")
        XCTAssertEqual(empty.message.layer.count, 0)
        XCTAssertEqual(empty.warnings.count, 1)
        let zeros = try CaffeFiles.loadNet(folder("not_protobuf_zeros") + "/bad.caffemodel")
        XCTAssertEqual(zeros.message.layer.count, 0)
        XCTAssertTrue(zeros.warnings.first?.contains("zero tag at byte 0") == true)
        let boundary = try CaffeFiles.loadNet(folder("trunc_at_layer_boundary") + "/bad.caffemodel")
        XCTAssertEqual(boundary.message.layer.map(\.name), ["data", "conv1"])
    }
}
