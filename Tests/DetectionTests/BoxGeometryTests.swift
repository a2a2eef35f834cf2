import Detection
import XCTest

final class BoxGeometryTests: XCTestCase {
    func box(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) -> NormalizedBox {
        NormalizedBox(xmin: x0, ymin: y0, xmax: x1, ymax: y1)
    }

    func testNormalizedOverlapIsFloatIntersectionOverUnion() {
        let a = box(0, 0, 0.5, 0.5), b = box(0.25, 0.25, 0.75, 0.75)
        XCTAssertEqual(a.jaccardOverlap(b), Float(0.0625) / Float(0.4375))
        XCTAssertEqual(a.jaccardOverlap(a), 1)
        XCTAssertEqual(a.jaccardOverlap(b), b.jaccardOverlap(a))
    }

    func testTouchingAndInvertedBoxesDoNotOverlap() {
        XCTAssertEqual(box(0, 0, 0.5, 0.5).jaccardOverlap(box(0.5, 0, 1, 0.5)), 0)
        let inverted = box(0.6, 0.1, 0.4, 0.5)
        XCTAssertEqual(inverted.area(), 0)
        XCTAssertEqual(inverted.jaccardOverlap(box(0, 0, 1, 1)), 0)
        XCTAssertEqual(box(0, 0, 1, 1).jaccardOverlap(inverted), 0)
    }

    func testPixelOverlapUsesPlusOneSizesFromScaling() {
        let a = box(0, 0, 0.125, 0.125).scaled(height: 64, width: 64)
        let b = box(0.0625, 0.0625, 0.1875, 0.1875).scaled(height: 64, width: 64)
        XCTAssertEqual(a.size, 81)
        XCTAssertEqual([b.xmin, b.ymin, b.xmax, b.ymax], [4, 4, 12, 12])
        // Intersection [4, 4, 8, 8] is 5 x 5 pixels with the +1 convention.
        XCTAssertEqual(a.jaccardOverlap(b, normalized: false), Float(25) / Float(81 + 81 - 25))
        // Without stored sizes Caffe's JaccardOverlap falls back to the normalized area w * h.
        let rawA = box(0, 0, 8, 8), rawB = box(4, 4, 12, 12)
        XCTAssertEqual(rawA.jaccardOverlap(rawB, normalized: false), Float(25) / Float(64 + 64 - 25))
    }

    func testPixelOverlapOfDisjointBoxesIsNotZero() {
        // IntersectBBox returns [0, 0, 0, 0], whose +1 size is 1.
        let a = box(0, 0, 0.125, 0.125).scaled(height: 64, width: 64)
        let b = box(0.25, 0.25, 0.375, 0.375).scaled(height: 64, width: 64)
        XCTAssertEqual(a.jaccardOverlap(b, normalized: false), Float(1) / Float(161))
        XCTAssertEqual(a.jaccardOverlap(b, normalized: true), 0)
    }

    func testScalingToASinglePixelImageKeepsTheNormalizedArea() {
        let scaled = box(0, 0, 0.5, 0.5).scaled(height: 1, width: 1)
        XCTAssertEqual(scaled.size, 0.25)
    }

    func testClipClampsAndStoresTheClippedArea() {
        let clipped = NormalizedBox(xmin: -0.1, ymin: 0.2, xmax: 1.3, ymax: 0.9, label: 3, difficult: true, score: 0.7).clipped()
        XCTAssertEqual(clipped.xmin, 0)
        XCTAssertEqual(clipped.xmax, 1)
        XCTAssertEqual(clipped.ymin, 0.2)
        XCTAssertEqual(clipped.size, Float(1) * (Float(0.9) - Float(0.2)))
        XCTAssertEqual(clipped.label, 3)
        XCTAssertTrue(clipped.difficult)
        XCTAssertEqual(clipped.score, 0.7)
    }

    func testOutputBoxClipsThenScales() throws {
        let out = try box(-0.5, 0.5, 0.5, 1.5).outputBox(imageHeight: 10, imageWidth: 20)
        XCTAssertEqual([out.xmin, out.ymin, out.xmax, out.ymax], [0, 5, 10, 10])
        XCTAssertEqual(out.size, 11 * 6)
        XCTAssertThrowsError(try box(0, 0, 1, 1).outputBox(imageHeight: 10, imageWidth: 10,
                                                            resize: ImageResize(height: 0, width: 300)))
    }

    func testOutputBoxRemovesLetterboxPadding() throws {
        // A 200x100 (w x h) image letterboxed into 300x300: the content spans y in [0.25, 0.75].
        let resize = ImageResize(mode: .fitLargeSizeAndPad, height: 300, width: 300)
        let out = try box(0, 0.25, 1, 0.75).outputBox(imageHeight: 100, imageWidth: 200, resize: resize)
        XCTAssertEqual([out.xmin, out.ymin, out.xmax, out.ymax], [0, 0, 200, 100])
    }

    func testCrossBoundaryCoverageAndProjection() {
        XCTAssertTrue(box(-0.01, 0, 0.5, 0.5).isCrossBoundary)
        XCTAssertFalse(box(0, 0, 1, 1).isCrossBoundary)
        XCTAssertEqual(box(0, 0, 0.5, 0.5).coverage(by: box(0.25, 0, 1, 1)), 0.5)
        let projected = box(0.5, 0.5, 0.75, 0.75).projected(onto: box(0.5, 0.5, 1, 1))
        XCTAssertEqual(projected.map { [$0.xmin, $0.ymin, $0.xmax, $0.ymax] }, [0, 0, 0.5, 0.5])
        XCTAssertNil(box(0, 0, 0.2, 0.2).projected(onto: box(0.5, 0.5, 1, 1)))
        let located = box(0, 0, 0.5, 0.5).located(in: box(0.5, 0.5, 1, 1))
        XCTAssertEqual([located.xmin, located.ymin, located.xmax, located.ymax], [0.5, 0.5, 0.75, 0.75])
    }

    func testEmitConstraints() {
        let crop = box(0, 0, 0.5, 0.5)
        XCTAssertTrue(EmitConstraint.center.isMet(source: crop, box: box(0.1, 0.1, 0.7, 0.7)))
        XCTAssertFalse(EmitConstraint.center.isMet(source: crop, box: box(0.3, 0.3, 0.9, 0.9)))
        XCTAssertTrue(EmitConstraint.minOverlap(0.2).isMet(source: crop, box: box(0.25, 0.25, 0.75, 0.75)))
        XCTAssertFalse(EmitConstraint.minOverlap(0.25).isMet(source: crop, box: box(0.25, 0.25, 0.75, 0.75)))
    }
}
