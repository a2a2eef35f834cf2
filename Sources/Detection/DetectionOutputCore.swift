import Foundation

/// The parameters of a DetectionOutput layer that shape its rows (`DetectionOutputParameter`
/// without the result-file and visualisation fields).
public struct DetectionOutputSettings: Equatable, Sendable {
    public var numClasses: Int
    public var shareLocation: Bool
    public var backgroundLabelId: Int
    public var coder: BoxCoder
    /// `keep_top_k`: -1 keeps every detection of an image.
    public var keepTopK: Int
    /// Scores must be strictly above it; `-Float.greatestFiniteMagnitude` (Caffe's -FLT_MAX)
    /// when `confidence_threshold` is not set.
    public var confidenceThreshold: Float
    public var nmsThreshold: Float
    public var eta: Float
    /// `nms_param.top_k`, -1 when not set.
    public var topK: Int

    /// Defaults are caffe.proto's (shared locations, background 0, CORNER, no keep_top_k, no
    /// threshold, nms 0.3, eta 1, no top_k).
    public init(numClasses: Int, shareLocation: Bool = true, backgroundLabelId: Int = 0,
                coder: BoxCoder = BoxCoder(codeType: .corner), keepTopK: Int = -1,
                confidenceThreshold: Float = -Float.greatestFiniteMagnitude, nmsThreshold: Float = 0.3,
                eta: Float = 1, topK: Int = -1) {
        self.numClasses = numClasses
        self.shareLocation = shareLocation
        self.backgroundLabelId = backgroundLabelId
        self.coder = coder
        self.keepTopK = keepTopK
        self.confidenceThreshold = confidenceThreshold
        self.nmsThreshold = nmsThreshold
        self.eta = eta
        self.topK = topK
    }
}

/// One detection kept by DetectionOutput, before it becomes a row.
public struct Detection: Equatable, Sendable {
    public var image: Int
    public var label: Int
    public var score: Float
    /// The decoded, unclipped box.
    public var box: NormalizedBox
    /// The prior it was decoded from.
    public var prior: Int
}

/// The top of a DetectionOutput forward.
public struct DetectionOutputResult: Equatable, Sendable {
    /// Kept detections in row order: by image, label ascending, score descending.
    public var detections: [Detection]
    /// Images in the batch.
    public var num: Int

    /// Whether the whole batch had no detection, in which case the top holds one placeholder
    /// row `[i, -1, -1, -1, -1, -1, -1]` per image.
    public var isPlaceholder: Bool { detections.isEmpty }

    /// Rows of the (1, 1, rowCount, 7) top.
    public var rowCount: Int { isPlaceholder ? num : detections.count }

    /// The top blob's data: `[image, label, score, xmin, ymin, xmax, ymax]` per row.
    public var rows: [Float] {
        if isPlaceholder {
            var out = [Float](repeating: -1, count: num * 7)
            for i in 0..<num { out[i * 7] = Float(i) }
            return out
        }
        var out: [Float] = []
        out.reserveCapacity(detections.count * 7)
        for d in detections {
            out += [Float(d.image), Float(d.label), d.score, d.box.xmin, d.box.ymin, d.box.xmax, d.box.ymax]
        }
        return out
    }
}

/// `DetectionOutputLayer::Forward_cpu` as a value: decode, per-class NMS, keep_top_k.
///
/// Quirks kept (src/caffe/layers/detection_output_layer.cpp, bbox_util.cpp):
/// - Rows are grouped by image, then label ascending, then descending score within a label;
///   they are not sorted by score across labels.
/// - The confidence threshold is strict (`>`); equal scores keep the lower prior first
///   (stable sort), so of two tied overlapping boxes the lower prior survives NMS.
/// - nms `top_k` cuts each class's candidates before NMS; `keep_top_k` then keeps the best of
///   the image over all classes with the non-stable `std::sort` (ties as libstdc++) and
///   regroups them by label.
/// - Boxes are decoded unclipped; inverted boxes are kept and suppress nothing.
/// - Placeholder rows appear only when the whole batch has no detection.
/// - With `shareLocation` false the background class's location slot is never decoded.
public struct DetectionOutputCore: Sendable {
    public let settings: DetectionOutputSettings

    /// Throws where LayerSetUp aborts (nms_threshold < 0, eta outside (0, 1]) and for the
    /// configuration that aborts in Forward: shared locations with background label -1
    /// ("Could not find location predictions for label -1").
    public init(settings: DetectionOutputSettings) throws {
        guard settings.numClasses >= 1 else {
            throw DetectionError("DetectionOutput: num_classes is \(settings.numClasses), expected >= 1")
        }
        guard settings.nmsThreshold >= 0 else {
            throw DetectionError("DetectionOutput: nms_threshold is \(settings.nmsThreshold), must be non negative")
        }
        guard settings.eta > 0 && settings.eta <= 1 else {
            throw DetectionError("DetectionOutput: nms eta is \(settings.eta), expected 0 < eta <= 1")
        }
        if settings.shareLocation && settings.backgroundLabelId == -1 {
            throw DetectionError("DetectionOutput: Could not find location predictions for label -1 (share_location true with background_label_id -1: the shared location label -1 is skipped as background)")
        }
        self.settings = settings
    }

