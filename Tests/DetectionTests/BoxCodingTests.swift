import Detection
import TestSupport
import XCTest

/// A small deterministic generator for property tests.
final class BoxCodingTests: XCTestCase {
    func randomBox(_ g: inout SplitMix64) -> NormalizedBox {
        let x = Float.random(in: -0.2...0.9, using: &g), y = Float.random(in: -0.2...0.9, using: &g)
        let w = Float.random(in: 0.01...0.6, using: &g), h = Float.random(in: 0.01...0.6, using: &g)
        return NormalizedBox(xmin: x, ymin: y, xmax: x + w, ymax: y + h)
    }

    func testDecodeInvertsEncodeForEveryCodeType() throws {
        var g = SplitMix64(state: 42)
        for codeType in BoxCodeType.allCases {
            for inTarget in [false, true] {
                let coder = BoxCoder(codeType: codeType, varianceEncodedInTarget: inTarget)
                for _ in 0..<500 {
                    let prior = randomBox(&g), box = randomBox(&g)
                    let variance = SIMD4<Float>(Float.random(in: 0.05...0.3, using: &g), Float.random(in: 0.05...0.3, using: &g),
                                                Float.random(in: 0.05...0.3, using: &g), Float.random(in: 0.05...0.3, using: &g))
                    let encoded = try coder.encode(box, prior: prior, variance: variance)
                    let decoded = try coder.decode(encoded, prior: prior, variance: variance)
                    for (a, b) in zip([decoded.xmin, decoded.ymin, decoded.xmax, decoded.ymax], [box.xmin, box.ymin, box.xmax, box.ymax]) {
                        XCTAssertEqual(a, b, accuracy: 2e-6, "\(codeType) inTarget \(inTarget): decode(encode(\(box))) = \(decoded)")
                    }
                    XCTAssertEqual(decoded.size, decoded.area(usingStoredSize: false))
                }
            }
        }
    }

    func testCenterSizeEncodingByHand() throws {
        let coder = BoxCoder(codeType: .centerSize)
        let prior = NormalizedBox(xmin: 0.1, ymin: 0.1, xmax: 0.3, ymax: 0.5)
        let box = NormalizedBox(xmin: 0.15, ymin: 0.2, xmax: 0.35, ymax: 0.4)
        let e = try coder.encode(box, prior: prior, variance: SIMD4(0.1, 0.1, 0.2, 0.2))
        // Centre moves by 0.05 = 0.25 prior widths, / 0.1; same height centre; width ratio 1,
        // height ratio 0.5.
        XCTAssertEqual(e.xmin, 2.5, accuracy: 1e-5)
        XCTAssertEqual(e.ymin, 0, accuracy: 1e-6)
        XCTAssertEqual(e.xmax, 0, accuracy: 1e-6)
        XCTAssertEqual(e.ymax, log(0.5) / 0.2, accuracy: 1e-5)
    }

    func testCornerDecodingByHand() throws {
        let prior = NormalizedBox(xmin: 0.2, ymin: 0.2, xmax: 0.6, ymax: 0.4)
        let loc = NormalizedBox(xmin: 1, ymin: -1, xmax: 0.5, ymax: 2)
        let variance = SIMD4<Float>(0.1, 0.1, 0.2, 0.2)
        let corner = try BoxCoder(codeType: .corner).decode(loc, prior: prior, variance: variance)
        XCTAssertEqual([corner.xmin, corner.ymin, corner.xmax, corner.ymax],
                       [Float(0.2) + 0.1 * 1, Float(0.2) + 0.1 * -1, Float(0.6) + 0.2 * 0.5, Float(0.4) + 0.2 * 2])
        let cornerSize = try BoxCoder(codeType: .cornerSize, varianceEncodedInTarget: true).decode(loc, prior: prior, variance: variance)
        XCTAssertEqual(cornerSize.xmin, Float(0.2) + 1 * (Float(0.6) - Float(0.2)))
        XCTAssertEqual(cornerSize.ymax, Float(0.4) + 2 * (Float(0.4) - Float(0.2)))
    }

    func testDecodedInvertedBoxHasSizeZeroAndClipOption() throws {
        let prior = NormalizedBox(xmin: 0.8, ymin: 0.1, xmax: 1.2, ymax: 0.3)
        let inverted = try BoxCoder(codeType: .corner, varianceEncodedInTarget: true)
            .decode(NormalizedBox(xmin: 0.5, ymin: 0, xmax: -0.5, ymax: 0), prior: prior, variance: SIMD4(repeating: 1))
        XCTAssertEqual(inverted.size, 0)
        let clipped = try BoxCoder(codeType: .corner).decode(NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0), prior: prior,
                                                              variance: SIMD4(repeating: 0.1), clip: true)
        XCTAssertEqual(clipped.xmax, 1)
        XCTAssertEqual(clipped.size ?? -1, Float(1 - 0.8) * Float(0.3 - 0.1), accuracy: 1e-7)
    }

    func testCaffeChecksBecomeErrors() {
        let flat = NormalizedBox(xmin: 0.2, ymin: 0.2, xmax: 0.2, ymax: 0.4)
        let box = NormalizedBox(xmin: 0.1, ymin: 0.1, xmax: 0.3, ymax: 0.3)
        XCTAssertThrowsError(try BoxCoder(codeType: .centerSize).encode(box, prior: flat, variance: SIMD4(repeating: 0.1)))
        XCTAssertThrowsError(try BoxCoder(codeType: .centerSize).decode(box, prior: flat, variance: SIMD4(repeating: 0.1)))
        XCTAssertThrowsError(try BoxCoder(codeType: .cornerSize).decode(box, prior: flat, variance: SIMD4(repeating: 0.1)))
        XCTAssertThrowsError(try BoxCoder(codeType: .centerSize).encode(flat, prior: box, variance: SIMD4(repeating: 0.1)))
        XCTAssertThrowsError(try BoxCoder(codeType: .corner).encode(box, prior: box, variance: SIMD4(0.1, 0, 0.1, 0.1)))
        XCTAssertNoThrow(try BoxCoder(codeType: .corner, varianceEncodedInTarget: true).encode(box, prior: box, variance: SIMD4(0.1, 0, 0.1, 0.1)))
    }
}
