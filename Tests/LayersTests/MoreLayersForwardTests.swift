import CaffeProto
import Foundation
@testable import Layers
import Runtime
import XCTest

/// Forward values of the Caffe layer types beyond DSOD's on small hand-made inputs, the expected
/// values computed here from Caffe's formulas, and the errors that replace Caffe's CHECKs.
final class MoreLayersForwardTests: XCTestCase {
    // MARK: LRN

    func testLRNAcrossChannelsSumsTheCentredChannelWindow() throws {
        // (1, 4, 1, 2); local_size 3: channel c sums x² over channels c-1...c+1 (zeros outside).
        let x: [Float] = [1, -2, 0.5, 3, -1.5, 2, 0.25, -0.75]
        let (alpha, beta, k) = (0.6, 0.75, 2.0)
        let top = try SingleLayer.forward("name: \"n\" type: \"LRN\" lrn_param { local_size: 3 alpha: 0.6 beta: 0.75 k: 2 }",
                                          [Blob(shape: [1, 4, 1, 2], values: x)])
        var expected: [Double] = []
        for c in 0..<4 {
            for w in 0..<2 {
                var sum = 0.0
                for cc in max(c - 1, 0)...min(c + 1, 3) { sum += Double(x[cc * 2 + w] * x[cc * 2 + w]) }
                let scale = k + alpha / 3 * sum
                expected.append(Double(x[c * 2 + w]) * pow(scale, -beta))
            }
        }
        assertClose(top[0].dataArray(), expected)
    }

    func testLRNWithinChannelIgnoresKAndDividesByTheWholeWindow() throws {
        // (1, 1, 3, 3); local_size 3: the average of x² over the 3x3 window always divides by 9
        // (Caffe's AVE pooling counts the padding), and k is unused: (1 + α·avg)^-β.
        let x: [Float] = [1, 2, 3, -1, 0.5, 2, 0, -3, 1.5]
        let (alpha, beta) = (0.9, 0.75)
        let top = try SingleLayer.forward("name: \"n\" type: \"LRN\" lrn_param { norm_region: WITHIN_CHANNEL local_size: 3 alpha: 0.9 beta: 0.75 k: 7 }",
                                          [Blob(shape: [1, 1, 3, 3], values: x)])
        var expected: [Double] = []
        for h in 0..<3 {
            for w in 0..<3 {
                var sum = 0.0
                for hh in max(h - 1, 0)...min(h + 1, 2) {
                    for ww in max(w - 1, 0)...min(w + 1, 2) { sum += Double(x[hh * 3 + ww] * x[hh * 3 + ww]) }
                }
                expected.append(Double(x[h * 3 + w]) * pow(1 + alpha * sum / 9, -beta))
            }
        }
        assertClose(top[0].dataArray(), expected)
    }

    func testLRNErrors() throws {
        let even = try SingleLayer.errorMessage("name: \"n\" type: \"LRN\" lrn_param { local_size: 4 }", [Blob(shape: [1, 4, 2, 2])])
        XCTAssertTrue(even?.contains("layer 'n' (LRN)") == true && even?.contains("local_size is 4") == true, even ?? "no error")
        let axes = try SingleLayer.errorMessage("name: \"n\" type: \"LRN\"", [Blob(shape: [2, 4, 3])])
        XCTAssertTrue(axes?.contains("4 axes") == true, axes ?? "no error")
    }

    // MARK: Neurons