    /// One forward. `loc` is mbox_loc (num x numPriors x locClasses x 4), `conf` the flattened
    /// confidences (num x numPriors x numClasses), `priors` the PriorBox top.
    public func detect(loc: [Float], conf: [Float], priors: PriorBoxes, num: Int) throws -> DetectionOutputResult {
        let numPriors = priors.count
        let numClasses = settings.numClasses
        guard conf.count == num * numPriors * numClasses else {
            throw DetectionError("DetectionOutput: confidences hold \(conf.count) values, expected num \(num) x num_priors \(numPriors) x num_classes \(numClasses) = \(num * numPriors * numClasses) (Number of priors must match number of confidence predictions)")
        }
        let locations = try LocationPredictions(data: loc, num: num, numPriors: numPriors,
                                                shareLocation: settings.shareLocation, numClasses: numClasses)
        let results = PerImageResults<[Detection]>(count: num, initial: [])
        let work: @Sendable (Int) -> Void = { image in
            do {
                let kept = try conf.withUnsafeBufferPointer { confBuffer in
                    try detectImage(image, locations: locations, conf: confBuffer, priors: priors)
                }
                results.set(image, kept)
            } catch {
                results.fail(error as? DetectionError ?? DetectionError("\(error)"))
            }
        }
        if num > 1 && numPriors * numClasses >= 4096 {
            DispatchQueue.concurrentPerform(iterations: num, execute: work)
        } else {
            for image in 0..<num { work(image) }
        }
        let (perImage, failure) = results.snapshot()
        if let failure { throw failure }
        return DetectionOutputResult(detections: perImage.flatMap { $0 }, num: num)
    }

    /// `detect` reading the PriorBox top directly.
    public func detect(loc: [Float], conf: [Float], priorData: [Float], num: Int) throws -> DetectionOutputResult {
        try detect(loc: loc, conf: conf, priors: try PriorBoxes(topData: priorData), num: num)
    }

    private func detectImage(_ image: Int, locations: LocationPredictions, conf: UnsafeBufferPointer<Float>,
                             priors: PriorBoxes) throws -> [Detection] {
        let numPriors = priors.count
        let numClasses = settings.numClasses
        let bg = settings.backgroundLabelId
        // DecodeBBoxesAll: one decoded list per location class, background skipped.
        var decoded: [Int: [NormalizedBox]] = [:]
        for c in 0..<locations.numLocClasses {
            let label = settings.shareLocation ? -1 : c
            if label == bg { continue }
            decoded[label] = try locations.decodedBoxes(image: image, label: label, priors: priors,
                                                        coder: settings.coder, clip: false)
        }
        guard let confBase = conf.baseAddress else { return [] }
        let imageConf = confBase + image * numPriors * numClasses
        var kept: [(label: Int, indices: [Int])] = []
        var numDet = 0
        for c in 0..<numClasses where c != bg {
            let locLabel = settings.shareLocation ? -1 : c
            guard let boxes = decoded[locLabel] else {
                throw DetectionError("DetectionOutput: Could not find location predictions for label \(locLabel)")
            }
            let candidates = ScoreSelection.maxScoreIndices(scores: imageConf + c, count: numPriors, stride: numClasses,
                                                            threshold: settings.confidenceThreshold, topK: settings.topK)
            let indices = try NonMaximumSuppression.fast(boxes: boxes, candidates: candidates,
                                                     threshold: settings.nmsThreshold, eta: settings.eta)
            kept.append((c, indices))
            numDet += indices.count
        }
        func detection(label: Int, prior: Int) -> Detection {
            let box = decoded[settings.shareLocation ? -1 : label]?[prior] ?? NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0)
            return Detection(image: image, label: label, score: imageConf[prior * numClasses + label], box: box, prior: prior)
        }
        var result: [Detection] = []
        if settings.keepTopK > -1 && numDet > settings.keepTopK {
            var pairs: [(score: Float, label: Int, prior: Int)] = []
            pairs.reserveCapacity(numDet)
            for (label, indices) in kept {
                for prior in indices { pairs.append((imageConf[prior * numClasses + label], label, prior)) }
            }
            CaffeSort.introsort(&pairs) { $0.score > $1.score }
            pairs.removeSubrange(settings.keepTopK...)
            var byLabel: [Int: [Int]] = [:]
            for pair in pairs { byLabel[pair.label, default: []].append(pair.prior) }
            for label in byLabel.keys.sorted() {
                for prior in byLabel[label] ?? [] { result.append(detection(label: label, prior: prior)) }
            }
        } else {
            for (label, indices) in kept {
                for prior in indices { result.append(detection(label: label, prior: prior)) }
            }
        }
        return result
    }
}

/// Results of work items run with `DispatchQueue.concurrentPerform`, one slot per item.
/// `@unchecked Sendable`: every access to the mutable state goes through `lock`.
final class PerImageResults<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [T]
    private var failure: DetectionError?

    init(count: Int, initial: T) {
        values = [T](repeating: initial, count: count)
    }

    func set(_ index: Int, _ value: T) {
        lock.lock(); defer { lock.unlock() }
        values[index] = value
    }

    func fail(_ error: DetectionError) {
        lock.lock(); defer { lock.unlock() }
        if failure == nil { failure = error }
    }

    func snapshot() -> ([T], DetectionError?) {
        lock.lock(); defer { lock.unlock() }
        return (values, failure)
    }
}
