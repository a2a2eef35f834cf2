import Detection
import XCTest

final class AveragePrecisionTests: XCTestCase {
    func outcomes(_ list: [(Float, Bool)]) -> [DetectionOutcome] {
        list.map { DetectionOutcome(score: $0.0, truePositive: $0.1 ? 1 : 0, falsePositive: $0.1 ? 0 : 1) }
    }

    func testPerfectDetectionsGiveOne() throws {
        let perfect = outcomes([(0.9, true), (0.3, true), (0.8, true)])
        // 11 x (1 / 11) summed in float is 1.0000001, as Caffe prints it.
        XCTAssertEqual(try AveragePrecision.compute(perfect, numPositives: 3, version: .elevenPoint).ap, 1, accuracy: 2e-7)
        XCTAssertEqual(try AveragePrecision.compute(perfect, numPositives: 3, version: .maxIntegral).ap, 1, accuracy: 1e-6)
        XCTAssertEqual(try AveragePrecision.compute(perfect, numPositives: 3, version: .integral).ap, 1, accuracy: 1e-6)
    }

    func testHandComputedCurve() throws {
        // TP 0.9, FP 0.8, TP 0.7 with 2 ground truth boxes:
        // precision 1, 1/2, 2/3 at recall 1/2, 1/2, 1.
        let list = outcomes([(0.8, false), (0.7, true), (0.9, true)])
        let eleven = try AveragePrecision.compute(list, numPositives: 2, version: .elevenPoint)
        XCTAssertEqual(eleven.precision, [1, 0.5, Float(2) / Float(3)])
        XCTAssertEqual(eleven.recall, [0.5, 0.5, 1])
        // Recall points 0 .. 0.5 have precision 1, 0.6 .. 1 have 2/3: (6 + 5 * 2/3) / 11 = 28/33.
        XCTAssertEqual(eleven.ap, 28.0 / 33.0, accuracy: 1e-6)
        // Area under the envelope: 0.5 x 1 + 0.5 x 2/3.
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 2, version: .maxIntegral).ap, 5.0 / 6.0, accuracy: 1e-6)
        // Precision x recall steps: 1 x 0.5 + (2/3) x 0.5.
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 2, version: .integral).ap, 5.0 / 6.0, accuracy: 1e-6)
    }

    func testIntegralAndMaxIntegralDifferWhenPrecisionRises() throws {
        // FP 0.9, TP 0.8 with one box: precision 0, 1/2 at recall 0, 1.
        let list = outcomes([(0.9, false), (0.8, true)])
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 1, version: .integral).ap, 0.5)
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 1, version: .maxIntegral).ap, 0.5)
        // 11point: every recall point reaches precision 1/2.
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 1, version: .elevenPoint).ap, 0.5, accuracy: 1e-7)
        // Two boxes, TP 0.9, FP 0.8, TP 0.7, FP 0.6, TP 0.5 of 4: the envelope lifts the dip.
        let dip = outcomes([(0.9, true), (0.8, false), (0.7, true), (0.6, false), (0.5, true)])
        let integral = try AveragePrecision.compute(dip, numPositives: 4, version: .integral).ap
        let maxIntegral = try AveragePrecision.compute(dip, numPositives: 4, version: .maxIntegral).ap
        XCTAssertEqual(integral, 0.25 * (1 + 2.0 / 3.0 + 3.0 / 5.0), accuracy: 1e-6)
        XCTAssertEqual(maxIntegral, 0.25 * (1 + 2.0 / 3.0 + 3.0 / 5.0), accuracy: 1e-6)
    }

    /// case.json `computeap_crosscheck.recall_0p7_demo` of detectionevaluate_solver_map: values
    /// computed by caffe::ComputeAP itself (float32 bits).
    func testRecallOfSevenTenthsMissesTheElevenPointStep() throws {
        var list = outcomes([(0.9, true), (0.89, true), (0.88, true), (0.87, true), (0.86, true), (0.85, true)])
        list.append(DetectionOutcome(score: Float(0.8400000000000001), truePositive: 1, falsePositive: 0))
        list.append(DetectionOutcome(score: 0.1, truePositive: 0, falsePositive: 1))
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 10, version: .elevenPoint).ap, Float(0.6363636255264282))
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 10, version: .maxIntegral).ap, Float(0.7000000476837158))
        XCTAssertEqual(try AveragePrecision.compute(list, numPositives: 10, version: .integral).ap, Float(0.699999988079071))
    }

    func testEmptyAndZeroPositivesGiveZero() throws {
        XCTAssertEqual(try AveragePrecision.compute([], numPositives: 3, version: .integral).ap, 0)
        XCTAssertEqual(try AveragePrecision.compute(outcomes([(0.5, false)]), numPositives: 0, version: .elevenPoint).ap, 0)
    }

    func testInconsistentRowsAreErrors() {
        XCTAssertThrowsError(try AveragePrecision.compute([DetectionOutcome(score: 1, truePositive: 1, falsePositive: 1)],
                                                          numPositives: 1, version: .integral))
        XCTAssertThrowsError(try AveragePrecision.compute(outcomes([(0.9, true), (0.8, true)]), numPositives: 1, version: .integral))
        XCTAssertThrowsError(try APVersion(caffeName: "11Point"))
        XCTAssertEqual(try APVersion(caffeName: "MaxIntegral"), .maxIntegral)
    }
}
