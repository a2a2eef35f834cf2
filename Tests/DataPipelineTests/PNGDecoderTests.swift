import DataPipeline
import Foundation
import XCTest

/// PNG decoding (datums encoded with --encode_type=png, PNG sources of create-annoset): small
/// images made with Python's zlib at level 9 (dynamic Huffman blocks) covering Adam7
/// interlacing, 2- and 4-bit samples, palettes, 16-bit RGBA and the Sub filter; expected pixels
/// come from the formulas that generated them.
final class PNGDecoderTests: XCTestCase {
    static let gray2Interlaced = "iVBORw0KGgoAAAANSUhEUgAAAAUAAAADAgAAAAFD6rITAAAAFUlEQVR42mNgAIIGhg6GAoYLDDkOABBHAvWytqu+AAAAAElFTkSuQmCC"
    static let palette4 = "iVBORw0KGgoAAAANSUhEUgAAAAYAAAAEBAMAAABfKlNwAAAAMFBMVEUAAP8KD/UUHuseLeEoPNcyS808WsNGablQeK9ah6VklptupZF4tIeCw32M0nOW4Wnn2ZR4AAAAGElEQVR42mNgzjzPIFJ1gUG1+yGD2ZxPACjkBe88qkKUAAAAAElFTkSuQmCC"
    static let rgba16 = "iVBORw0KGgoAAAANSUhEUgAAAAMAAAACEAYAAADN5LpZAAAAOElEQVR42mNgYPj/n4FhjgPzi3+XGZnmOLBf+LuciWWOA4N0xP//IAF5h3+XQQLKGn+XM7PNcQAA5+cTCYFViyYAAAAASUVORK5CYII="
    static let rgb8Sub = "iVBORw0KGgoAAAANSUhEUgAAAAkAAAAJCAIAAABv85FHAAAATklEQVR42mNkYGCQZWSQZWaQZWWQZWeQ5WSQ5WaQ5WWQ5WdgZGeUxynHx2SHU06UORannAxLDU45ZdbZOOW02HbhlDNkv4lTzoLjBy45AAa5D+6LcF91AAAAAElFTkSuQmCC"

    func decode(_ base64: String, _ mode: DecodeMode) throws -> ByteImage {
        try JPEGCodec.decodeAny(try XCTUnwrap(Data(base64Encoded: base64)), mode: mode, source: "test.png")
    }

    func testInterlacedTwoBitGray() throws {
        let image = try decode(Self.gray2Interlaced, .native)
        XCTAssertEqual([image.height, image.width, image.channels], [3, 5, 1])
        for y in 0..<3 { for x in 0..<5 { XCTAssertEqual(image.pixels[y * 5 + x], UInt8(((x + y) % 4) * 85)) } }
        let color = try decode(Self.gray2Interlaced, .color)
        XCTAssertEqual(color.pixels[3 * 7], image.pixels[7])
    }

    func testFourBitPaletteAsBGR() throws {
        let image = try decode(Self.palette4, .color)
        XCTAssertEqual([image.height, image.width, image.channels], [4, 6, 3])
        for y in 0..<4 {
            for x in 0..<6 {
                let i = (x * 3 + y) % 16, p = (y * 6 + x) * 3
                XCTAssertEqual(Array(image.pixels[p..<(p + 3)]), [UInt8(255 - i * 10), UInt8(i * 15), UInt8(i * 10)])
            }
        }
        XCTAssertEqual(try decode(Self.palette4, .native).channels, 3)
    }

    func testSixteenBitRGBAKeepsHighBytesAndDropsAlpha() throws {
        let image = try decode(Self.rgba16, .color)
        XCTAssertEqual([image.height, image.width, image.channels], [2, 3, 3])
        for y in 0..<2 {
            for x in 0..<3 {
                let r = (x * 1000 + y * 7000) >> 8, g = (65535 - x * 300) >> 8, b = (258 * (x + y)) >> 8
                let p = (y * 3 + x) * 3
                XCTAssertEqual(Array(image.pixels[p..<(p + 3)]), [UInt8(b), UInt8(g), UInt8(r)])
            }
        }
        XCTAssertThrowsError(try decode(Self.rgba16, .native)) { XCTAssertTrue("\($0)".contains("force_color"), "\($0)") }
    }

    func testSubFilterRGB() throws {
        let image = try decode(Self.rgb8Sub, .color)
        for y in 0..<9 {
            for x in 0..<9 {
                let p = (y * 9 + x) * 3
                XCTAssertEqual(Array(image.pixels[p..<(p + 3)]), [UInt8((y * 31) % 256), UInt8((x * x + y) % 256), UInt8((x * 29 + y * 7) % 256)])
            }
        }
    }

    func testCorruptPNG() throws {
        var bytes = try XCTUnwrap(Data(base64Encoded: Self.rgb8Sub))
        bytes = bytes.prefix(60)
        XCTAssertThrowsError(try JPEGCodec.decodeAny(bytes, mode: .color, source: "cut.png")) {
            XCTAssertTrue("\($0)".contains("cut.png") && "\($0)".contains("corrupt PNG"), "\($0)")
        }
    }
}
