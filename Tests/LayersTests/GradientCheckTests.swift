import CaffeProto
@testable import Layers
import Runtime
import XCTest

/// Finite-difference gradient checks for every layer type with a backward pass, each on several
/// random shapes (Caffe's step 1e-2 and threshold 1e-3 unless noted).
final class GradientCheckTests: XCTestCase {
    private let random = RandomSource(seed: 20240611)

    private func parameter(_ text: String) throws -> Caffe_LayerParameter {
        try CaffeText.parse(text, as: Caffe_LayerParameter.self, file: "<test>")
    }

    private func randomBlob(_ shape: [Int], low: Float = -1, high: Float = 1) throws -> Blob {
        let blob = try Blob(shape: shape)
        for i in 0..<blob.count { blob.data[i] = random.uniform(low, high) }
        return blob
    }

    /// Random (N, C, H, W) shapes within the given bounds.
    private func shapes(_ count: Int = 3, n: ClosedRange<Int> = 1...3, c: ClosedRange<Int> = 2...4, h: ClosedRange<Int> = 3...7, w: ClosedRange<Int> = 3...7) -> [[Int]] {
        (0..<count).map { _ in
            [n, c, h, w].map { $0.lowerBound + random.integer(below: $0.count) }
        }
    }

    private func check(_ text: String, bottoms: [Blob], tops: Int = 1, checkBottoms: [Int]? = nil,
                       checker: GradientChecker = GradientChecker(), options: LayerOptions = LayerOptions(),
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let layer = try LayerRegistry.standard.makeLayer(parameter(text), context: LayerContext(random: random, options: options))
        let top = try (0..<tops).map { _ in try Blob() }
        try layer.setUp(bottom: bottoms, top: top)
        // Parameters start from random values so that every path is exercised.
        for blob in layer.blobs where blob.count > 0 {
            for i in 0..<blob.count { blob.data[i] = random.uniform(0.5, 1.5) * (random.bernoulli(0.5) ? 1 : -1) }
        }
        let failures = try checker.check(layer, bottom: bottoms, top: top, bottomsToCheck: checkBottoms ?? Array(bottoms.indices), random: random)
        for failure in failures {
            XCTFail("\(failure) (bottoms \(bottoms.map(\.shape)))", file: file, line: line)
        }
    }

    func testConvolution() throws {
        let configs = [
            "num_output: 3 kernel_size: 3 pad: 1",
            "num_output: 4 kernel_size: 3 stride: 2 pad: 1 group: 2",
            "num_output: 2 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 1 pad_h: 1 pad_w: 0 dilation: 2",
            "num_output: 3 kernel_size: 1 bias_term: false",
        ]
        for config in configs {
            for var shape in shapes(2, c: 2...2, h: 5...7, w: 5...7) {
                shape[1] = 4
                try check("name: \"conv\" type: \"Convolution\" convolution_param { \(config) }", bottoms: [randomBlob(shape)])
            }
        }
        // Two bottoms share the weights; their gradients add up.
        try check("name: \"conv\" type: \"Convolution\" convolution_param { num_output: 2 kernel_size: 3 }",
                  bottoms: [randomBlob([2, 3, 5, 6]), randomBlob([2, 3, 5, 6])], tops: 2)
    }

    func testDeconvolution() throws {
        let configs = [
            "num_output: 3 kernel_size: 3 stride: 2 pad: 1",
            "num_output: 4 kernel_size: 4 stride: 2 pad: 1 group: 2 bias_term: false",
            "num_output: 2 kernel_h: 3 kernel_w: 2 stride_h: 2 stride_w: 3 pad_h: 1 dilation: 2",
        ]
        for config in configs {
            for shape in shapes(2, c: 2...2, h: 3...5, w: 3...5) {
                try check("name: \"deconv\" type: \"Deconvolution\" convolution_param { \(config) }", bottoms: [randomBlob(shape)])
            }
        }
    }

    func testInnerProduct() throws {
        for shape in shapes(2) {
            try check("name: \"ip\" type: \"InnerProduct\" inner_product_param { num_output: 5 }", bottoms: [randomBlob(shape)])
            try check("name: \"ip\" type: \"InnerProduct\" inner_product_param { num_output: 3 axis: 2 transpose: true }", bottoms: [randomBlob(shape)])
            try check("name: \"ip\" type: \"InnerProduct\" inner_product_param { num_output: 2 axis: -1 bias_term: false }", bottoms: [randomBlob(shape)])
        }
    }

