import CaffeProto
import Foundation
import XCTest

/// Inputs that libFuzzer (make fuzz) found refused without a location, kept as regressions:
/// each is now refused with the line:column or byte offset where it goes wrong.
final class FuzzFindingsTests: XCTestCase {
    /// A string literal whose escapes make invalid UTF-8 (libprotobuf logs it and keeps the
    /// bytes; swift-protobuf cannot hold them).
    func testInvalidUTF8InATextString() {
        let text = "name: \"ok\"\nlayer {\n  name: \"bad\\377\\376\"\n}\n"
        XCTAssertThrowsError(try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "f.prototxt")) { error in
            let e = error as? CaffeFormatError
            XCTAssertEqual(e?.line, 3)
            XCTAssertEqual(e?.column, 9)
            XCTAssertEqual(e?.message, #"String field "name" contains invalid UTF-8 data."#)
        }
    }

    /// A tag written as a 6-byte varint (a 32-bit tag takes at most 5).
    func testOverlongTagVarint() {
        let bytes: [UInt8] = [0x0A, 0x0D, 0x74, 0x61, 0x12, 0x00, 0x16, 0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x76,
                              0x12, 0x00, 0xF9, 0xFF, 0xFF, 0xFF, 0x87, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2B, 0x00, 0x6D, 0x6E]
        XCTAssertThrowsError(try CaffeBinary.decode(Data(bytes), as: Caffe_NetParameter.self, file: "f.caffemodel")) { error in
            let e = error as? CaffeFormatError
            XCTAssertEqual(e?.byteOffset, 17)
            XCTAssertEqual(e?.message, "not a valid binary caffe.NetParameter: invalid tag (a 6-byte varint, more than a 32-bit tag) in caffe.NetParameter")
        }
    }
}
