import CaffeProto
@testable import Layers
import Runtime
import XCTest

/// Finite-difference gradient checks of the Caffe layer types beyond DSOD's (Caffe's step 1e-2
/// and threshold 1e-3 unless noted, as in their test_*_layer.cpp).
final class MoreLayersGradientCheckTests: XCTestCase {
    private let random = RandomSource(seed: 20261125)

    private func randomBlob(_ shape: [Int], low: Float = -1, high: Float = 1) throws -> Blob {
        let blob = try Blob(shape: shape)
        for i in 0..<blob.count { blob.data[i] = random.uniform(low, high) }
        return blob
    }

    /// Values of magnitude 0.1...1 with random signs (away from the kink at 0).
    private func awayFromZero(_ shape: [Int]) throws -> Blob {
        let blob = try Blob(shape: shape)
        for i in 0..<blob.count { blob.data[i] = random.uniform(0.1, 1) * (random.bernoulli(0.5) ? 1 : -1) }
        return blob
    }

    private func check(_ text: String, bottoms: [Blob], tops: Int = 1, checkBottoms: [Int]? = nil,
                       checker: GradientChecker = GradientChecker(),
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try SingleLayer.make(text, random: random)
        let top = try (0..<tops).map { _ in try Blob() }
        try layer.setUp(bottom: bottoms, top: top)
        // One forward first: the tops of Filter take their final shape only then.
        try layer.runForward(bottom: bottoms, top: top)
        let failures = try checker.check(layer, bottom: bottoms, top: top, bottomsToCheck: checkBottoms ?? Array(bottoms.indices), random: random)
        for failure in failures {
            XCTFail("\(failure) (bottoms \(bottoms.map(\.shape)))", file: file, line: line)
        }
    }

    func testLRNAcrossChannels() throws {
        // test_lrn_layer.cpp: step 1e-2, threshold 1e-2.
        let checker = GradientChecker(step: 1e-2, threshold: 1e-2)
        for (shape, size) in [([2, 7, 3, 3], 5), ([1, 3, 2, 4], 3), ([2, 2, 3, 2], 5), ([1, 4, 2, 2], 1)] {
            try check("name: \"n\" type: \"LRN\" lrn_param { local_size: \(size) alpha: 1.5 beta: 0.75 k: 2 }",
                      bottoms: [randomBlob(shape, low: -2, high: 2)], checker: checker)
        }
    }

    func testLRNWithinChannel() throws {
        let checker = GradientChecker(step: 1e-2, threshold: 1e-2)
        for (shape, size) in [([2, 2, 5, 4], 3), ([1, 3, 6, 6], 5), ([1, 1, 2, 3], 5)] {
            try check("name: \"n\" type: \"LRN\" lrn_param { norm_region: WITHIN_CHANNEL local_size: \(size) alpha: 2 beta: 0.75 }",
                      bottoms: [randomBlob(shape, low: -2, high: 2)], checker: checker)
        }
    }

