import CaffeProto
@testable import Layers
import Runtime
import XCTest

/// Building and running one layer of the standard registry in the tests of the layer types
/// beyond DSOD's (LRN, neurons, Crop, ArgMax, ...).
enum SingleLayer {
    static func parameter(_ text: String) throws -> Caffe_LayerParameter {
        try CaffeText.parse(text, as: Caffe_LayerParameter.self, file: "<test>")
    }

    static func make(_ text: String, random: RandomSource = RandomSource(seed: 7)) throws -> Layer {
        try LayerRegistry.standard.makeLayer(parameter(text), context: LayerContext(random: random))
    }

    /// Sets the layer up on `bottoms` and runs one forward; returns the tops.
    @discardableResult
    static func forward(_ text: String, _ bottoms: [Blob], tops: Int = 1) throws -> [Blob] {
        let layer = try make(text)
        let top = try (0..<tops).map { _ in try Blob() }
        try layer.setUp(bottom: bottoms, top: top)
        try layer.runForward(bottom: bottoms, top: top)
        return top
    }

    /// The error message of setting up and running `text` on `bottoms` (nil if it succeeds).
    static func errorMessage(_ text: String, _ bottoms: [Blob], tops: Int = 1) -> String? {
        do {
            try forward(text, bottoms, tops: tops)
            return nil
        } catch {
            return "\(error)"
        }
    }
}

/// Asserts element-wise closeness (|a - b| <= atol + rtol·|b|).
func assertClose(_ actual: [Float], _ expected: [Double], atol: Double = 1e-6, rtol: Double = 1e-5,
                 _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "count \(message)", file: file, line: line)
    for (i, (a, e)) in zip(actual, expected).enumerated() where !(abs(Double(a) - e) <= atol + rtol * abs(e)) {
        XCTFail("element \(i): \(a) vs expected \(e) \(message)", file: file, line: line)
    }
}
