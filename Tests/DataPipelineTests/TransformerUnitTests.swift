import CaffeProto
import DataPipeline
import Foundation
import XCTest

/// Hand-made datums through the transformer: float_data, mirror, TRAIN crops.
final class TransformerUnitTests: XCTestCase {
    func testFloatDataDatumWithMeanAndScale() throws {
        var config = TransformConfig(phase: .test)
        config.meanValues = [1, 2]
        config.scale = 0.5
        let transformer = DataTransformer(config: config)
        let datum = DatumRecord(channels: 2, height: 1, width: 3, encoded: false, data: Data(), floatData: [1, 2, 3, 10, 20, 30], label: 4)
        let decoded = try transformer.decode(datum, location: "k")
        let shape = try transformer.outputShape(decoded, location: "k")
        XCTAssertEqual(shape, [2, 1, 3])
        var out = [Float](repeating: 0, count: 6)
        var rng = CaffeRandom(seed: 1)
        _ = try out.withUnsafeMutableBufferPointer { try transformer.transform(decoded, shape: shape, into: $0.baseAddress!, rng: &rng, location: "k") }
        XCTAssertEqual(out, [0, 0.5, 1, 4, 9, 14])
    }

    /// TRAIN crops of a raw datum: every offset in range, each possible one drawn, output equal
    /// to the window (mirrored when the crop box says so).
    func testTrainCropAndMirrorOfRawDatum() throws {
        var config = TransformConfig(phase: .train)
        config.cropSize = 2
        config.mirror = true
        let transformer = DataTransformer(config: config)
        let datum = DatumRecord(channels: 1, height: 3, width: 3, encoded: false, data: Data([0, 1, 2, 3, 4, 5, 6, 7, 8]))
        var rng = CaffeRandom(seed: 7)
        var offsets = Set<[Float]>()
        var mirrored = 0
        let n = 400
        for _ in 0..<n {
            var out = [Float](repeating: 0, count: 4)
            let outcome = try out.withUnsafeMutableBufferPointer {
                try transformer.transform(.raw(datum), shape: [1, 2, 2], into: $0.baseAddress!, rng: &rng, location: "k")
            }
            let x = Int((outcome.crop.xmin * 3).rounded()), y = Int((outcome.crop.ymin * 3).rounded())
            offsets.insert([outcome.crop.xmin, outcome.crop.ymin])
            var window: [Float] = [Float(y * 3 + x), Float(y * 3 + x + 1), Float(y * 3 + x + 3), Float(y * 3 + x + 4)]
            if outcome.mirrored { window = [window[1], window[0], window[3], window[2]]; mirrored += 1 }
            XCTAssertEqual(out, window)
        }
        XCTAssertEqual(offsets.count, 4)
        XCTAssertLessThan(abs(Double(mirrored) / Double(n) - 0.5), 4 * (0.25 / Double(n)).squareRoot())
    }

    /// Box geometry pieces as bbox_util.cpp: projection clips and drops, CENTER and MIN_OVERLAP.
    func testEmitConstraintsAndProjection() {
        let crop = NormalizedBox(xmin: 0.5, ymin: 0, xmax: 1, ymax: 1)
        let inside = NormalizedBox(xmin: 0.6, ymin: 0.1, xmax: 0.8, ymax: 0.3)
        let straddling = NormalizedBox(xmin: 0.2, ymin: 0.1, xmax: 0.7, ymax: 0.3)
        XCTAssertTrue(BoxGeometry.meetsEmitConstraint(inside, crop: crop, constraint: .center))
        XCTAssertFalse(BoxGeometry.meetsEmitConstraint(straddling, crop: crop, constraint: .center))
        XCTAssertTrue(BoxGeometry.meetsEmitConstraint(straddling, crop: crop, constraint: .minOverlap(0.3)))
        XCTAssertFalse(BoxGeometry.meetsEmitConstraint(straddling, crop: crop, constraint: .minOverlap(0.5)))
        let projected = BoxGeometry.project(straddling, onto: crop)
        XCTAssertEqual(projected?.xmin, 0)
        XCTAssertEqual(projected?.xmax ?? 0, 0.4, accuracy: 1e-6)
        XCTAssertNil(BoxGeometry.project(NormalizedBox(xmin: 0.1, ymin: 0.1, xmax: 0.4, ymax: 0.2), onto: crop))
    }
}
