import Foundation

/// How predictions are matched to ground truth (`MultiBoxLossParameter.MatchType`).
public enum MatchType: Int, Sendable {
    /// Only the greedy one-to-one (bipartite) matches.
    case bipartite = 0
    /// Bipartite first, then every unmatched prediction whose best overlap reaches the
    /// threshold (SSD's default).
    case perPrediction = 1
}

/// The outcome of matching one list of predictions (priors or decoded boxes) against the
/// ground truth of one image.
public struct MatchResult: Equatable, Sendable {
    /// Index into the image's ground-truth list for each prediction; `-1` unmatched, `-2`
    /// ignored (crosses the image boundary while `ignoreCrossBoundary` is on).
    public var indices: [Int]
    /// For a matched prediction the overlap with its ground truth; otherwise its best overlap
    /// with any considered ground truth box (0 when none overlaps by more than 1e-6).
    public var overlaps: [Float]

    public init(indices: [Int], overlaps: [Float]) {
        self.indices = indices
        self.overlaps = overlaps
    }

    /// Predictions matched to a ground-truth box.
    public var matchCount: Int { indices.reduce(0) { $0 + ($1 > -1 ? 1 : 0) } }
}

/// The matches of one location class of one image: `label` is `-1` for shared locations,
/// else the class whose location slot the matches are for.
public struct LabeledMatch: Equatable, Sendable {
    public var label: Int
    public var result: MatchResult

    public init(label: Int, result: MatchResult) {
        self.label = label
        self.result = result
    }
}

public enum BoxMatching {
    /// `MatchBBox`: matches `predictions` against the ground truth with label `label`
    /// (`-1`: all ground truth).
    ///
    /// Overlaps are float32 Jaccard overlaps of the normalized boxes, kept when `> 1e-6`.
    /// Bipartite: repeatedly the highest remaining (prediction, ground truth) overlap is
    /// matched; ties go to the lowest prediction index, then the lowest ground-truth index
    /// (strict `>` while scanning in ascending order). PER_PREDICTION then gives each still
    /// unmatched prediction its best ground truth with overlap `>= overlapThreshold`
    /// (lowest index on ties). Predictions crossing the boundary get `-2` when
    /// `ignoreCrossBoundary` and are not compared.
    public static func match(groundTruth: [NormalizedBox], predictions: [NormalizedBox], label: Int,
                             matchType: MatchType, overlapThreshold: Float,
                             ignoreCrossBoundary: Bool) -> MatchResult {
        let numPred = predictions.count
        var indices = [Int](repeating: -1, count: numPred)
        var bestOverlaps = [Float](repeating: 0, count: numPred)
        let gtIndices = groundTruth.indices.filter { label == -1 || groundTruth[$0].label == label }
        let numGT = gtIndices.count
        guard numGT > 0 else { return MatchResult(indices: indices, overlaps: bestOverlaps) }

        // Caffe's map<int, map<int, float>>: the predictions with a positive overlap, ascending,
        // each with a dense row of its overlaps (-inf = no entry).
        var rowsPred: [Int] = []
        var rows: [Float] = []
        for i in 0..<numPred {
            if ignoreCrossBoundary && predictions[i].isCrossBoundary {
                indices[i] = -2
                continue
            }
            var any = false
            var row = [Float](repeating: -.infinity, count: numGT)
            for j in 0..<numGT {
                let overlap = predictions[i].jaccardOverlap(groundTruth[gtIndices[j]])
                if Double(overlap) > 1e-6 {  // float overlap vs the double 1e-6
                    bestOverlaps[i] = max(bestOverlaps[i], overlap)
                    row[j] = overlap
                    any = true
                }
            }
            if any {
                rowsPred.append(i)
                rows.append(contentsOf: row)
            }
        }

        // Bipartite matching.
        var pool = Array(0..<numGT)
        while !pool.isEmpty {
            var maxRow = -1, maxGT = -1
            var maxOverlap: Float = -1
            for r in rowsPred.indices where indices[rowsPred[r]] == -1 {
                let base = r * numGT
                for j in pool where rows[base + j] > maxOverlap {
                    maxRow = r
                    maxGT = j
                    maxOverlap = rows[base + j]
                }
            }
            if maxRow == -1 { break }
            let i = rowsPred[maxRow]
            indices[i] = gtIndices[maxGT]
            bestOverlaps[i] = maxOverlap
            pool.removeAll { $0 == maxGT }
        }

        if matchType == .perPrediction {
            for r in rowsPred.indices where indices[rowsPred[r]] == -1 {
                let base = r * numGT
                var maxGT = -1
                var maxOverlap: Float = -1
                for j in 0..<numGT {
                    let overlap = rows[base + j]
                    if overlap >= overlapThreshold && overlap > maxOverlap {
                        maxGT = j
                        maxOverlap = overlap
                    }
                }
                if maxGT != -1 {
                    indices[rowsPred[r]] = gtIndices[maxGT]
                    bestOverlaps[rowsPred[r]] = maxOverlap
                }
            }
        }
        return MatchResult(indices: indices, overlaps: bestOverlaps)
    }
}

