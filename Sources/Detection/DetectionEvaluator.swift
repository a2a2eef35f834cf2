import Foundation

/// The parameters of a DetectionEvaluate layer (`DetectionEvaluateParameter`).
public struct DetectionEvaluateSettings: Equatable, Sendable {
    public var numClasses: Int
    public var backgroundLabelId: Int
    public var overlapThreshold: Float
    public var evaluateDifficultGT: Bool
    /// The name-size file's sizes; empty = no file: boxes are compared normalized.
    public var nameSizes: [ImageSize]
    public var resize: ImageResize?

    /// Defaults are caffe.proto's (background 0, overlap 0.5, evaluate_difficult_gt true).
    public init(numClasses: Int, backgroundLabelId: Int = 0, overlapThreshold: Float = 0.5,
                evaluateDifficultGT: Bool = true, nameSizes: [ImageSize] = [], resize: ImageResize? = nil) {
        self.numClasses = numClasses
        self.backgroundLabelId = backgroundLabelId
        self.overlapThreshold = overlapThreshold
        self.evaluateDifficultGT = evaluateDifficultGT
        self.nameSizes = nameSizes
        self.resize = resize
    }
}

/// `DetectionEvaluateLayer` as a value: turns DetectionOutput rows and label rows into the
/// evaluation rows the solver scores. It is stateful like the layer: the name-size index
/// (`count_`) runs on across forwards.
///
/// Quirks kept (src/caffe/layers/detection_evaluate_layer.cpp, Forward_cpu):
/// - With a name-size file, the index advances once per image that has detection rows
///   (placeholder rows `[i, -1, ...]` included) and wraps after the last line; an image
///   without detection rows does not advance it, so the sizes of later images shift.
/// - Ground truth is read up to the first row with item -1.
/// - With a name-size file, boxes are clipped, scaled to pixels and compared with the `+1`
///   convention; without one, normalized, unclipped, without `+1`.
/// - Detections of an image or label without ground truth are false positives in row order;
///   otherwise they are sorted by descending score with `std::sort` (ties as libstdc++).
public struct DetectionEvaluator: Sendable {
    public let settings: DetectionEvaluateSettings
    /// The name-size line the next image with detections will use.
    public private(set) var nameSizeIndex = 0

    /// Throws where LayerSetUp aborts (overlap_threshold <= 0), or for a background label
    /// outside `-1 ..< numClasses` (Caffe would write past its output).
    public init(settings: DetectionEvaluateSettings) throws {
        guard settings.overlapThreshold > 0 else {
            throw DetectionError("DetectionEvaluate: overlap_threshold is \(settings.overlapThreshold), expected > 0")
        }
        guard settings.numClasses >= 1 else {
            throw DetectionError("DetectionEvaluate: num_classes is \(settings.numClasses), expected >= 1")
        }
        guard settings.backgroundLabelId >= -1 && settings.backgroundLabelId < settings.numClasses else {
            throw DetectionError("DetectionEvaluate: background_label_id \(settings.backgroundLabelId) is outside -1 ..< num_classes \(settings.numClasses)")
        }
        self.settings = settings
    }

    /// Whether boxes are compared normalized (no name-size file).
    public var usesNormalizedBoxes: Bool { settings.nameSizes.isEmpty }

    /// Number of count rows: one per non-background class.
    public var countRowCount: Int { settings.backgroundLabelId == -1 ? settings.numClasses : settings.numClasses - 1 }

    /// The output height Reshape computes: count rows plus the detection rows whose label is
    /// not -1 (rows with item -1 are counted here but never written; they stay zero).
    public func outputRowCount(detections: UnsafeBufferPointer<Float>) -> Int {
        var valid = 0
        var r = 0
        while r * 7 + 1 < detections.count {
            if detections[r * 7 + 1] != -1 { valid += 1 }
            r += 1
        }
        return countRowCount + valid
    }

