import DataPipeline
import Foundation
import XCTest

/// imdecode/imread rotate by the EXIF orientation for colour and gray flags, not natively.
final class EXIFOrientationTests: XCTestCase {
    /// A JPEG of `image` with an APP1 EXIF segment whose IFD0 holds only the orientation tag.
    static func jpeg(_ image: ByteImage, orientation: UInt8, bigEndian: Bool) throws -> Data {
        let plain = try JPEGCodec.encode(image)
        let tiff: [UInt8] = bigEndian
            ? [0x4D, 0x4D, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0, 0, 0]
            : [0x49, 0x49, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, orientation, 0, 0, 0, 0, 0, 0, 0]
        let payload: [UInt8] = Array("Exif".utf8) + [0, 0] + tiff
        let length = payload.count + 2
        var out = Data([0xFF, 0xD8, 0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)])
        out.append(contentsOf: payload)
        out.append(plain.dropFirst(2))
        return out
    }

    func testOrientationsFollowOpenCV() throws {
        // 2 rows x 3 columns of flat gray levels, far apart so JPEG noise cannot blur them.
        let levels: [UInt8] = [0, 80, 160, 240, 40, 200]
        var pixels: [UInt8] = []
        for v in levels { pixels += [v, v, v] }
        let small = ByteImage(height: 2, width: 3, channels: 3, pixels: pixels)
        // Upscale by 16 so each level is a 16x16 block (whole JPEG blocks).
        let image = Resizer.resize(small, width: 48, height: 32, interpolation: .nearest)
        func grid(_ img: ByteImage) -> [[Int]] {
            (0..<(img.height / 16)).map { y in (0..<(img.width / 16)).map { x in
                Int((Double(img.pixels[((y * 16 + 8) * img.width + x * 16 + 8) * 3]) / 40).rounded()) } }
        }
        let stored = [[0, 2, 4], [6, 1, 5]]
        let expected: [Int: [[Int]]] = [
            1: stored,
            2: [[4, 2, 0], [5, 1, 6]],
            3: [[5, 1, 6], [4, 2, 0]],
            4: [[6, 1, 5], [0, 2, 4]],
            5: [[0, 6], [2, 1], [4, 5]],
            6: [[6, 0], [1, 2], [5, 4]],
            7: [[5, 4], [1, 2], [6, 0]],
            8: [[4, 5], [2, 1], [0, 6]],
        ]
        for (orientation, grid_) in expected {
            for bigEndian in [false, true] {
                let bytes = try Self.jpeg(image, orientation: UInt8(orientation), bigEndian: bigEndian)
                XCTAssertEqual(grid(try JPEGCodec.decode(bytes, mode: .color, source: "t")), grid_, "orientation \(orientation)")
                XCTAssertEqual(grid(try JPEGCodec.decode(bytes, mode: .native, source: "t")), stored, "native ignores EXIF")
                let size = try JPEGCodec.orientedSize(bytes, source: "t")
                XCTAssertEqual([size.height, size.width], orientation >= 5 ? [48, 32] : [32, 48])
            }
        }
    }
}
