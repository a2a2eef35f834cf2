import Foundation

/// Which predictions besides the matched ones enter the confidence loss
/// (`MultiBoxLossParameter.MiningType`).
public enum MiningType: Int, Sendable {
    /// No mining: every prior is used (unmatched ones as background).
    case none = 0
    /// SSD's hard negatives: the highest-loss unmatched priors, `neg_pos_ratio` per positive.
    case maxNegative = 1
    /// OHEM-style: the `sample_size` highest-loss priors, positives included.
    case hardExample = 2
}

/// The mining parameters of MultiBoxLoss.
public struct MiningSettings: Equatable, Sendable {
    public var miningType: MiningType
    public var negPosRatio: Float
    public var negOverlap: Float
    public var sampleSize: Int
    /// `nms_param` if present: (nms_threshold, top_k). Quirk kept: a present nms_param without
    /// top_k has top_k 0 (proto default), which selects nothing.
    public var nms: (threshold: Float, topK: Int)?
    public var usePriorForNMS: Bool

    /// Defaults are caffe.proto's (MAX_NEGATIVE, 3:1, neg_overlap 0.5, sample_size 64).
    public init(miningType: MiningType = .maxNegative, negPosRatio: Float = 3, negOverlap: Float = 0.5,
                sampleSize: Int = 64, nms: (threshold: Float, topK: Int)? = nil, usePriorForNMS: Bool = false) {
        self.miningType = miningType
        self.negPosRatio = negPosRatio
        self.negOverlap = negOverlap
        self.sampleSize = sampleSize
        self.nms = nms
        self.usePriorForNMS = usePriorForNMS
    }

    public static func == (a: MiningSettings, b: MiningSettings) -> Bool {
        a.miningType == b.miningType && a.negPosRatio == b.negPosRatio && a.negOverlap == b.negOverlap
            && a.sampleSize == b.sampleSize && a.nms?.threshold == b.nms?.threshold && a.nms?.topK == b.nms?.topK
            && a.usePriorForNMS == b.usePriorForNMS
    }
}

/// What mining decided for a batch.
public struct MiningOutcome: Equatable, Sendable {
    /// Matched predictions left after mining (HARD_EXAMPLE drops unselected positives).
    public var numMatches: Int
    /// Selected negatives over the batch.
    public var numNegatives: Int
    /// Per image, the selected negative priors, in Caffe's order (per label, ascending prior).
    public var negatives: [[Int]]
}

public enum NegativeMining {
    /// `IsEligibleMining`.
    @inlinable
    public static func isEligible(_ type: MiningType, matchIndex: Int, matchOverlap: Float, negOverlap: Float) -> Bool {
        switch type {
        case .maxNegative: return matchIndex == -1 && matchOverlap < negOverlap
        case .hardExample: return true
        case .none: return false
        }
    }

