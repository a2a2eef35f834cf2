import Detection
import XCTest

final class NonMaximumSuppressionTests: XCTestCase {
    func box(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float) -> NormalizedBox {
        NormalizedBox(xmin: x0, ymin: y0, xmax: x1, ymax: y1).withComputedSize
    }

    lazy var boxes = [box(0, 0, 1, 1), box(0, 0, 0.9, 1), box(0, 0, 0.5, 1), box(0.5, 0, 1, 1)]
    let scores: [Float] = [0.9, 0.8, 0.7, 0.6]

    func testKeepsBoxesUpToTheThreshold() {
        // Overlaps with box 0: 0.9, 0.5, 0.5; box 2 and box 3 do not overlap.
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.55, eta: 1, topK: -1), [0, 2, 3])
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.5, eta: 1, topK: -1), [0, 2, 3])
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.49, eta: 1, topK: -1), [0])
    }

    func testAdaptiveEtaLowersTheThresholdAfterEachKeptBox() {
        // 0.55 -> 0.495 after box 0 is kept: boxes 2 and 3 (overlap 0.5) are now suppressed.
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.55, eta: 0.9, topK: -1), [0])
        // 0.5 is not above 0.5: no adaptation.
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.5, eta: 0.5, topK: -1), [0, 2, 3])
    }

    func testTopKCutsCandidatesBeforeSuppression() {
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: boxes, scores: scores, scoreThreshold: 0, threshold: 0.55, eta: 1, topK: 2), [0])
    }

    func testScoreThresholdIsStrictAndTiesKeepTheLowerIndex() {
        XCTAssertEqual(ScoreSelection.maxScoreIndices([0.5, 0.7, 0.7, 0.1, 0.6], threshold: 0.5, topK: -1).map(\.index), [1, 2, 4])
        // Two identical boxes with equal scores: the lower index survives.
        let twins = [box(0, 0, 1, 1), box(0.5, 0.5, 0.6, 0.6), box(0, 0, 1, 1)]
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: twins, scores: [0.8, 0.1, 0.8], scoreThreshold: 0.1, threshold: 0.45, eta: 1, topK: -1), [0])
    }

    func testInvertedBoxesAreKeptAndSuppressNothing() {
        let list = [box(0.6, 0, 0.4, 1), box(0, 0, 1, 1), box(0, 0, 0.9, 1)]
        XCTAssertEqual(try NonMaximumSuppression.fast(boxes: list, scores: [0.9, 0.8, 0.7], scoreThreshold: 0, threshold: 0.5, eta: 1, topK: -1), [0, 1])
    }

    func testStandardNMSSkipsTinyBoxesAndStopsAtTopK() {
        let list = [box(0, 0, 0.001, 0.001), box(0, 0, 1, 1), box(0, 0, 0.9, 1), box(0.1, 0.1, 0.2, 0.2), box(0.5, 0.5, 0.6, 0.6)]
        let s: [Float] = [0.99, 0.9, 0.8, 0.7, 0.6]
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.5, topK: -1), [1, 3, 4])
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.5, topK: 3), [1])
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.95, topK: -1), [1, 2, 3, 4])
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.95, topK: 5), [1, 2, 3, 4])
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.95, topK: 4), [1, 2, 3])
        // Quirk: nms_param without top_k means top_k 0, which selects nothing.
        XCTAssertEqual(try NonMaximumSuppression.standard(boxes: list, scores: s, threshold: 0.5, topK: 0), [])
        XCTAssertThrowsError(try NonMaximumSuppression.standard(boxes: list, scores: [0.5], threshold: 0.5, topK: -1))
        XCTAssertThrowsError(try NonMaximumSuppression.fast(boxes: list, candidates: [ScoredIndex(score: 1, index: 9)], threshold: 0.5, eta: 1))
    }
}
