import Foundation

/// The priors of a PriorBox top (`GetPriorBBoxes`): boxes with their normalized size stored,
/// and one variance per coordinate.
public struct PriorBoxes: Equatable, Sendable {
    public var boxes: [NormalizedBox]
    public var variances: [SIMD4<Float>]

    public init(boxes: [NormalizedBox], variances: [SIMD4<Float>]) {
        self.boxes = boxes
        self.variances = variances
    }

    public var count: Int { boxes.count }

    /// Reads a PriorBox top of shape (1, 2, 4 * numPriors): the boxes, then the variances.
    public init(topData: UnsafeBufferPointer<Float>) throws {
        guard topData.count % 8 == 0 else {
            throw DetectionError("prior blob holds \(topData.count) values, expected 2 x 4 per prior (shape (1, 2, 4 * num_priors))")
        }
        let numPriors = topData.count / 8
        var boxes: [NormalizedBox] = []
        var variances: [SIMD4<Float>] = []
        boxes.reserveCapacity(numPriors)
        variances.reserveCapacity(numPriors)
        for i in 0..<numPriors {
            let s = i * 4
            boxes.append(NormalizedBox(xmin: topData[s], ymin: topData[s + 1], xmax: topData[s + 2], ymax: topData[s + 3],
                                       label: 0).withComputedSize)
            let v = (numPriors + i) * 4
            variances.append(SIMD4(topData[v], topData[v + 1], topData[v + 2], topData[v + 3]))
        }
        self.init(boxes: boxes, variances: variances)
    }

    public init(topData: [Float]) throws {
        try self = topData.withUnsafeBufferPointer { try PriorBoxes(topData: $0) }
    }
}

/// The location predictions of a batch (`GetLocPredictions`): per image, per prior, one box per
/// location class (`[prior][class][4]`), shared (one class, label -1) or per class.
public struct LocationPredictions: Sendable {
    public let num: Int
    public let numPriors: Int
    public let shareLocation: Bool
    public let numLocClasses: Int
    public let data: [Float]

    /// `data` is the mbox_loc blob, `num * numPriors * numLocClasses * 4` values.
    public init(data: [Float], num: Int, numPriors: Int, shareLocation: Bool, numClasses: Int) throws {
        let locClasses = shareLocation ? 1 : numClasses
        guard num >= 0, numPriors >= 0, locClasses >= 1 else {
            throw DetectionError("location predictions: invalid num \(num), num_priors \(numPriors), classes \(numClasses)")
        }
        guard data.count == num * numPriors * locClasses * 4 else {
            throw DetectionError("location predictions hold \(data.count) values, expected num \(num) x num_priors \(numPriors) x \(locClasses) location classes x 4 = \(num * numPriors * locClasses * 4)")
        }
        self.num = num
        self.numPriors = numPriors
        self.shareLocation = shareLocation
        self.numLocClasses = locClasses
        self.data = data
    }

    /// The location slot of `label`: 0 for the shared label -1, else the label itself.
    public func slot(of label: Int) throws -> Int {
        if shareLocation {
            guard label == -1 else { throw DetectionError("Could not find location predictions for label \(label) (locations are shared, label -1)") }
            return 0
        }
        guard label >= 0 && label < numLocClasses else {
            throw DetectionError("Could not find location predictions for label \(label) (\(numLocClasses) location classes)")
        }
        return label
    }

    /// The raw predicted offsets of `label` for every prior of `image`.
    public func boxes(image: Int, label: Int) throws -> [NormalizedBox] {
        let c = try slot(of: label)
        guard image >= 0 && image < num else { throw DetectionError("location predictions: image \(image) of \(num)") }
        var result: [NormalizedBox] = []
        result.reserveCapacity(numPriors)
        data.withUnsafeBufferPointer { d in
            var s = (image * numPriors * numLocClasses + c) * 4
            let step = numLocClasses * 4
            for _ in 0..<numPriors {
                result.append(NormalizedBox(xmin: d[s], ymin: d[s + 1], xmax: d[s + 2], ymax: d[s + 3], label: 0))
                s += step
            }
        }
        return result
    }

    /// `DecodeBBoxes` of `label`'s predictions against `priors`.
    public func decodedBoxes(image: Int, label: Int, priors: PriorBoxes, coder: BoxCoder, clip: Bool) throws -> [NormalizedBox] {
        guard priors.count == numPriors else {
            throw DetectionError("\(priors.count) priors for \(numPriors) location predictions per image")
        }
        let raw = try boxes(image: image, label: label)
        var decoded: [NormalizedBox] = []
        decoded.reserveCapacity(numPriors)
        for p in 0..<numPriors {
            decoded.append(try coder.decode(raw[p], prior: priors.boxes[p], variance: priors.variances[p], clip: clip))
        }
        return decoded
    }
}

