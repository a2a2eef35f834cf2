import Foundation

/// The AP definitions of the SSD fork (`ap_version` in the solver).
public enum APVersion: String, Sendable, CaseIterable {
    /// VOC2007's 11-point interpolated AP.
    case elevenPoint = "11point"
    /// VOC2012's area under the monotone precision envelope.
    case maxIntegral = "MaxIntegral"
    /// ILSVRC's sum of precision x recall increments.
    case integral = "Integral"

    /// Parses the solver's `ap_version` string (case-sensitive, as Caffe).
    public init(caffeName: String) throws {
        guard let version = APVersion(rawValue: caffeName) else {
            throw DetectionError("Unknown ap_version: \(caffeName) (expected 11point, MaxIntegral or Integral)")
        }
        self = version
    }
}

/// One scored detection of a class as the solver collects it from DetectionEvaluate rows.
public struct DetectionOutcome: Equatable, Sendable {
    public var score: Float
    public var truePositive: Int
    public var falsePositive: Int

    public init(score: Float, truePositive: Int, falsePositive: Int) {
        self.score = score
        self.truePositive = truePositive
        self.falsePositive = falsePositive
    }
}

/// The AP of one class with its precision/recall curve (in descending score order).
public struct AveragePrecisionResult: Equatable, Sendable {
    public var ap: Float
    public var precision: [Float]
    public var recall: [Float]
}

public enum AveragePrecision {
    /// `ComputeAP` of bbox_util.cpp, bit for bit.
    ///
    /// The outcomes are stable-sorted by descending score (`CumSum`), precision and recall are
    /// float divisions of the running counts. All sums are float32:
    /// - 11point: for t = 1.0, 0.9, ..., 0 the maximum precision at recall `>= t`, where the
    ///   float recall is compared with the double `j / 10.` — quirk kept: a recall of 7/10 is
    ///   0.699999988f < 0.7, so that point does not count; each of the 11 maxima is divided by
    ///   11 and summed (a perfect AP is 1.0000001).
    /// - MaxIntegral: from the last point backwards, the running maximum precision times each
    ///   recall step larger than 1e-6, plus the first recall times the final maximum.
    /// - Integral: precision times each recall step larger than 1e-6.
    ///
    /// AP is 0 with no outcomes or `numPositives == 0`. Throws where Caffe's CHECKs abort:
    /// `truePositive != 1 - falsePositive`, or more true positives than `numPositives`.
    public static func compute(_ outcomes: [DetectionOutcome], numPositives: Int,
                               version: APVersion) throws -> AveragePrecisionResult {
        for (i, outcome) in outcomes.enumerated() where outcome.truePositive != 1 - outcome.falsePositive {
            throw DetectionError("ComputeAP: outcome \(i) has tp \(outcome.truePositive) and fp \(outcome.falsePositive), expected tp = 1 - fp")
        }
        guard !outcomes.isEmpty, numPositives != 0 else {
            return AveragePrecisionResult(ap: 0, precision: [], recall: [])
        }
        var sorted = outcomes
        CaffeSort.stableSortDescending(&sorted) { $0.score }
        let num = sorted.count
        var precision = [Float](), recall = [Float]()
        precision.reserveCapacity(num)
        recall.reserveCapacity(num)
        var tpSum = 0, fpSum = 0
        for outcome in sorted {
            tpSum += outcome.truePositive
            fpSum += outcome.falsePositive
            guard tpSum <= numPositives else {
                throw DetectionError("ComputeAP: \(tpSum) true positives for \(numPositives) ground truth boxes")
            }
            precision.append(Float(tpSum) / Float(tpSum + fpSum))
            recall.append(Float(tpSum) / Float(numPositives))
        }
        let eps: Float = 1e-6
        var ap: Float = 0
        switch version {
        case .elevenPoint:
            var maxPrecisions = [Float](repeating: 0, count: 11)
            var start = num - 1
            for j in stride(from: 10, through: 0, by: -1) {
                var i = start
                while i >= 0 {
                    if Double(recall[i]) < Double(j) / 10 {
                        start = i
                        if j > 0 { maxPrecisions[j - 1] = maxPrecisions[j] }
                        break
                    } else if maxPrecisions[j] < precision[i] {
                        maxPrecisions[j] = precision[i]
                    }
                    i -= 1
                }
            }
            for j in stride(from: 10, through: 0, by: -1) {
                ap += maxPrecisions[j] / 11
            }
        case .maxIntegral:
            var currentRecall = recall[num - 1]
            var currentPrecision = precision[num - 1]
            var i = num - 2
            while i >= 0 {
                currentPrecision = max(precision[i], currentPrecision)
                let step = abs(currentRecall - recall[i])
                if step > eps { ap += currentPrecision * step }
                currentRecall = recall[i]
                i -= 1
            }
            ap += currentRecall * currentPrecision
        case .integral:
            var previousRecall: Float = 0
            for i in 0..<num {
                let step = abs(recall[i] - previousRecall)
                if step > eps { ap += precision[i] * step }
                previousRecall = recall[i]
            }
        }
        return AveragePrecisionResult(ap: ap, precision: precision, recall: recall)
    }
}
