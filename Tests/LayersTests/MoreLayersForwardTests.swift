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

    // MARK: Crop, ArgMax, Tile, Reduction, MVN

    func testCropTakesTheReferenceShapeFromAxisAtTheOffsets() throws {
        // (1, 2, 3, 4) cropped to (·, ·, 2, 2) from axis 2 at offsets (1, 2).
        let x = (0..<24).map(Float.init)
        let reference = try Blob(shape: [5, 9, 2, 2])
        let top = try SingleLayer.forward("name: \"c\" type: \"Crop\" crop_param { axis: 2 offset: 1 offset: 2 }",
                                          [Blob(shape: [1, 2, 3, 4], values: x), reference])
        XCTAssertEqual(top[0].shape, [1, 2, 2, 2])
        // element (n, c, h, w) = x[c·12 + (h + 1)·4 + (w + 2)].
        XCTAssertEqual(top[0].dataArray(), [6, 7, 10, 11, 18, 19, 22, 23])
        // One offset applies to every cropped axis; axis 1 crops the channels too.
        let all = try SingleLayer.forward("name: \"c\" type: \"Crop\" crop_param { axis: 1 offset: 1 }",
                                          [Blob(shape: [1, 2, 3, 4], values: x), Blob(shape: [1, 1, 2, 3])])
        XCTAssertEqual(all[0].dataArray(), [17, 18, 19, 21, 22, 23])
        let outside = try SingleLayer.errorMessage("name: \"c\" type: \"Crop\" crop_param { offset: 2 }",
                                                   [Blob(shape: [1, 2, 3, 4], values: x), Blob(shape: [1, 2, 2, 2])])
        XCTAssertTrue(outside?.contains("out of bounds") == true, outside ?? "no error")
        let offsets = try SingleLayer.errorMessage("name: \"c\" type: \"Crop\" crop_param { offset: 0 offset: 0 offset: 0 }",
                                                   [Blob(shape: [1, 2, 3, 4], values: x), Blob(shape: [1, 2, 2, 2])])
        XCTAssertTrue(offsets?.contains("3 offset values") == true, offsets ?? "no error")
    }

    func testCropBackwardZeroesOutsideTheCrop() throws {
        let layer = try SingleLayer.make("name: \"c\" type: \"Crop\" crop_param { axis: 1 offset: 1 }")
        let bottom = try Blob(shape: [1, 1, 3, 3]), reference = try Blob(shape: [1, 1, 2, 2]), top = try Blob()
        XCTAssertThrowsError(try layer.setUp(bottom: [bottom, reference], top: [top])) // offset 1 on axis 1 of size 1
        let cropped = try SingleLayer.make("name: \"c\" type: \"Crop\" crop_param { offset: 1 }")
        try cropped.setUp(bottom: [bottom, reference], top: [top])
        try cropped.runForward(bottom: [bottom, reference], top: [top])
        try top.setDiff([1, 2, 3, 4])
        try bottom.setDiff(Array(repeating: 9, count: 9))
        try cropped.backward(top: [top], propagateDown: [true, false], bottom: [bottom, reference])
        XCTAssertEqual(bottom.diffArray(), [0, 0, 0, 0, 1, 2, 0, 3, 4])
    }

    func testArgMax() throws {
        // Two items of 5 values; ties put the larger index first (std::greater on pairs).
        let x: [Float] = [0.1, 0.9, 0.3, 0.9, -1, 5, 4, 3, 2, 1]
        let bottom = try Blob(shape: [2, 5], values: x)
        let plain = try SingleLayer.forward("name: \"a\" type: \"ArgMax\"", [bottom])
        XCTAssertEqual(plain[0].shape, [2, 1, 1])
        XCTAssertEqual(plain[0].dataArray(), [3, 0])
        let values = try SingleLayer.forward("name: \"a\" type: \"ArgMax\" argmax_param { out_max_val: true top_k: 2 }", [bottom])
        XCTAssertEqual(values[0].shape, [2, 2, 2])
        XCTAssertEqual(values[0].dataArray(), [3, 1, 0.9, 0.9, 0, 1, 5, 4])
        // Along axis 0 of (2, 5): per column, the row of the largest value; with out_max_val the values.
        let axis = try SingleLayer.forward("name: \"a\" type: \"ArgMax\" argmax_param { axis: 0 }", [bottom])
        XCTAssertEqual(axis[0].shape, [1, 5])
        XCTAssertEqual(axis[0].dataArray(), [1, 1, 1, 1, 1])
        let axisValues = try SingleLayer.forward("name: \"a\" type: \"ArgMax\" argmax_param { axis: -1 top_k: 2 out_max_val: true }", [bottom])
        XCTAssertEqual(axisValues[0].shape, [2, 2])
        XCTAssertEqual(axisValues[0].dataArray(), [0.9, 0.9, 5, 4])
        let tooMany = SingleLayer.errorMessage("name: \"a\" type: \"ArgMax\" argmax_param { top_k: 6 }", [bottom])
        XCTAssertTrue(tooMany?.contains("top_k 6") == true, tooMany ?? "no error")
    }

    func testTile() throws {
        let bottom = try Blob(shape: [2, 2], values: [1, 2, 3, 4])
        let rows = try SingleLayer.forward("name: \"t\" type: \"Tile\" tile_param { tiles: 3 }", [bottom])
        XCTAssertEqual(rows[0].shape, [2, 6])
        XCTAssertEqual(rows[0].dataArray(), [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
        let items = try SingleLayer.forward("name: \"t\" type: \"Tile\" tile_param { axis: 0 tiles: 2 }", [bottom])
        XCTAssertEqual(items[0].dataArray(), [1, 2, 3, 4, 1, 2, 3, 4])
        let missing = SingleLayer.errorMessage("name: \"t\" type: \"Tile\"", [bottom])
        XCTAssertTrue(missing?.contains("tiles must be given") == true, missing ?? "no error")
    }

    func testReduction() throws {
        let x: [Float] = [1, -2, 3, -4, 0.5, 0]
        let bottom = try Blob(shape: [2, 3], values: x)
        func run(_ text: String) throws -> Blob { try SingleLayer.forward("name: \"r\" type: \"Reduction\" reduction_param { \(text) }", [bottom])[0] }
        let whole = try run("operation: SUM")
        XCTAssertEqual(whole.shape, [])
        XCTAssertEqual(whole.dataArray(), [-1.5])
        XCTAssertEqual(try run("operation: ASUM axis: 1").dataArray(), [6, 4.5])
        XCTAssertEqual(try run("operation: SUMSQ axis: 1 coeff: 2").dataArray(), [28, 32.5])
        // MEAN divides coeff by the reduced count: 0.5·(-1.5)/6.
        assertClose(try run("operation: MEAN coeff: 0.5").dataArray(), [0.5 * -1.5 / 6])
        XCTAssertNotNil(SingleLayer.errorMessage("name: \"r\" type: \"Reduction\" reduction_param { axis: 2 }", [bottom]))
    }

    func testMVNAddsEpsToTheStandardDeviation() throws {
        // One item, two channels of 4 values; eps 0.5 is added to √var, not to var.
        let x: [Float] = [1, 2, 3, 6, -1, -1, -1, -1]
        func expected(acrossChannels: Bool, normalize: Bool) -> [Double] {
            let groups = acrossChannels ? [Array(0..<8)] : [Array(0..<4), Array(4..<8)]
            var result = Array(repeating: 0.0, count: 8)
            for group in groups {
                let mean = group.map { Double(x[$0]) }.reduce(0, +) / Double(group.count)
                let variance = group.map { pow(Double(x[$0]) - mean, 2) }.reduce(0, +) / Double(group.count)
                for i in group { result[i] = normalize ? (Double(x[i]) - mean) / (variance.squareRoot() + 0.5) : Double(x[i]) - mean }
            }
            return result
        }
        for (across, normalize) in [(false, true), (true, true), (false, false)] {
            let top = try SingleLayer.forward("name: \"m\" type: \"MVN\" mvn_param { eps: 0.5 across_channels: \(across) normalize_variance: \(normalize) }",
                                              [Blob(shape: [1, 2, 4], values: x)])
            XCTAssertEqual(top[0].shape, [1, 2, 4, 1])
            assertClose(top[0].dataArray(), expected(acrossChannels: across, normalize: normalize), "across \(across) normalize \(normalize)")
        }
        XCTAssertNotNil(try SingleLayer.errorMessage("name: \"m\" type: \"MVN\"", [Blob(shape: [1, 1, 1, 1, 2])]))
    }

    // MARK: Parameter, DummyData, Embed, BatchReindex, Filter

    func testParameterGivesItsBlobAndCollectsTheGradient() throws {
        let layer = try SingleLayer.make("name: \"p\" type: \"Parameter\" parameter_param { shape { dim: 2 dim: 3 } }")
        let top = try Blob()
        try layer.setUp(bottom: [], top: [top])
        XCTAssertEqual(layer.blobs[0].shape, [2, 3])
        try layer.blobs[0].setData([1, 2, 3, 4, 5, 6])
        try layer.runForward(bottom: [], top: [top])
        XCTAssertEqual(top.shape, [2, 3])
        XCTAssertEqual(top.dataArray(), [1, 2, 3, 4, 5, 6])
        try top.setDiff([6, 5, 4, 3, 2, 1])
        try layer.backward(top: [top], propagateDown: [], bottom: [])
        XCTAssertEqual(layer.blobs[0].diffArray(), [6, 5, 4, 3, 2, 1])
    }

    func testDummyDataShapesAndFillers() throws {
        // Legacy dims once for both tops; one constant filler per top.
        let tops = try SingleLayer.forward("""
            name: "d" type: "DummyData" dummy_data_param { num: 2 channels: 1 channels: 3 height: 1 width: 2
              data_filler { type: "constant" value: 1.5 } data_filler { type: "uniform" min: 2 max: 3 } }
            """, [], tops: 2)
        XCTAssertEqual(tops[0].shape, [2, 1, 1, 2])
        XCTAssertEqual(tops[0].dataArray(), Array(repeating: 1.5, count: 4))
        XCTAssertEqual(tops[1].shape, [2, 3, 1, 2])
        XCTAssertTrue(tops[1].dataArray().allSatisfy { $0 >= 2 && $0 <= 3 }, "\(tops[1].dataArray())")
        // No filler: zeros; one shape for every top.
        let zeros = try SingleLayer.forward("name: \"d\" type: \"DummyData\" dummy_data_param { shape { dim: 3 } }", [], tops: 2)
        XCTAssertEqual(zeros.map { $0.dataArray() }, [[0, 0, 0], [0, 0, 0]])
        // Gaussian values change at every forward.
        let layer = try SingleLayer.make("name: \"d\" type: \"DummyData\" dummy_data_param { shape { dim: 50 } data_filler { type: \"gaussian\" std: 2 } }")
        let top = try Blob()
        try layer.setUp(bottom: [], top: [top])
        try layer.runForward(bottom: [], top: [top])
        let first = top.dataArray()
        try layer.runForward(bottom: [], top: [top])
        XCTAssertNotEqual(first, top.dataArray())
        let both = SingleLayer.errorMessage("name: \"d\" type: \"DummyData\" dummy_data_param { shape { dim: 3 } num: 1 channels: 1 height: 1 width: 1 }", [])
        XCTAssertTrue(both?.contains("not both") == true, both ?? "no error")
        let fillers = SingleLayer.errorMessage("name: \"d\" type: \"DummyData\" dummy_data_param { shape { dim: 3 } data_filler { } data_filler { } }", [], tops: 3)
        XCTAssertTrue(fillers?.contains("2 data_filler values for 3 tops") == true, fillers ?? "no error")
    }

    /// test_dummy_data_layer.cpp TestTwoTopConstant and TestThreeTopConstantGaussianConstant.
    func testCaffeDummyDataCases() throws {
        let two = try SingleLayer.make("""
            name: "d" type: "DummyData" dummy_data_param { num: 5 channels: 3 height: 2 width: 4 num: 5 height: 1 data_filler { value: 7 } }
            """)
        let (a, b) = (try Blob(), try Blob())
        try two.setUp(bottom: [], top: [a, b])
        XCTAssertEqual(a.shape, [5, 3, 2, 4])
        XCTAssertEqual(b.shape, [5, 3, 1, 4])
        // Constant tops are filled at setup already.
        XCTAssertTrue((a.dataArray() + b.dataArray()).allSatisfy { $0 == 7 })
        try two.runForward(bottom: [], top: [a, b])
        XCTAssertTrue((a.dataArray() + b.dataArray()).allSatisfy { $0 == 7 })

        let three = try SingleLayer.make("""
            name: "d" type: "DummyData" dummy_data_param { num: 5 channels: 3 height: 2 width: 4
              data_filler { value: 7 } data_filler { type: "gaussian" mean: 3 std: 0.01 } data_filler { value: 9 } }
            """)
        let tops = try (0..<3).map { _ in try Blob() }
        try three.setUp(bottom: [], top: tops)
        XCTAssertTrue(tops[0].dataArray().allSatisfy { $0 == 7 })
        XCTAssertTrue(tops[1].dataArray().allSatisfy { $0 == 0 }) // the Gaussian top waits for forward
        XCTAssertTrue(tops[2].dataArray().allSatisfy { $0 == 9 })
        try three.runForward(bottom: [], top: tops)
        let first = tops[1].dataArray()
        XCTAssertTrue(first.allSatisfy { abs($0 - 3) <= 0.1 }, "\(first)")
        try three.runForward(bottom: [], top: tops)
        XCTAssertNotEqual(first.first, tops[1].dataArray().first)
        XCTAssertNotEqual(first.last, tops[1].dataArray().last)
        XCTAssertTrue(tops[0].dataArray().allSatisfy { $0 == 7 } && tops[2].dataArray().allSatisfy { $0 == 9 })
    }

    func testEmbedLooksUpRowsAndAddsTheBias() throws {
        let layer = try SingleLayer.make("name: \"e\" type: \"Embed\" embed_param { num_output: 2 input_dim: 3 }")
        let bottom = try Blob(shape: [2, 2], values: [2, 0, 1, 2]), top = try Blob()
        try layer.setUp(bottom: [bottom], top: [top])
        try layer.blobs[0].setData([1, 2, 3, 4, 5, 6])
        try layer.blobs[1].setData([0.5, -0.5])
        try layer.runForward(bottom: [bottom], top: [top])
        XCTAssertEqual(top.shape, [2, 2, 2])
        XCTAssertEqual(top.dataArray(), [5.5, 5.5, 1.5, 1.5, 3.5, 3.5, 5.5, 5.5])
        try top.setDiff([1, 1, 1, 1, 1, 1, 1, 1])
        try layer.backward(top: [top], propagateDown: [false], bottom: [bottom])
        XCTAssertEqual(layer.blobs[0].diffArray(), [1, 1, 1, 1, 2, 2]) // row 2 used twice
        XCTAssertEqual(layer.blobs[1].diffArray(), [4, 4])
        try bottom.setData([0, 3, 1, 1])
        XCTAssertThrowsError(try layer.runForward(bottom: [bottom], top: [top])) { error in
            XCTAssertTrue("\(error)".contains("bottom value 1 is 3.0"), "\(error)")
        }
    }

    func testBatchReindexAndFilter() throws {
        let data = try Blob(shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let reindexed = try SingleLayer.forward("name: \"r\" type: \"BatchReindex\"", [data, Blob(shape: [4], values: [2, 0, 2, 1])])
        XCTAssertEqual(reindexed[0].shape, [4, 2])
        XCTAssertEqual(reindexed[0].dataArray(), [5, 6, 1, 2, 5, 6, 3, 4])
        let bad = try SingleLayer.errorMessage("name: \"r\" type: \"BatchReindex\"", [data, Blob(shape: [1], values: [3])])
        XCTAssertTrue(bad?.contains("index 0 is 3.0") == true, bad ?? "no error")

        let layer = try SingleLayer.make("name: \"f\" type: \"Filter\"")
        let selector = try Blob(shape: [3, 1], values: [0, 1, 1]), top = try Blob()
        try layer.setUp(bottom: [data, selector], top: [top])
        XCTAssertEqual(top.shape, [3, 2]) // the first reshape keeps the whole batch (Caffe's first_reshape_)
        try layer.runForward(bottom: [data, selector], top: [top])
        XCTAssertEqual(top.dataArray(), [3, 4, 5, 6])
        try top.setDiff([1, 2, 3, 4])
        try layer.backward(top: [top], propagateDown: [true, false], bottom: [data, selector])
        XCTAssertEqual(data.diffArray(), [0, 0, 1, 2, 3, 4])
        XCTAssertNotNil(SingleLayer.errorMessage("name: \"f\" type: \"Filter\"", [data, selector], tops: 2))
    }

    // MARK: Losses

    func testSigmoidCrossEntropyLossNormalizesByBatchAndIgnoresLabels() throws {
        let x: [Float] = [0.5, -1, 2, 0, -3, 1]
        let t: [Float] = [1, 0, -1, 1, 1, 0]
        func term(_ i: Int) -> Double {
            let p = 1 / (1 + exp(-Double(x[i])))
            return -(Double(t[i]) * log(p) + (1 - Double(t[i])) * log(1 - p))
        }
        func loss(_ settings: String) throws -> Float {
            try SingleLayer.forward("name: \"l\" type: \"SigmoidCrossEntropyLoss\" loss_param { \(settings) }",
                                    [Blob(shape: [2, 3], values: x), Blob(shape: [2, 3], values: t)])[0].dataArray()[0]
        }
        let all = (0..<6).map(term).reduce(0, +)
        // Default: BATCH_SIZE (2), not VALID.
        assertClose([try loss("")], [all / 2])
        let kept = [0, 1, 3, 4, 5].map(term).reduce(0, +)
        assertClose([try loss("ignore_label: -1")], [kept / 2])
        assertClose([try loss("ignore_label: -1 normalization: VALID")], [kept / 5])
        assertClose([try loss("normalize: true")], [all / 6])
        assertClose([try loss("normalization: NONE")], [all])
        let mismatch = try SingleLayer.errorMessage("name: \"l\" type: \"SigmoidCrossEntropyLoss\"", [Blob(shape: [2, 3]), Blob(shape: [2, 2])])
        XCTAssertTrue(mismatch?.contains("same count") == true, mismatch ?? "no error")
    }

    func testSigmoidCrossEntropyGradientZeroForIgnoredTargets() throws {
        let layer = try SingleLayer.make("name: \"l\" type: \"SigmoidCrossEntropyLoss\" loss_param { ignore_label: 5 }")
        let x = try Blob(shape: [2, 1], values: [0, 1]), t = try Blob(shape: [2, 1], values: [5, 0]), top = try Blob()
        try layer.setUp(bottom: [x, t], top: [top])
        try layer.runForward(bottom: [x, t], top: [top])
        try layer.backward(top: [top], propagateDown: [true, false], bottom: [x, t])
        assertClose(x.diffArray(), [0, 1 / (1 + exp(-1.0)) / 2])
    }

    func testHingeLoss() throws {
        // Two items, three classes, labels 2 and 0.
        let x: [Float] = [0.5, -2, 0.2, 0.3, 0.1, -0.7]
        let labels = try Blob(shape: [2], values: [2, 0])
        var margins: [Double] = []
        for (i, label) in [2, 0].enumerated() {
            for j in 0..<3 {
                let v = Double(x[i * 3 + j])
                margins.append(max(0, 1 + (j == label ? -v : v)))
            }
        }
        let l1 = try SingleLayer.forward("name: \"h\" type: \"HingeLoss\"", [Blob(shape: [2, 3], values: x), labels])
        assertClose(l1[0].dataArray(), [margins.reduce(0, +) / 2])
        let l2 = try SingleLayer.forward("name: \"h\" type: \"HingeLoss\" hinge_loss_param { norm: L2 }", [Blob(shape: [2, 3], values: x), labels])
        assertClose(l2[0].dataArray(), [margins.map { $0 * $0 }.reduce(0, +) / 2])
        let bad = try SingleLayer.errorMessage("name: \"h\" type: \"HingeLoss\"", [Blob(shape: [2, 3], values: x), Blob(shape: [2], values: [3, 0])])
        XCTAssertTrue(bad?.contains("label 0 is 3.0") == true, bad ?? "no error")
    }

    func testMultinomialLogisticAndInfogainLosses() throws {
        let p: [Float] = [0.2, 0.5, 0.3, 0, 0.9, 0.1]
        let labels: [Float] = [1, 0]
        let multinomial = try SingleLayer.forward("name: \"m\" type: \"MultinomialLogisticLoss\"",
                                                  [Blob(shape: [2, 3], values: p), Blob(shape: [2], values: labels)])
        // p = 0 is clipped to 1e-20 (kLOG_THRESHOLD).
        assertClose(multinomial[0].dataArray(), [(-log(0.5) - log(Double(Float(1e-20)))) / 2])
        let h: [Float] = [1, 0.5, 0, 0.25, 1, 0, 0, 0, 2]
        let infogain = try SingleLayer.forward("name: \"i\" type: \"InfogainLoss\"",
                                               [Blob(shape: [2, 3], values: p), Blob(shape: [2, 1, 1, 1], values: labels), Blob(shape: [1, 1, 3, 3], values: h)])
        var expected = 0.0
        for (i, label) in [1, 0].enumerated() {
            for j in 0..<3 { expected -= Double(h[label * 3 + j]) * log(Double(max(p[i * 3 + j], 1e-20))) }
        }
        assertClose(infogain[0].dataArray(), [expected / 2])
        let noMatrix = try SingleLayer.errorMessage("name: \"i\" type: \"InfogainLoss\"", [Blob(shape: [2, 3], values: p), Blob(shape: [2], values: labels)])
        XCTAssertTrue(noMatrix?.contains("infogain_loss_param.source") == true, noMatrix ?? "no error")
        let labelShape = try SingleLayer.errorMessage("name: \"m\" type: \"MultinomialLogisticLoss\"", [Blob(shape: [2, 3], values: p), Blob(shape: [2, 2])])
        XCTAssertTrue(labelShape?.contains("one value per item") == true, labelShape ?? "no error")
    }

    func testInfogainMatrixFromFile() throws {
        var proto = Caffe_BlobProto()
        proto.shape.dim = [1, 1, 2, 2]
        proto.data = [0, 1, 1, 0]
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("infogain-\(UUID().uuidString).binaryproto")
        try proto.serializedData().write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let top = try SingleLayer.forward("name: \"i\" type: \"InfogainLoss\" infogain_loss_param { source: \"\(url.path)\" }",
                                          [Blob(shape: [1, 2], values: [0.25, 0.75]), Blob(shape: [1], values: [0])])
        assertClose(top[0].dataArray(), [-log(0.75)])
    }

    func testContrastiveLoss() throws {
        // Pairs: similar (d² = 0.5), dissimilar (d² = 0.25, d = 0.5), dissimilar far (d² = 4).
        let a = try Blob(shape: [3, 2, 1, 1], values: [0.5, 0.5, 0, 0.5, 2, 0])
        let b = try Blob(shape: [3, 2, 1, 1], values: [0, 1, 0, 0, 0, 0])
        let y = try Blob(shape: [3, 1, 1, 1], values: [1, 0, 0.9]) // 0.9 truncates to 0: dissimilar
        let current = try SingleLayer.forward("name: \"c\" type: \"ContrastiveLoss\" contrastive_loss_param { margin: 1 }", [a, b, y])
        assertClose(current[0].dataArray(), [(0.5 + 0.25 + 0) / 6])
        let legacy = try SingleLayer.forward("name: \"c\" type: \"ContrastiveLoss\" contrastive_loss_param { margin: 1 legacy_version: true }", [a, b, y])
        assertClose(legacy[0].dataArray(), [(0.5 + 0.75 + 0) / 6])
        let bad = try SingleLayer.errorMessage("name: \"c\" type: \"ContrastiveLoss\"", [a, b, Blob(shape: [3, 2, 1, 1])])
        XCTAssertTrue(bad?.contains("bottom 2 must be (N, 1, 1, 1)") == true, bad ?? "no error")
    }

    // MARK: SPP

    func testSPPPoolsEachLevelAndConcatenates() throws {
        // (1, 1, 4, 4), two levels of MAX: the global max, then the 2x2 bins' maxima.
        let x = (0..<16).map { Float(($0 * 7) % 16) }
        let top = try SingleLayer.forward("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 2 }", [Blob(shape: [1, 1, 4, 4], values: x)])
        XCTAssertEqual(top[0].shape, [1, 5])
        func bin(_ rows: Range<Int>, _ columns: Range<Int>) -> Float { rows.flatMap { h in columns.map { x[h * 4 + $0] } }.max() ?? 0 }
        XCTAssertEqual(top[0].dataArray(), [15, bin(0..<2, 0..<2), bin(0..<2, 2..<4), bin(2..<4, 0..<2), bin(2..<4, 2..<4)])
        // pyramid_height 1 keeps the pooling's 4-D shape.
        let single = try SingleLayer.forward("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 1 }", [Blob(shape: [1, 1, 4, 4], values: x)])
        XCTAssertEqual(single[0].shape, [1, 1, 1, 1])
    }

    func testSPPAverageCountsThePadding() throws {
        // (1, 1, 3, 3), level 1: kernel 2, pad 1; each bin divides by 4 though its first row or
        // column lies in the padding (Caffe's AVE pooling divides by the padded window).
        let x: [Float] = [1, 2, 3, 4, 5, 6, 7, 8, 9]
        let top = try SingleLayer.forward("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 2 pool: AVE }", [Blob(shape: [1, 1, 3, 3], values: x)])
        assertClose(top[0].dataArray(), [45.0 / 9, 1.0 / 4, (2.0 + 3) / 4, (4.0 + 7) / 4, (5.0 + 6 + 8 + 9) / 4])
        let flat = try SingleLayer.errorMessage("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 2 }", [Blob(shape: [1, 1, 3])])
        XCTAssertTrue(flat?.contains("4 axes") == true, flat ?? "no error")
        // H = 5 at level 2: kernel 2, pad 2, which Caffe's Pooling refuses (pad < kernel).
        let padded = try SingleLayer.errorMessage("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 3 }", [Blob(shape: [1, 1, 5, 4])])
        XCTAssertTrue(padded?.contains("pyramid level 2") == true && padded?.contains("smaller than the kernel") == true, padded ?? "no error")
        let none = try SingleLayer.errorMessage("name: \"s\" type: \"SPP\"", [Blob(shape: [1, 1, 4, 4])])
        XCTAssertTrue(none?.contains("pyramid_height is 0") == true, none ?? "no error")
    }
}