/// Readers of the label and detection rows Caffe's SSD layers exchange.
public enum DetectionRows {
    /// `GetGroundTruth` as MultiBoxLoss reads it: rows `[item, label, instance, xmin, ymin,
    /// xmax, ymax, difficult]`; rows with item -1 are skipped and reading continues; difficult
    /// boxes are dropped unless `useDifficult`. Boxes per item, in row order, sizes stored.
    /// Throws on a background-labelled box ("Found background label in the dataset.").
    public static func groundTruthForTraining(_ rows: UnsafeBufferPointer<Float>, backgroundLabelId: Int,
                                              useDifficult: Bool) throws -> [Int: [NormalizedBox]] {
        var result: [Int: [NormalizedBox]] = [:]
        for (item, box) in try groundTruthRows(rows, backgroundLabelId: backgroundLabelId, useDifficult: useDifficult,
                                               stopAtFirstPadding: false) {
            result[item, default: []].append(box)
        }
        return result
    }

    /// `GetGroundTruth` as DetectionEvaluate reads it (the `LabelBBox` version): boxes per item
    /// and label. Quirk kept: reading STOPS at the first row with item -1 (`break`), later rows
    /// are ignored. Throws on a background-labelled box.
    public static func groundTruthForEvaluation(_ rows: UnsafeBufferPointer<Float>, backgroundLabelId: Int,
                                                useDifficult: Bool) throws -> [Int: [Int: [NormalizedBox]]] {
        var result: [Int: [Int: [NormalizedBox]]] = [:]
        for (item, box) in try groundTruthRows(rows, backgroundLabelId: backgroundLabelId, useDifficult: useDifficult,
                                               stopAtFirstPadding: true) {
            result[item, default: [:]][box.label, default: []].append(box)
        }
        return result
    }

    /// The ground-truth rows both `GetGroundTruth` versions read, in row order: a row with item
    /// -1 is skipped, or ends the reading with `stopAtFirstPadding`; difficult boxes are dropped
    /// unless `useDifficult`; sizes are stored.
    private static func groundTruthRows(_ rows: UnsafeBufferPointer<Float>, backgroundLabelId: Int, useDifficult: Bool,
                                        stopAtFirstPadding: Bool) throws -> [(item: Int, box: NormalizedBox)] {
        guard rows.count % 8 == 0 else { throw DetectionError("label blob holds \(rows.count) values, expected 8 per row") }
        var result: [(item: Int, box: NormalizedBox)] = []
        for r in 0..<(rows.count / 8) {
            let s = r * 8
            let item = try caffeInt(rows[s], "label row \(r) item id")
            if item == -1 {
                if stopAtFirstPadding { break } else { continue }
            }
            let label = try caffeInt(rows[s + 1], "label row \(r) label")
            guard label != backgroundLabelId else {
                throw DetectionError("Found background label in the dataset (label row \(r) has label \(label) = background_label_id)")
            }
            let difficult = rows[s + 7] != 0
            if !useDifficult && difficult { continue }
            let box = NormalizedBox(xmin: rows[s + 3], ymin: rows[s + 4], xmax: rows[s + 5], ymax: rows[s + 6],
                                    label: label, difficult: difficult).withComputedSize
            result.append((item, box))
        }
        return result
    }

    /// `GetDetectionResults`: rows `[item, label, score, xmin, ymin, xmax, ymax]` per item and
    /// label, in row order, sizes stored. Rows with item -1 are skipped; DetectionOutput's
    /// placeholder rows `[i, -1, ...]` are kept under label -1 (so the image counts as having
    /// detections). Throws on a background-labelled row.
    public static func detections(_ rows: UnsafeBufferPointer<Float>, backgroundLabelId: Int) throws -> [Int: [Int: [NormalizedBox]]] {
        guard rows.count % 7 == 0 else { throw DetectionError("detection blob holds \(rows.count) values, expected 7 per row") }
        var result: [Int: [Int: [NormalizedBox]]] = [:]
        for r in 0..<(rows.count / 7) {
            let s = r * 7
            let item = try caffeInt(rows[s], "detection row \(r) item id")
            if item == -1 { continue }
            let label = try caffeInt(rows[s + 1], "detection row \(r) label")
            guard label != backgroundLabelId else {
                throw DetectionError("Found background label in the detection results (detection row \(r) has label \(label) = background_label_id)")
            }
            let box = NormalizedBox(xmin: rows[s + 3], ymin: rows[s + 4], xmax: rows[s + 5], ymax: rows[s + 6],
                                    label: label, score: rows[s + 2]).withComputedSize
            result[item, default: [:]][label, default: []].append(box)
        }
        return result
    }
}