    func testNeuronFormulas() throws {
        let x: [Float] = [-60, -2, -0.5, 0, 0.5, 2, 60]
        func run(_ text: String, _ values: [Float] = x) throws -> [Float] {
            try SingleLayer.forward(text, [Blob(shape: [values.count], values: values)])[0].dataArray()
        }
        assertClose(try run("name: \"a\" type: \"AbsVal\""), x.map { Double(abs($0)) })
        // BNLL = softplus, computed stably on both sides.
        assertClose(try run("name: \"b\" type: \"BNLL\""), x.map { v in
            let d = Double(v)
            return d > 0 ? d + log(1 + exp(-d)) : log(1 + exp(d))
        })
        assertClose(try run("name: \"e\" type: \"ELU\" elu_param { alpha: 0.5 }"), x.map { v in
            let d = Double(v)
            return d > 0 ? d : 0.5 * (exp(d) - 1)
        })
        // Threshold is strict: x == threshold gives 0.
        XCTAssertEqual(try run("name: \"t\" type: \"Threshold\" threshold_param { threshold: 0.5 }"), [0, 0, 0, 0, 0, 1, 1])
        let small: [Float] = [-1, -0.25, 0, 0.5, 1.5]
        // Exp: base^(shift + scale·x) = 2^(1 + 0.5x); default base e.
        assertClose(try run("name: \"e\" type: \"Exp\" exp_param { base: 2 scale: 0.5 shift: 1 }", small),
                    small.map { pow(2, 1 + 0.5 * Double($0)) })
        assertClose(try run("name: \"e\" type: \"Exp\"", small), small.map { exp(Double($0)) })
        // Log: log_base(shift + scale·x); log of 0 is -inf, of a negative NaN, as Caffe's.
        assertClose(try run("name: \"l\" type: \"Log\" log_param { base: 10 scale: 2 shift: 3 }", small),
                    small.map { log10(3 + 2 * Double($0)) })
        let natural = try run("name: \"l\" type: \"Log\"", small)
        XCTAssertTrue(natural[0].isNaN && natural[2] == -.infinity, "\(natural)")
        assertClose(Array(natural[3...]), [log(0.5), log(1.5)])
    }

    func testNeuronBackwardQuirks() throws {
        // AbsVal's gradient at 0 is 0 (caffe_cpu_sign); ELU's gradient at 0 is α (x ≤ 0 branch).
        for (text, expected) in [("name: \"a\" type: \"AbsVal\"", [Float(-3), 0, 3]), ("name: \"e\" type: \"ELU\" elu_param { alpha: 0.5 }", [Float(3 * (0.5 + 0.5 * (exp(-1.0) - 1))), 1.5, 3])] {
            let layer = try SingleLayer.make(text)
            let bottom = try Blob(shape: [3], values: [-1, 0, 1]), top = try Blob()
            try layer.setUp(bottom: [bottom], top: [top])
            try layer.runForward(bottom: [bottom], top: [top])
            try top.setDiff([3, 3, 3])
            try layer.backward(top: [top], propagateDown: [true], bottom: [bottom])
            assertClose(bottom.diffArray(), expected.map(Double.init), text)
        }
    }

    func testNeuronErrors() throws {
        let blob = try Blob(shape: [2], values: [1, 2])
        let inPlace = try SingleLayer.make("name: \"a\" type: \"AbsVal\"")
        XCTAssertThrowsError(try inPlace.setUp(bottom: [blob], top: [blob])) { error in
            XCTAssertTrue("\(error)".contains("in-place"), "\(error)")
        }
        let negative = SingleLayer.errorMessage("name: \"l\" type: \"Log\" log_param { base: -2 }", [blob])
        XCTAssertTrue(negative?.contains("log_param.base is -2.0") == true, negative ?? "no error")
        let one = SingleLayer.errorMessage("name: \"l\" type: \"Log\" log_param { base: 1 }", [blob])
        XCTAssertNotNil(one)
        let zero = SingleLayer.errorMessage("name: \"e\" type: \"Exp\" exp_param { base: 0 }", [blob])
        XCTAssertTrue(zero?.contains("exp_param.base") == true, zero ?? "no error")
        let threshold = try SingleLayer.make("name: \"t\" type: \"Threshold\"")
        let top = try Blob()
        try threshold.setUp(bottom: [blob], top: [top])
        XCTAssertThrowsError(try threshold.backward(top: [top], propagateDown: [true], bottom: [blob]))
    }
}
