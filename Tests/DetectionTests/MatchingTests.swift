import Detection
import XCTest

final class MatchingTests: XCTestCase {
    func box(_ x0: Float, _ y0: Float, _ x1: Float, _ y1: Float, label: Int = -1) -> NormalizedBox {
        NormalizedBox(xmin: x0, ymin: y0, xmax: x1, ymax: y1, label: label).withComputedSize
    }

    lazy var groundTruth = [box(0, 0, 0.5, 0.5, label: 1), box(0.5, 0.5, 1, 1, label: 2)]
    lazy var priors = [
        box(0, 0, 0.5, 0.5),          // A exactly
        box(0, 0, 0.4, 0.5),          // A: 0.8
        box(0.5, 0.5, 0.9, 1),        // B: 0.8
        box(0.25, 0.25, 0.75, 0.75),  // A and B: 1/7 each
        box(0.9, 0, 1, 0.1),          // nothing
    ]

    func testBipartiteThenPerPrediction() {
        let bipartite = BoxMatching.match(groundTruth: groundTruth, predictions: priors, label: -1, matchType: .bipartite,
                                          overlapThreshold: 0.5, ignoreCrossBoundary: false)
        XCTAssertEqual(bipartite.indices, [0, -1, 1, -1, -1])
        let seventh = priors[3].jaccardOverlap(groundTruth[0])
        XCTAssertEqual(bipartite.overlaps, [1, priors[1].jaccardOverlap(groundTruth[0]), priors[2].jaccardOverlap(groundTruth[1]), seventh, 0])
        let perPrediction = BoxMatching.match(groundTruth: groundTruth, predictions: priors, label: -1, matchType: .perPrediction,
                                              overlapThreshold: 0.5, ignoreCrossBoundary: false)
        XCTAssertEqual(perPrediction.indices, [0, 0, 1, -1, -1])
        XCTAssertEqual(perPrediction.matchCount, 3)
        // A threshold of exactly 1/7 is reached (>=): prior 3 goes to the first of its tied boxes.
        let low = BoxMatching.match(groundTruth: groundTruth, predictions: priors, label: -1, matchType: .perPrediction,
                                    overlapThreshold: seventh, ignoreCrossBoundary: false)
        XCTAssertEqual(low.indices, [0, 0, 1, 0, -1])
    }

    func testTiesGoToTheLowestPredictionThenTheLowestGroundTruth() {
        let twins = [box(0.25, 0.25, 0.75, 0.75), box(0.25, 0.25, 0.75, 0.75)]
        let result = BoxMatching.match(groundTruth: groundTruth, predictions: twins, label: -1, matchType: .bipartite,
                                       overlapThreshold: 0.5, ignoreCrossBoundary: false)
        // Both ground truths overlap both priors equally: prior 0 takes gt 0, prior 1 takes gt 1.
        XCTAssertEqual(result.indices, [0, 1])
        let single = BoxMatching.match(groundTruth: groundTruth, predictions: [twins[0]], label: -1, matchType: .bipartite,
                                       overlapThreshold: 0.5, ignoreCrossBoundary: false)
        XCTAssertEqual(single.indices, [0])
    }

    func testLabelFilterReturnsIndicesIntoTheFullList() {
        let result = BoxMatching.match(groundTruth: groundTruth, predictions: priors, label: 2, matchType: .perPrediction,
                                       overlapThreshold: 0.5, ignoreCrossBoundary: false)
        XCTAssertEqual(result.indices, [-1, -1, 1, -1, -1])
        // Overlaps only with label-2 boxes: prior 0 touches B at one corner only.
        XCTAssertEqual(result.overlaps[0], 0)
    }

    func testCrossBoundaryPredictionsAreIgnored() {
        let predictions = [box(-0.1, 0, 0.4, 0.5), box(0, 0, 0.45, 0.5)]
        let result = BoxMatching.match(groundTruth: groundTruth, predictions: predictions, label: -1, matchType: .perPrediction,
                                       overlapThreshold: 0.5, ignoreCrossBoundary: true)
        XCTAssertEqual(result.indices, [-2, 0])
        XCTAssertEqual(result.overlaps[0], 0)
    }

    func testNoGroundTruthMatchesNothing() {
        let result = BoxMatching.match(groundTruth: [], predictions: priors, label: -1, matchType: .perPrediction,
                                       overlapThreshold: 0.5, ignoreCrossBoundary: false)
        XCTAssertEqual(result.indices, [-1, -1, -1, -1, -1])
    }

    func testFindMatchesDistributesPriorMatchesPerClass() throws {
        let prior = PriorBoxes(boxes: priors, variances: Array(repeating: SIMD4(repeating: 0.1), count: priors.count))
        let settings = MultiBoxMatchingSettings(numClasses: 3, shareLocation: false)
        let matches = try BoxMatching.findMatches(groundTruth: groundTruth, priors: prior, locations: nil, image: 0, settings: settings)
        XCTAssertEqual(matches.map(\.label), [1, 2])
        XCTAssertEqual(matches[0].result.indices, [0, 0, -1, -1, -1])
        XCTAssertEqual(matches[1].result.indices, [-1, -1, 1, -1, -1])
        XCTAssertEqual(matches[1].result.overlaps, matches[0].result.overlaps)
        XCTAssertEqual(try BoxMatching.findMatches(groundTruth: nil, priors: prior, locations: nil, image: 0, settings: settings), [])
    }
}