/// The MultiBoxLoss parameters that matching and mining read.
public struct MultiBoxMatchingSettings: Equatable, Sendable {
    public var numClasses: Int
    public var shareLocation: Bool
    public var matchType: MatchType
    public var overlapThreshold: Float
    public var usePriorForMatching: Bool
    public var backgroundLabelId: Int
    public var coder: BoxCoder
    public var ignoreCrossBoundary: Bool

    /// Defaults are caffe.proto's (`share_location` true, PER_PREDICTION, overlap 0.5,
    /// `use_prior_for_matching` true, background 0, CORNER, no cross-boundary ignoring).
    public init(numClasses: Int, shareLocation: Bool = true, matchType: MatchType = .perPrediction,
                overlapThreshold: Float = 0.5, usePriorForMatching: Bool = true, backgroundLabelId: Int = 0,
                coder: BoxCoder = BoxCoder(codeType: .corner), ignoreCrossBoundary: Bool = false) {
        self.numClasses = numClasses
        self.shareLocation = shareLocation
        self.matchType = matchType
        self.overlapThreshold = overlapThreshold
        self.usePriorForMatching = usePriorForMatching
        self.backgroundLabelId = backgroundLabelId
        self.coder = coder
        self.ignoreCrossBoundary = ignoreCrossBoundary
    }

    /// Location classes per prior: 1 with shared locations, else `numClasses`.
    public var locationClasses: Int { shareLocation ? 1 : numClasses }
}

extension BoxMatching {
    /// `FindMatches` for one image: the matches per location class, labels ascending
    /// (Caffe's `map<int, vector<int>>`).
    ///
    /// - `groundTruth`: the image's boxes (nil or empty: the image has no ground truth and gets
    ///   no entry at all, so it is all negative for mining NONE and ignored by MAX_NEGATIVE).
    /// - `locations`: the image's location predictions, needed only when
    ///   `usePriorForMatching` is false (predictions are decoded, unclipped, and matched per
    ///   class against that class's ground truth).
    ///
    /// With priors and `shareLocation` false, the prior matches are distributed: class `c`
    /// keeps the matches to ground truth of label `c`, every class gets all overlaps, and the
    /// `-2` of ignored priors becomes `-1` (as in Caffe).
    public static func findMatches(groundTruth: [NormalizedBox]?, priors: PriorBoxes,
                                   locations: LocationPredictions?, image: Int,
                                   settings: MultiBoxMatchingSettings) throws -> [LabeledMatch] {
        guard let groundTruth else { return [] }
        var result: [LabeledMatch] = []
        if !settings.usePriorForMatching {
            guard let locations else {
                throw DetectionError("FindMatches: use_prior_for_matching is false but no location predictions were given")
            }
            for c in 0..<settings.locationClasses {
                let label = settings.shareLocation ? -1 : c
                if !settings.shareLocation && label == settings.backgroundLabelId { continue }
                let decoded = try locations.decodedBoxes(image: image, label: label, priors: priors,
                                                         coder: settings.coder, clip: false)
                let match = match(groundTruth: groundTruth, predictions: decoded, label: label,
                                  matchType: settings.matchType, overlapThreshold: settings.overlapThreshold,
                                  ignoreCrossBoundary: settings.ignoreCrossBoundary)
                result.append(LabeledMatch(label: label, result: match))
            }
        } else {
            let match = match(groundTruth: groundTruth, predictions: priors.boxes, label: -1,
                              matchType: settings.matchType, overlapThreshold: settings.overlapThreshold,
                              ignoreCrossBoundary: settings.ignoreCrossBoundary)
            if settings.shareLocation {
                result.append(LabeledMatch(label: -1, result: match))
            } else {
                for c in 0..<settings.locationClasses where c != settings.backgroundLabelId {
                    var indices = [Int](repeating: -1, count: match.indices.count)
                    for (m, gt) in match.indices.enumerated() where gt > -1 && groundTruth[gt].label == c {
                        indices[m] = gt
                    }
                    result.append(LabeledMatch(label: c, result: MatchResult(indices: indices, overlaps: match.overlaps)))
                }
            }
        }
        return result
    }
}