    func testScaleAndBias() throws {
        for shape in shapes(3) {
            try check("name: \"s\" type: \"Scale\" scale_param { bias_term: true }", bottoms: [randomBlob(shape)])
            try check("name: \"s\" type: \"Scale\" scale_param { axis: 1 num_axes: 2 }", bottoms: [randomBlob(shape)])
            try check("name: \"s\" type: \"Scale\" scale_param { num_axes: 0 bias_term: true }", bottoms: [randomBlob(shape)])
            try check("name: \"s\" type: \"Scale\" scale_param { axis: 0 bias_term: true }",
                      bottoms: [randomBlob(shape), randomBlob(Array(shape[0..<2]))])
            try check("name: \"b\" type: \"Bias\" bias_param { axis: -1 }", bottoms: [randomBlob(shape)])
            try check("name: \"b\" type: \"Bias\"", bottoms: [randomBlob(shape), randomBlob([shape[1]])])
        }
    }

    /// Values of magnitude 0.5...1.5 with random signs (keeps norms away from 0).
    private func awayFromZero(_ shape: [Int]) throws -> Blob {
        let blob = try Blob(shape: shape)
        for i in 0..<blob.count { blob.data[i] = random.uniform(0.5, 1.5) * (random.bernoulli(0.5) ? 1 : -1) }
        return blob
    }

    func testNormalize() throws {
        for shape in shapes(3, c: 2...5) {
            // Caffe's backward is exact when the scale is shared by all channels.
            try check("name: \"n\" type: \"Normalize\" norm_param { across_spatial: false channel_shared: true }", bottoms: [awayFromZero(shape)])
            try check("name: \"n\" type: \"Normalize\" norm_param { across_spatial: true channel_shared: true eps: 0.01 }", bottoms: [awayFromZero(shape)])
            // Per-channel scales: only the opt-in exact gradient passes.
            try check("name: \"n\" type: \"Normalize\" norm_param { across_spatial: false channel_shared: false }",
                      bottoms: [awayFromZero(shape)], options: LayerOptions(exactNormalizeGradient: true))
            try check("name: \"n\" type: \"Normalize\" norm_param { across_spatial: true channel_shared: false }",
                      bottoms: [awayFromZero(shape)], options: LayerOptions(exactNormalizeGradient: true))
        }
    }

    /// The checker must catch a wrong gradient: Caffe's Normalize backward with unequal
    /// per-channel scales is not the derivative of its forward.
    func testCheckerCatchesCaffesNormalizeQuirk() throws {
        let layer = try LayerRegistry.standard.makeLayer(
            parameter("name: \"n\" type: \"Normalize\" norm_param { across_spatial: false channel_shared: false }"),
            context: LayerContext(random: random))
        let bottom = try awayFromZero([2, 4, 3, 3]), top = try Blob()
        try layer.setUp(bottom: [bottom], top: [top])
        try layer.blobs[0].setData([1, 5, 20, 0.25])
        let failures = try GradientChecker().check(layer, bottom: [bottom], top: [top], bottomsToCheck: [0], random: random)
        XCTAssertFalse(failures.isEmpty, "Caffe's Normalize gradient with unequal scales should fail the check")
    }

    func testBatchNorm() throws {
        for shape in shapes(3, n: 2...3) {
            try check("name: \"bn\" type: \"BatchNorm\" phase: TRAIN", bottoms: [randomBlob(shape)],
                      checker: GradientChecker(step: 1e-3, threshold: 1e-2))
            try check("name: \"bn\" type: \"BatchNorm\" phase: TRAIN batch_norm_param { use_global_stats: true eps: 0.1 }",
                      bottoms: [randomBlob(shape)])
        }
        try check("name: \"bn\" type: \"BatchNorm\" phase: TRAIN", bottoms: [randomBlob([6, 5])], checker: GradientChecker(step: 1e-3, threshold: 1e-2))
    }

