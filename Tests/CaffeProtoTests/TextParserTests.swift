import XCTest
@testable import CaffeProto

/// The text parser on small hand-written inputs: what libprotobuf accepts, and its errors.
final class TextParserTests: XCTestCase {
    private func net(_ text: String) throws -> Caffe_NetParameter {
        try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "t.prototxt")
    }

    private func error(_ text: String) -> CaffeFormatError? {
        do { _ = try net(text); return nil } catch { return error as? CaffeFormatError }
    }

    func testScalarsMessagesAndComments() throws {
        let n = try net("""
            # a comment
            name: 'tiny' "net"   # adjacent strings concatenate
            layer < name: "c" type: "Convolution" bottom: "data"; top: "c",
              convolution_param: { num_output: 0x10 kernel_size: [3] pad: 010 weight_filler { type: "xavier" std: -.5 } }
              param { lr_mult: 1e-1 } param { lr_mult: 2.f decay_mult: inf }
              propagate_down: true propagate_down: f
            >
            force_backward: 1
            """)
        XCTAssertEqual(n.name, "tinynet")
        XCTAssertTrue(n.forceBackward)
        let c = n.layer[0]
        XCTAssertEqual(c.top, ["c"])
        XCTAssertEqual(c.convolutionParam.numOutput, 16)
        XCTAssertEqual(c.convolutionParam.kernelSize, [3])
        XCTAssertEqual(c.convolutionParam.pad, [8])  // octal, as libprotobuf reads it
        XCTAssertEqual(c.convolutionParam.weightFiller.std, -0.5)
        XCTAssertEqual(c.param[0].lrMult, 0.1)
        XCTAssertEqual(c.param[1].lrMult, 2)
        XCTAssertEqual(c.param[1].decayMult, .infinity)
        XCTAssertEqual(c.propagateDown, [true, false])
    }

    func testEnumByNameAndNumber() throws {
        let a = try net("layer { pooling_param { pool: AVE } }")
        let b = try net("layer { pooling_param { pool: 1 } }")
        XCTAssertEqual(a.layer[0].poolingParam.pool, .ave)
        XCTAssertEqual(a, b)
    }

    func testStringEscapes() throws {
        let n = try net(#"name: "a\tb\n\x41\101\"q\\""#)
        XCTAssertEqual(n.name, "a\tb\nAA\"q\\")
    }

    func testNegativeIntegersAndRanges() throws {
        XCTAssertEqual(try net("layer { concat_param { axis: -2 } }").layer[0].concatParam.axis, -2)
        XCTAssertEqual(error("layer { concat_param { axis: 2147483648 } }")?.message.hasPrefix("Integer out of range"), true)
        XCTAssertNotNil(try? net("layer { concat_param { axis: -2147483648 } }"))
    }

    func testErrorsNameLineColumnAndField() {
        let e = error("name: \"x\"\nlayer {\n  nme: \"a\"\n}\n")
        XCTAssertEqual(e?.line, 3)
        XCTAssertEqual(e?.column, 6)
        XCTAssertEqual(e?.message, #"Message type "caffe.LayerParameter" has no field named "nme". Did you mean "name"?"#)
        XCTAssertEqual(e?.description.hasPrefix("t.prototxt:3:6: "), true)
    }

    func testTabsAdvanceColumnsToMultiplesOfEight() {
        let e = error("\tbogus: 1")
        XCTAssertEqual(e?.column, 14)  // the ':' after a tab (col 9) and 5 letters
    }

    func testMessageFieldNeedsBraces() {
        XCTAssertEqual(error("layer: 3")?.message, #"Expected "{", found "3" (field "layer" is a message)."#)
    }

    func testDeepNestingIsRefused() {
        let text = String(repeating: "layer { include { ", count: 1) + String(repeating: "", count: 0)
        XCTAssertNil(error(text + "phase: TEST } }"))
        let deep = String(repeating: "a { ", count: 500)
        XCTAssertNotNil(error(deep))
    }
}
