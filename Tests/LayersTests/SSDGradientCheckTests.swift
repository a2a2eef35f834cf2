import CaffeProto
import Detection
@testable import Layers
import Runtime
import XCTest

/// Finite-difference gradient checks of SmoothL1Loss and of MultiBoxLoss's location and
/// confidence inputs, on the small problems of Caffe's test_smooth_L1_loss_layer.cpp and
/// test_multibox_loss_layer.cpp (step 1e-2; Caffe's threshold there is 1e-2, ours 1e-3 where the
/// inputs keep away from SmoothL1's kink at |d| = 1).
final class SSDGradientCheckTests: XCTestCase {
    private let random = RandomSource(seed: 1701)

    private func parameter(_ text: String) throws -> Caffe_LayerParameter {
        try CaffeText.parse(text, as: Caffe_LayerParameter.self, file: "<test>")
    }

    private func gaussianBlob(_ shape: [Int], std: Float = 1) throws -> Blob {
        let blob = try Blob(shape: shape)
        for i in 0..<blob.count { blob.data[i] = random.gaussian(mean: 0, std: std) }
        return blob
    }

    private func layer(_ text: String) throws -> Layer {
        var registry = LayerRegistry()
        SSDLayers.register(into: &registry)
        return try registry.makeLayer(parameter(text), context: LayerContext(random: random))
    }

    // MARK: SmoothL1Loss

    func testSmoothL1LossAsCaffeTests() throws {
        // Caffe's test: (10, 5, 1, 1) Gaussian bottoms, loss_weight 3.7, step 1e-2, threshold 1e-2.
        let bottoms = [try gaussianBlob([10, 5, 1, 1]), try gaussianBlob([10, 5, 1, 1])]
        let loss = try layer("name: \"loss\" type: \"SmoothL1Loss\" loss_weight: 3.7")
        let top = [try Blob()]
        try loss.setUp(bottom: bottoms, top: top)
        let failures = try GradientChecker(step: 1e-2, threshold: 1e-2).check(loss, bottom: bottoms, top: top, bottomsToCheck: [0, 1], random: random)
        XCTAssertEqual(failures, [])
    }

    func testSmoothL1LossAwayFromTheKink() throws {
        // Differences on both branches but never within 2 steps of |d| = 1: threshold 1e-3.
        for shape in [[3, 4, 2, 5], [5, 7], [2, 3, 4]] {
            let prediction = try gaussianBlob(shape)
            let target = try Blob(shape: shape)
            for i in 0..<target.count {
                var d: Float
                repeat { d = random.uniform(-2.5, 2.5) } while abs(abs(d) - 1) < 0.05
                target.data[i] = prediction.data[i] - d
            }
            let loss = try layer("name: \"loss\" type: \"SmoothL1Loss\"")
            let top = [try Blob()]
            try loss.setUp(bottom: [prediction, target], top: top)
            let failures = try GradientChecker(step: 1e-2, threshold: 1e-3)
                .check(loss, bottom: [prediction, target], top: top, bottomsToCheck: [0, 1], random: random)
            XCTAssertEqual(failures, [], "shape \(shape)")
        }
    }

    // MARK: MultiBoxLoss

    /// Caffe's fixture: 3 images, 3 classes, a 2x2 feature map of a 20x20 image with 4 priors
    /// per cell (min 5, max 10, aspect ratio 3 flipped), ground truth rows as Caffe's (image 1
    /// has none; one box of image 2 is difficult).
    private func multiBoxBottoms(shareLocation: Bool) throws -> [Blob] {
        let num = 3, numClasses = 3
        let generator = try PriorBoxGenerator(settings: PriorBoxSettings(minSizes: [5], maxSizes: [10], aspectRatios: [3], flip: true))
        let priorValues = try generator.generate(layerHeight: 2, layerWidth: 2, imageHeight: 20, imageWidth: 20)
        let numPriors = priorValues.count / 8
        let locClasses = shareLocation ? 1 : numClasses
        let loc = try gaussianBlob([num, numPriors * locClasses * 4])
        let conf = try gaussianBlob([num, numPriors * numClasses])
        let priors = try Blob(shape: [1, 2, numPriors * 4], values: priorValues)
        let labels = try Blob(shape: [1, 1, 4, 8], values: [
            0, 1, 0, 0.1, 0.1, 0.3, 0.3, 0,
            2, 1, 0, 0.1, 0.1, 0.3, 0.3, 0,
            2, 2, 0, 0.2, 0.2, 0.4, 0.4, 0,
            2, 2, 1, 0.6, 0.6, 0.8, 0.9, 1,
        ])
        return [loc, conf, priors, labels]
    }

