import Foundation

/// `MultiBoxLossParameter.LocLossType`.
public enum LocLossType: Int, Sendable {
    case l2 = 0
    case smoothL1 = 1
}

/// `MultiBoxLossParameter.ConfLossType`.
public enum ConfLossType: Int, Sendable {
    case softmax = 0
    case logistic = 1
}

/// The per-prior pieces MultiBoxLoss builds around its internal loss layers, as plain values
/// (bbox_util.cpp `ComputeConfLoss`, `EncodeLocPrediction`, `ComputeLocLoss`).
public enum MultiBoxTargets {
    /// `ComputeConfLoss` (the version with matches), used to rank priors for mining: per
    /// image and prior, the confidence loss of the prior's target class — the label of its
    /// ground truth if matched in any location class (first in label order), else the
    /// background. Float arithmetic as Caffe's `Dtype` code.
    ///
    /// `conf` holds `num * numPriors * numClasses` values; `groundTruth[i]` is image i's
    /// ground truth as MultiBoxLoss read it (`DetectionRows.groundTruthForTraining`).
    public static func confidenceLosses(conf: UnsafeBufferPointer<Float>, num: Int, numPriors: Int, numClasses: Int,
                                        backgroundLabelId: Int, lossType: ConfLossType,
                                        matches: [[LabeledMatch]], groundTruth: [Int: [NormalizedBox]]) throws -> [[Float]] {
        guard backgroundLabelId < numClasses else {
            throw DetectionError("ComputeConfLoss: background_label_id \(backgroundLabelId) must be < num_classes \(numClasses)")
        }
        guard conf.count >= num * numPriors * numClasses, matches.count >= num else {
            throw DetectionError("ComputeConfLoss: \(conf.count) confidences and \(matches.count) match lists for num \(num) x num_priors \(numPriors) x num_classes \(numClasses)")
        }
        var all: [[Float]] = []
        all.reserveCapacity(num)
        for i in 0..<num {
            var losses = [Float](repeating: 0, count: numPriors)
            let base = i * numPriors * numClasses
            for p in 0..<numPriors {
                var label = backgroundLabelId
                for m in matches[i] {
                    guard m.result.indices.count == numPriors else {
                        throw DetectionError("ComputeConfLoss: \(m.result.indices.count) match indices for \(numPriors) priors")
                    }
                    let gt = m.result.indices[p]
                    if gt > -1 {
                        guard let boxes = groundTruth[i], gt < boxes.count else {
                            throw DetectionError("ComputeConfLoss: prior \(p) of image \(i) is matched to ground truth \(gt), which does not exist")
                        }
                        label = boxes[gt].label
                        guard label >= 0, label != backgroundLabelId, label < numClasses else {
                            throw DetectionError("ComputeConfLoss: matched ground truth label \(label) must be in 0 ..< \(numClasses) and not the background \(backgroundLabelId)")
                        }
                        break
                    }
                }
                let s = base + p * numClasses
                var loss: Float = 0
                switch lossType {
                case .softmax:
                    guard label >= 0 && label < numClasses else {
                        throw DetectionError("ComputeConfLoss: SOFTMAX target label \(label) must be in 0 ..< \(numClasses)")
                    }
                    var maxValue = conf[s]
                    for c in 1..<numClasses where maxValue < conf[s + c] { maxValue = conf[s + c] }
                    var sum: Float = 0
                    for c in 0..<numClasses { sum += exp(conf[s + c] - maxValue) }
                    let probability = exp(conf[s + label] - maxValue) / sum
                    loss = -log(probability < Float.leastNormalMagnitude ? Float.leastNormalMagnitude : probability)
                case .logistic:
                    for c in 0..<numClasses {
                        let target: Float = c == label ? 1 : 0
                        let input = conf[s + c]
                        let positive: Float = input >= 0 ? 1 : 0
                        loss -= input * (target - positive) - log(1 + exp(input - 2 * input * positive))
                    }
                }
                losses[p] = loss
            }
            all.append(losses)
        }
        return all
    }