    /// `MineHardExamples` of bbox_util.cpp, given the per-prior mining losses.
    ///
    /// - `matches`: per image, the match indices (`FindMatches`); updated in place
    ///   (HARD_EXAMPLE unmatches unselected positives). Only the first `num` entries are read,
    ///   as in Caffe. Quirk for the layer to keep: MultiBoxLoss appends each forward's matches
    ///   (and negatives) to member lists that only Backward clears, so a second forward without
    ///   backward (e.g. the solver's display forward) reads the FIRST forward's matches here,
    ///   with this forward's overlaps.
    /// - `overlaps`: per image and label, this forward's match overlaps
    ///   (`BoxMatching.overlapsByLabel`).
    /// - `losses`: per image, per prior, conf loss (+ loc loss for HARD_EXAMPLE), float.
    /// - `nmsBoxes`: for mining with NMS, the boxes of an (image, label): the priors with
    ///   `usePriorForNMS`, else the decoded predictions.
    ///
    /// MAX_NEGATIVE: per image and label, the eligible priors (unmatched, best overlap
    /// `< negOverlap`) sorted by descending loss (`std::sort`, libstdc++ tie order), keeping
    /// `min(int(numPos * negPosRatio), eligible)`; an image without ground truth has no labels
    /// and contributes nothing. HARD_EXAMPLE: every prior is eligible, `min(sampleSize, n)` are
    /// kept. With NMS (threshold > 0) the selection is the first ones `ApplyNMS` keeps.
    public static func mine(matches: inout [[LabeledMatch]], overlaps: [[Int: [Float]]], losses: [[Float]],
                            num: Int, settings: MiningSettings,
                            nmsBoxes: (_ image: Int, _ label: Int) throws -> [NormalizedBox]) throws -> MiningOutcome {
        guard matches.count >= num, overlaps.count >= num, losses.count >= num else {
            throw DetectionError("MineHardExamples: \(matches.count) match lists, \(overlaps.count) overlap lists and \(losses.count) loss lists for \(num) images")
        }
        var numMatches = 0
        for i in 0..<num { for m in matches[i] { numMatches += m.result.matchCount } }
        var negatives: [[Int]] = []
        var numNegatives = 0
        let type = settings.miningType
        guard type != .none else {
            return MiningOutcome(numMatches: numMatches, numNegatives: 0, negatives: [])
        }
        if type == .hardExample && !(settings.sampleSize > 0) {
            throw DetectionError("MineHardExamples: sample_size is \(settings.sampleSize), expected > 0 for HARD_EXAMPLE")
        }
        let useNMS = settings.nms.map { $0.threshold > 0 } ?? false
        for i in 0..<num {
            let loss = losses[i]
            var selected = Set<Int>()
            var imageNegatives: [Int] = []
            for labelIndex in matches[i].indices {
                let label = matches[i][labelIndex].label
                let indices = matches[i][labelIndex].result.indices
                guard let labelOverlaps = overlaps[i][label], labelOverlaps.count == indices.count else {
                    throw DetectionError("MineHardExamples: no match overlaps of label \(label) for image \(i)")
                }
                guard loss.count >= indices.count else {
                    throw DetectionError("MineHardExamples: \(loss.count) losses for \(indices.count) priors of image \(i)")
                }
                var lossIndices: [(loss: Float, prior: Int)] = []
                for m in indices.indices where isEligible(type, matchIndex: indices[m], matchOverlap: labelOverlaps[m],
                                                          negOverlap: settings.negOverlap) {
                    lossIndices.append((loss[m], m))
                }
                var numSelected = lossIndices.count
                if type == .maxNegative {
                    let numPositives = indices.reduce(0) { $0 + ($1 > -1 ? 1 : 0) }
                    let ratio = Float(numPositives) * settings.negPosRatio
                    let allowed = ratio.isFinite && ratio < 2_147_483_648 ? Int(ratio) : Int(Int32.max)
                    numSelected = min(allowed, numSelected)
                } else {
                    numSelected = min(settings.sampleSize, numSelected)
                }
                numSelected = max(numSelected, 0)  // a negative count selects nothing, as Caffe's loops
                if useNMS, let nms = settings.nms {
                    let boxes = try nmsBoxes(i, label)
                    guard boxes.count >= indices.count else {
                        throw DetectionError("MineHardExamples: \(boxes.count) NMS boxes for \(indices.count) priors")
                    }
                    let kept = try NonMaximumSuppression.standard(boxes: lossIndices.map { boxes[$0.prior] },
                                                              scores: lossIndices.map(\.loss),
                                                              threshold: nms.threshold, topK: nms.topK)
                    numSelected = max(min(kept.count, numSelected), 0)
                    for n in 0..<numSelected { selected.insert(lossIndices[kept[n]].prior) }
                } else {
                    CaffeSort.introsort(&lossIndices) { $0.loss > $1.loss }
                    for n in 0..<numSelected { selected.insert(lossIndices[n].prior) }
                }
                for m in indices.indices {
                    if indices[m] > -1 {
                        if type == .hardExample && !selected.contains(m) {
                            matches[i][labelIndex].result.indices[m] = -1
                            numMatches -= 1
                        }
                    } else if indices[m] == -1 && selected.contains(m) {
                        imageNegatives.append(m)
                        numNegatives += 1
                    }
                }
            }
            negatives.append(imageNegatives)
        }
        return MiningOutcome(numMatches: numMatches, numNegatives: numNegatives, negatives: negatives)
    }
}

extension BoxMatching {
    /// The overlaps of one image's matches by label, as `MineHardExamples` looks them up.
    public static func overlapsByLabel(_ matches: [LabeledMatch]) -> [Int: [Float]] {
        var result: [Int: [Float]] = [:]
        for m in matches { result[m.label] = m.result.overlaps }
        return result
    }
}