    /// Every combination of Caffe's TestLocGradient / TestConfGradient (use_prior_for_matching
    /// true; mining only with shared locations), checking bottom `checked` with the loss made of
    /// that term only (propagate_down).
    private func checkMultiBox(checked: Int, lossTypes: [String], threshold: Double) throws {
        var configurations = 0
        for lossType in lossTypes {
            for shareLocation in [true, false] {
                let bottoms = try multiBoxBottoms(shareLocation: shareLocation)
                for matchType in ["BIPARTITE", "PER_PREDICTION"] {
                    for normalization in ["FULL", "VALID", "BATCH_SIZE", "NONE"] {
                        for useDifficult in [true, false] {
                            for mining in ["NONE", "MAX_NEGATIVE", "HARD_EXAMPLE"] where shareLocation || mining == "NONE" {
                                let propagate = (0..<4).map { $0 == checked ? "propagate_down: true" : "propagate_down: false" }
                                let lossField = checked == 0 ? "loc_loss_type: \(lossType)" : "conf_loss_type: \(lossType)"
                                let text = """
                                    name: "mbox_loss" type: "MultiBoxLoss" \(propagate.joined(separator: " "))
                                    loss_param { normalization: \(normalization) }
                                    multibox_loss_param { num_classes: 3 \(lossField) share_location: \(shareLocation)
                                      match_type: \(matchType) use_prior_for_matching: true use_difficult_gt: \(useDifficult)
                                      background_label_id: 0 mining_type: \(mining) }
                                    """
                                let loss = FreshMatches(try layer(text))
                                let top = [try Blob()]
                                try loss.setUp(bottom: bottoms, top: top)
                                let failures = try GradientChecker(step: 1e-2, threshold: threshold)
                                    .check(loss, bottom: bottoms, top: top, bottomsToCheck: [checked], random: random)
                                XCTAssertEqual(failures, [], "\(lossType) share \(shareLocation) \(matchType) \(normalization) difficult \(useDifficult) \(mining)")
                                configurations += 1
                            }
                        }
                    }
                }
            }
        }
        XCTAssertEqual(configurations, 64 * lossTypes.count)
    }

    func testMultiBoxLossLocationGradient() throws {
        try checkMultiBox(checked: 0, lossTypes: ["SMOOTH_L1", "L2"], threshold: 1e-2)
    }

    func testMultiBoxLossConfidenceGradient() throws {
        try checkMultiBox(checked: 1, lossTypes: ["SOFTMAX", "LOGISTIC"], threshold: 1e-3)
    }
}

/// Runs MultiBoxLoss with fresh match lists at every forward: a backward that propagates nothing
/// first clears the lists (as Caffe's Backward does), so the probes of the gradient checker do
/// not read the matches of an earlier forward (the quirk pinned in SSDLayerBehaviourTests).
final class FreshMatches: Layer {
    private let inner: Layer

    init(_ inner: Layer) {
        self.inner = inner
        // Layer.init only fails for blobs given in the parameter; MultiBoxLoss has none.
        try! super.init(parameter: Caffe_LayerParameter(), context: LayerContext(random: inner.random))
    }

    required init(parameter: Caffe_LayerParameter, context: LayerContext) throws {
        throw LayerError(layer: parameter.name, type: parameter.type, message: "FreshMatches wraps a layer; use init(_:)")
    }

    override var blobCounts: BlobCounts { inner.blobCounts }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try inner.setUp(bottom: bottom, top: top)
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try inner.reshape(bottom: bottom, top: top)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        try inner.backward(top: top, propagateDown: bottom.map { _ in false }, bottom: bottom)
        try inner.forward(bottom: bottom, top: top)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        try inner.backward(top: top, propagateDown: propagateDown, bottom: bottom)
    }
}