    /// `EncodeLocPrediction`: for every matched prior (images in order, location classes in
    /// label order, priors ascending) the 4 predicted offsets and the 4 encoded ground-truth
    /// targets, flat. With `bpInside`, a coordinate of the prior (or of the decoded prediction
    /// when not matching with priors) outside `[0, 1]` gets the target as prediction (zero
    /// gradient). With `varianceEncodedInTarget` both are divided by the prior variance.
    public static func encodeLocations(locations: LocationPredictions, groundTruth: [Int: [NormalizedBox]],
                                       matches: [[LabeledMatch]], priors: PriorBoxes, coder: BoxCoder,
                                       bpInside: Bool, usePriorForMatching: Bool) throws -> (prediction: [Float], target: [Float]) {
        var prediction: [Float] = []
        var target: [Float] = []
        for i in 0..<locations.num {
            guard i < matches.count else { break }
            for m in matches[i] {
                let predicted = try locations.boxes(image: i, label: m.label)
                for (j, gt) in m.result.indices.enumerated() where gt > -1 {
                    guard let boxes = groundTruth[i], gt < boxes.count, j < priors.count, j < predicted.count else {
                        throw DetectionError("EncodeLocPrediction: prior \(j) of image \(i) is matched to ground truth \(gt), which does not exist")
                    }
                    let encoded = try coder.encode(boxes[gt], prior: priors.boxes[j], variance: priors.variances[j])
                    var pred = predicted[j]
                    if bpInside {
                        var matchBox = priors.boxes[j]
                        if !usePriorForMatching {
                            matchBox = try coder.decode(predicted[j], prior: priors.boxes[j], variance: priors.variances[j], clip: false)
                        }
                        if matchBox.xmin < 0 || matchBox.xmin > 1 { pred.xmin = encoded.xmin }
                        if matchBox.ymin < 0 || matchBox.ymin > 1 { pred.ymin = encoded.ymin }
                        if matchBox.xmax < 0 || matchBox.xmax > 1 { pred.xmax = encoded.xmax }
                        if matchBox.ymax < 0 || matchBox.ymax > 1 { pred.ymax = encoded.ymax }
                    }
                    var p = SIMD4(pred.xmin, pred.ymin, pred.xmax, pred.ymax)
                    var t = SIMD4(encoded.xmin, encoded.ymin, encoded.xmax, encoded.ymax)
                    if coder.varianceEncodedInTarget {
                        let v = priors.variances[j]
                        for k in 0..<4 where !(v[k] > 0) {
                            throw DetectionError("EncodeLocPrediction: prior \(j) variance \(k) is \(v[k]), expected > 0")
                        }
                        p /= v
                        t /= v
                    }
                    prediction += [p[0], p[1], p[2], p[3]]
                    target += [t[0], t[1], t[2], t[3]]
                }
            }
        }
        return (prediction, target)
    }

    /// `ComputeLocLoss`: per image and prior, the localization loss of each matched prior
    /// (SmoothL1 or 0.5 x squared difference, summed over the 4 coordinates, accumulated as
    /// Caffe does in double per step and stored in float); 0 for others. `prediction` and
    /// `target` are `encodeLocations`' output for the same matches.
    public static func locationLosses(prediction: [Float], target: [Float], matches: [[LabeledMatch]], num: Int,
                                      numPriors: Int, lossType: LocLossType) throws -> [[Float]] {
        guard prediction.count == target.count else {
            throw DetectionError("ComputeLocLoss: \(prediction.count) predictions for \(target.count) targets")
        }
        var count = 0
        var all: [[Float]] = []
        for i in 0..<num {
            var losses = [Float](repeating: 0, count: numPriors)
            if i < matches.count {
                for m in matches[i] {
                    guard m.result.indices.count == numPriors else {
                        throw DetectionError("ComputeLocLoss: \(m.result.indices.count) match indices for \(numPriors) priors")
                    }
                    for (j, gt) in m.result.indices.enumerated() where gt > -1 {
                        guard count * 4 + 3 < prediction.count else {
                            throw DetectionError("ComputeLocLoss: more matches than encoded locations (\(prediction.count / 4))")
                        }
                        var loss: Float = 0
                        for k in 0..<4 {
                            let value = prediction[count * 4 + k] - target[count * 4 + k]
                            switch lossType {
                            case .smoothL1:
                                let absValue = abs(value)
                                if Double(absValue) < 1 {
                                    loss = Float(Double(loss) + 0.5 * Double(value) * Double(value))
                                } else {
                                    loss = Float(Double(loss) + (Double(absValue) - 0.5))
                                }
                            case .l2:
                                loss = Float(Double(loss) + 0.5 * Double(value) * Double(value))
                            }
                        }
                        losses[j] = loss
                        count += 1
                    }
                }
            }
            all.append(losses)
        }
        return all
    }
}

/// The inputs of MultiBoxLoss's internal confidence loss (`EncodeConfPrediction`).
public struct ConfidenceTargets: Equatable, Sendable {
    /// With mining: the gathered score rows (positives then negatives per image),
    /// `rows x numClasses`. Without mining: nil — the loss reads the whole confidence blob.
    public var prediction: [Float]?
    /// SOFTMAX: one class index per row; LOGISTIC: `rows x numClasses` targets.
    public var target: [Float]
    /// Rows of the loss input: matches + negatives with mining, else `num * numPriors`.
    public var rows: Int
}