    func testNeurons() throws {
        let shape = [2, 3, 4, 5]
        try check("name: \"a\" type: \"AbsVal\"", bottoms: [awayFromZero(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
        try check("name: \"b\" type: \"BNLL\"", bottoms: [randomBlob(shape, low: -3, high: 3)])
        try check("name: \"e\" type: \"ELU\" elu_param { alpha: 0.5 }", bottoms: [awayFromZero(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
        try check("name: \"e\" type: \"Exp\"", bottoms: [randomBlob(shape)])
        try check("name: \"e\" type: \"Exp\" exp_param { base: 2 scale: 0.5 shift: 1 }", bottoms: [randomBlob(shape)])
        try check("name: \"l\" type: \"Log\"", bottoms: [randomBlob(shape, low: 0.5, high: 2)])
        try check("name: \"l\" type: \"Log\" log_param { base: 2 scale: 0.5 shift: 2 }", bottoms: [randomBlob(shape)])
    }

    func testCropTileReduction() throws {
        try check("name: \"c\" type: \"Crop\" crop_param { axis: 1 offset: 1 offset: 0 offset: 2 }",
                  bottoms: [randomBlob([2, 4, 3, 5]), randomBlob([1, 2, 2, 3])], checkBottoms: [0])
        try check("name: \"t\" type: \"Tile\" tile_param { axis: 1 tiles: 3 }", bottoms: [randomBlob([2, 3, 2, 2])])
        for operation in ["SUM", "MEAN", "SUMSQ"] {
            try check("name: \"r\" type: \"Reduction\" reduction_param { operation: \(operation) axis: 1 coeff: 1.5 }", bottoms: [randomBlob([2, 3, 4])])
        }
        try check("name: \"r\" type: \"Reduction\" reduction_param { operation: ASUM axis: -1 }", bottoms: [awayFromZero([2, 3, 4])],
                  checker: GradientChecker(kink: 0, kinkRange: 0.02))
    }

    func testMVN() throws {
        // test_mvn_layer.cpp: step 1e-2, threshold 1e-3 (eps 1e-9 default, so the formula is exact).
        for (across, normalize) in [(false, true), (true, true), (false, false), (true, false)] {
            try check("name: \"m\" type: \"MVN\" mvn_param { across_channels: \(across) normalize_variance: \(normalize) }",
                      bottoms: [randomBlob([2, 3, 4, 5])])
        }
    }

    func testEmbedBatchReindexFilter() throws {
        let indices = try Blob(shape: [2, 3], values: [0, 4, 2, 2, 1, 4])
        try check("name: \"e\" type: \"Embed\" embed_param { num_output: 3 input_dim: 5 weight_filler { type: \"uniform\" min: -1 max: 1 } bias_filler { type: \"uniform\" } }",
                  bottoms: [indices], checkBottoms: [])
        try check("name: \"r\" type: \"BatchReindex\"", bottoms: [randomBlob([3, 2, 2]), Blob(shape: [5], values: [2, 0, 2, 1, 1])], checkBottoms: [0])
        try check("name: \"f\" type: \"Filter\"", bottoms: [randomBlob([4, 3]), randomBlob([4, 2, 2]), Blob(shape: [4], values: [1, 0, 0, 1])],
                  tops: 2, checkBottoms: [0, 1])
    }

    func testLosses() throws {
        // Losses: Caffe's tests use step 1e-2 and threshold 1e-2.
        let checker = GradientChecker(step: 1e-2, threshold: 1e-2)
        let targets = try Blob(shape: [3, 4], values: (0..<12).map { Float($0 % 3) / 2 })
        // test_sigmoid_cross_entropy_loss_layer.cpp TestGradient: loss_weight 3.7.
        try check("name: \"l\" type: \"SigmoidCrossEntropyLoss\" loss_weight: 3.7", bottoms: [randomBlob([3, 4], low: -3, high: 3), targets], checkBottoms: [0], checker: checker)
        let ignoring = try Blob(shape: [3, 4], values: (0..<12).map { $0 % 4 == 0 ? -1 : Float($0 % 2) })
        try check("name: \"l\" type: \"SigmoidCrossEntropyLoss\" loss_param { ignore_label: -1 normalization: VALID }",
                  bottoms: [randomBlob([3, 4], low: -3, high: 3), ignoring], checkBottoms: [0], checker: checker)
        let labels = try Blob(shape: [3], values: [1, 0, 3])
        // Hinge: test_hinge_loss_layer.cpp uses step 2e-3 (the kinks at margin 0).
        try check("name: \"h\" type: \"HingeLoss\"", bottoms: [randomBlob([3, 4], low: -3, high: 3), labels], checkBottoms: [0],
                  checker: GradientChecker(step: 2e-3, threshold: 1e-2))
        try check("name: \"h\" type: \"HingeLoss\" hinge_loss_param { norm: L2 }", bottoms: [randomBlob([3, 4], low: -3, high: 3), labels], checkBottoms: [0],
                  checker: GradientChecker(step: 2e-3, threshold: 1e-2))
        try check("name: \"m\" type: \"MultinomialLogisticLoss\"", bottoms: [randomBlob([3, 4], low: 0.3, high: 1), labels], checkBottoms: [0],
                  checker: GradientChecker(step: 2e-2, threshold: 1e-2))
        try check("name: \"i\" type: \"InfogainLoss\"", bottoms: [randomBlob([3, 4], low: 0.3, high: 1), labels, randomBlob([1, 1, 4, 4], low: 0, high: 1)],
                  checkBottoms: [0], checker: GradientChecker(step: 2e-2, threshold: 1e-2))
        let similarity = try Blob(shape: [4], values: [1, 0, 0, 1])
        for legacy in [false, true] {
            try check("name: \"c\" type: \"ContrastiveLoss\" contrastive_loss_param { margin: 2 legacy_version: \(legacy) }",
                      bottoms: [randomBlob([4, 3, 1, 1]), randomBlob([4, 3, 1, 1]), similarity], checkBottoms: [0, 1], checker: checker)
        }
    }

    func testSPP() throws {
        for shape in [[1, 3, 4, 4], [2, 2, 7, 6]] {
            try check("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 3 pool: AVE }", bottoms: [randomBlob(shape)])
        }
        // MAX is piecewise linear: distinct values 0.05 apart keep the argmax away from ties
        // (test_spp_layer.cpp: step 1e-4, threshold 1e-2).
        let blob = try Blob(shape: [2, 2, 6, 7])
        let order = (0..<blob.count).map { _ in random.uniform(0, 1) }
        let ranks = order.indices.sorted { order[$0] < order[$1] }
        for (rank, index) in ranks.enumerated() { blob.data[index] = Float(rank) * 0.05 }
        try check("name: \"s\" type: \"SPP\" spp_param { pyramid_height: 3 pool: MAX }", bottoms: [blob], checker: GradientChecker(step: 1e-3, threshold: 1e-2))
    }
}