    /// One forward: `detections` is the (1, 1, N, 7) DetectionOutput blob, `groundTruth` the
    /// (1, 1, G, 8) label blob; returns the (1, 1, outputRowCount, 5) evaluation rows, flat.
    public mutating func evaluate(detections: UnsafeBufferPointer<Float>,
                                  groundTruth: UnsafeBufferPointer<Float>) throws -> [Float] {
        let bg = settings.backgroundLabelId
        let allDetections = try DetectionRows.detections(detections, backgroundLabelId: bg)
        var allGroundTruth = try DetectionRows.groundTruthForEvaluation(groundTruth, backgroundLabelId: bg, useDifficult: true)
        var out = [Float](repeating: 0, count: outputRowCount(detections: detections) * 5)
        var row = 0
        func write(_ values: Float...) {
            for (k, v) in values.enumerated() { out[row * 5 + k] = v }
            row += 1
        }

        var numPositives: [Int: Int] = [:]
        for labels in allGroundTruth.values {
            for (label, boxes) in labels {
                let count = settings.evaluateDifficultGT ? boxes.count : boxes.filter { !$0.difficult }.count
                numPositives[label, default: 0] += count
            }
        }
        for c in 0..<settings.numClasses where c != bg {
            write(-1, Float(c), Float(numPositives[c] ?? 0), -1, -1)
        }

        let normalized = usesNormalizedBoxes
        for image in allDetections.keys.sorted() {
            guard let labels = allDetections[image] else { continue }
            if allGroundTruth[image] == nil {
                for label in labels.keys.sorted() where label != -1 {
                    for box in labels[label] ?? [] { write(Float(image), Float(label), box.score, 0, 1) }
                }
            } else {
                for label in labels.keys.sorted() where label != -1 {
                    var boxes = labels[label] ?? []
                    guard var gtBoxes = allGroundTruth[image]?[label] else {
                        for box in boxes { write(Float(image), Float(label), box.score, 0, 1) }
                        continue
                    }
                    if !normalized {
                        let size = settings.nameSizes[nameSizeIndex]
                        gtBoxes = try gtBoxes.map { try $0.outputBox(imageHeight: size.height, imageWidth: size.width, resize: settings.resize) }
                        allGroundTruth[image]?[label] = gtBoxes
                    }
                    var visited = [Bool](repeating: false, count: gtBoxes.count)
                    CaffeSort.introsort(&boxes) { $0.score > $1.score }
                    for var box in boxes {
                        let score = box.score
                        if !normalized {
                            let size = settings.nameSizes[nameSizeIndex]
                            box = try box.outputBox(imageHeight: size.height, imageWidth: size.width, resize: settings.resize)
                        }
                        var overlapMax: Float = -1
                        var jmax = -1
                        for (j, gt) in gtBoxes.enumerated() {
                            let overlap = box.jaccardOverlap(gt, normalized: normalized)
                            if overlap > overlapMax {
                                overlapMax = overlap
                                jmax = j
                            }
                        }
                        if overlapMax >= settings.overlapThreshold {
                            if settings.evaluateDifficultGT || !gtBoxes[jmax].difficult {
                                if !visited[jmax] {
                                    write(Float(image), Float(label), score, 1, 0)
                                    visited[jmax] = true
                                } else {
                                    write(Float(image), Float(label), score, 0, 1)
                                }
                            } else {
                                // Matched to a difficult box that is not evaluated: tp = fp = 0.
                                write(Float(image), Float(label), score, 0, 0)
                            }
                        } else {
                            write(Float(image), Float(label), score, 0, 1)
                        }
                    }
                }
            }
            if !settings.nameSizes.isEmpty {
                nameSizeIndex += 1
                if nameSizeIndex == settings.nameSizes.count { nameSizeIndex = 0 }
            }
        }
        return out
    }

    /// `evaluate` on arrays.
    public mutating func evaluate(detections: [Float], groundTruth: [Float]) throws -> [Float] {
        try detections.withUnsafeBufferPointer { d in
            try groundTruth.withUnsafeBufferPointer { g in try evaluate(detections: d, groundTruth: g) }
        }
    }
}