    func testActivations() throws {
        for shape in shapes(2) {
            try check("name: \"r\" type: \"ReLU\"", bottoms: [randomBlob(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
            try check("name: \"r\" type: \"ReLU\" relu_param { negative_slope: 0.1 }", bottoms: [randomBlob(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
            try check("name: \"pr\" type: \"PReLU\"", bottoms: [randomBlob(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
            try check("name: \"pr\" type: \"PReLU\" prelu_param { channel_shared: true }", bottoms: [randomBlob(shape)], checker: GradientChecker(kink: 0, kinkRange: 0.02))
            try check("name: \"s\" type: \"Sigmoid\"", bottoms: [randomBlob(shape, low: -3, high: 3)])
            try check("name: \"t\" type: \"TanH\"", bottoms: [randomBlob(shape, low: -2, high: 2)])
            try check("name: \"p\" type: \"Power\" power_param { power: 2 scale: 0.5 shift: 1 }", bottoms: [randomBlob(shape)])
            try check("name: \"p\" type: \"Power\" power_param { power: 0.5 scale: 2 shift: 3 }", bottoms: [randomBlob(shape)])
            try check("name: \"p\" type: \"Power\" power_param { power: 3 scale: 1.5 }", bottoms: [randomBlob(shape, low: 0.2, high: 1)])
            try check("name: \"sm\" type: \"Softmax\"", bottoms: [randomBlob(shape, low: -2, high: 2)])
            try check("name: \"sm\" type: \"Softmax\" softmax_param { axis: 2 }", bottoms: [randomBlob(shape, low: -2, high: 2)])
            try check("name: \"d\" type: \"Dropout\" phase: TEST", bottoms: [randomBlob(shape)])
        }
    }

    func testPooling() throws {
        for shape in shapes(3, h: 5...9, w: 5...9) {
            try check("name: \"p\" type: \"Pooling\" pooling_param { pool: AVE kernel_size: 3 stride: 2 pad: 1 }", bottoms: [randomBlob(shape)])
            try check("name: \"p\" type: \"Pooling\" pooling_param { pool: AVE global_pooling: true }", bottoms: [randomBlob(shape)])
            // MAX is piecewise linear: distinct values keep the argmax away from ties.
            let blob = try randomBlob(shape)
            let values = (0..<blob.count).map { Float($0) * 0.05 }.shuffled(using: &randomGenerator)
            try blob.setData(values)
            try check("name: \"p\" type: \"Pooling\" pooling_param { pool: MAX kernel_size: 2 stride: 2 }", bottoms: [blob], checker: GradientChecker(step: 1e-3))
            try check("name: \"p\" type: \"Pooling\" pooling_param { pool: MAX kernel_size: 3 stride: 2 pad: 1 }", bottoms: [blob], checker: GradientChecker(step: 1e-3))
        }
    }

    private var randomGenerator = RandomSource(seed: 99)

    func testStructureLayers() throws {
        for shape in shapes(2) {
            try check("name: \"c\" type: \"Concat\"", bottoms: [randomBlob(shape), randomBlob([shape[0], 2] + shape[2...])])
            try check("name: \"c\" type: \"Concat\" concat_param { axis: 0 }", bottoms: [randomBlob(shape), randomBlob([1] + shape[1...])])
            try check("name: \"s\" type: \"Slice\" slice_param { axis: 1 slice_point: 1 }", bottoms: [randomBlob(shape)], tops: 2)
            try check("name: \"f\" type: \"Flatten\"", bottoms: [randomBlob(shape)])
            try check("name: \"r\" type: \"Reshape\" reshape_param { shape { dim: 0 dim: -1 } }", bottoms: [randomBlob(shape)])
            try check("name: \"p\" type: \"Permute\" permute_param { order: 0 order: 2 order: 3 order: 1 }", bottoms: [randomBlob(shape)])
            try check("name: \"sp\" type: \"Split\"", bottoms: [randomBlob(shape)], tops: 3)
            try check("name: \"e\" type: \"Eltwise\" eltwise_param { coeff: 1 coeff: -0.5 coeff: 2 }", bottoms: [randomBlob(shape), randomBlob(shape), randomBlob(shape)])
            try check("name: \"e\" type: \"Eltwise\" eltwise_param { operation: PROD }", bottoms: [randomBlob(shape), randomBlob(shape), randomBlob(shape)])
            try check("name: \"e\" type: \"Eltwise\" eltwise_param { operation: PROD stable_prod_grad: false }", bottoms: [randomBlob(shape, low: 0.5, high: 1.5), randomBlob(shape, low: 0.5, high: 1.5)])
            let a = try randomBlob(shape), b = try randomBlob(shape)
            for i in 0..<b.count where abs(a.data[i] - b.data[i]) < 0.05 { b.data[i] += 0.2 }
            try check("name: \"e\" type: \"Eltwise\" eltwise_param { operation: MAX }", bottoms: [a, b], checker: GradientChecker(step: 1e-3))
        }
    }

    func testLosses() throws {
        for shape in shapes(3) {
            let labels = try Blob(shape: [shape[0], 1, shape[2], shape[3]])
            for i in 0..<labels.count { labels.data[i] = Float(random.integer(below: shape[1])) }
            try check("name: \"l\" type: \"SoftmaxWithLoss\"", bottoms: [randomBlob(shape, low: -2, high: 2), labels], checkBottoms: [0])
            try check("name: \"l\" type: \"SoftmaxWithLoss\" loss_param { ignore_label: 0 normalization: FULL }", bottoms: [randomBlob(shape, low: -2, high: 2), labels], checkBottoms: [0])
            try check("name: \"l\" type: \"EuclideanLoss\"", bottoms: [randomBlob(shape), randomBlob(shape)])
        }
    }
}