extension MultiBoxTargets {
    /// `EncodeConfPrediction`, with MultiBoxLoss's pre-fill of the target blob with the value
    /// `backgroundLabelId`.
    ///
    /// Quirks kept: without mining and with LOGISTIC, the target blob (num x numPriors x
    /// numClasses) is filled with the background label's value and the positives are written at
    /// `i * numPriors + j * numClasses + label` (the per-image pointer advances by numPriors
    /// only). With `shareLocation` false and several location classes matching a prior, the
    /// later label overwrites the target. `mapObjectToAgnostic` uses `background + 1` for
    /// every object.
    public static func encodeConfidences(conf: UnsafeBufferPointer<Float>, num: Int, numPriors: Int, numClasses: Int,
                                         backgroundLabelId: Int, lossType: ConfLossType, miningType: MiningType,
                                         mapObjectToAgnostic: Bool, matches: [[LabeledMatch]], negatives: [[Int]],
                                         groundTruth: [Int: [NormalizedBox]]) throws -> ConfidenceTargets {
        if mapObjectToAgnostic {
            let expected = backgroundLabelId >= 0 ? 2 : 1
            guard numClasses == expected else {
                throw DetectionError("EncodeConfPrediction: map_object_to_agnostic needs num_classes \(expected), got \(numClasses)")
            }
        }
        guard conf.count >= num * numPriors * numClasses, matches.count >= num else {
            throw DetectionError("EncodeConfPrediction: \(conf.count) confidences and \(matches.count) match lists for num \(num) x num_priors \(numPriors) x num_classes \(numClasses)")
        }
        let mining = miningType != .none
        var rows = num * numPriors
        if mining {
            guard negatives.count >= num else {
                throw DetectionError("EncodeConfPrediction: \(negatives.count) negative lists for \(num) images")
            }
            rows = 0
            for i in 0..<num where groundTruth[i] != nil {
                rows += matches[i].reduce(0) { $0 + $1.result.matchCount } + negatives[i].count
            }
        }
        let targetCount = lossType == .softmax ? rows : rows * numClasses
        var target = [Float](repeating: Float(backgroundLabelId), count: targetCount)
        var prediction: [Float] = []
        if mining { prediction.reserveCapacity(rows * numClasses) }
        var count = 0
        var targetBase = 0  // the per-image advance of conf_gt_data without mining
        // conf_gt_data[base + idx] (SOFTMAX) or conf_gt_data[base + idx * numClasses + label] (LOGISTIC).
        func setTarget(base: Int, _ idx: Int, _ label: Int) throws {
            let k = lossType == .softmax ? base + idx : base + idx * numClasses + label
            guard k >= 0 && k < target.count else {
                throw DetectionError("EncodeConfPrediction: target \(k) outside the \(target.count) targets")
            }
            target[k] = lossType == .softmax ? Float(label) : 1
        }
        for i in 0..<num {
            let imageConf = i * numPriors * numClasses
            if let boxes = groundTruth[i] {
                for m in matches[i] {
                    guard m.result.indices.count == numPriors else {
                        throw DetectionError("EncodeConfPrediction: \(m.result.indices.count) match indices for \(numPriors) priors")
                    }
                    for (j, gt) in m.result.indices.enumerated() where gt > -1 {
                        guard gt < boxes.count else {
                            throw DetectionError("EncodeConfPrediction: prior \(j) of image \(i) is matched to ground truth \(gt), which does not exist")
                        }
                        let label = mapObjectToAgnostic ? backgroundLabelId + 1 : boxes[gt].label
                        if mining {
                            try setTarget(base: 0, count, label)
                            prediction.append(contentsOf: conf[(imageConf + j * numClasses)..<(imageConf + (j + 1) * numClasses)])
                            count += 1
                        } else {
                            try setTarget(base: targetBase, j, label)
                        }
                    }
                }
                if mining {
                    for j in negatives[i] {
                        guard j >= 0 && j < numPriors else {
                            throw DetectionError("EncodeConfPrediction: negative prior \(j) outside \(numPriors) priors")
                        }
                        prediction.append(contentsOf: conf[(imageConf + j * numClasses)..<(imageConf + (j + 1) * numClasses)])
                        switch lossType {
                        case .softmax:
                            target[count] = Float(backgroundLabelId)
                        case .logistic:
                            if backgroundLabelId >= 0 && backgroundLabelId < numClasses {
                                target[count * numClasses + backgroundLabelId] = 1
                            }
                        }
                        count += 1
                    }
                }
            }
            if !mining { targetBase += numPriors }
        }
        return ConfidenceTargets(prediction: mining ? prediction : nil, target: target, rows: rows)
    }
}
