import Foundation

/// The two non-maximum suppressions of bbox_util.cpp.
public enum NonMaximumSuppression {
    /// `ApplyNMSFast` (DetectionOutput): walks `candidates` in order (as from
    /// `ScoreSelection.maxScoreIndices`) and keeps a box when its overlap with every kept box
    /// is `<= threshold`. Adaptive NMS: after each kept box, while `eta < 1` and the threshold is
    /// still `> 0.5`, the threshold is multiplied by `eta`. Boxes are not filtered by size: an
    /// inverted box has overlap 0, so it is always kept and suppresses nothing.
    /// Returns the kept indices (into `boxes`) in keeping order. Throws for a candidate index
    /// outside `boxes`.
    @inlinable
    public static func fast(boxes: [NormalizedBox], candidates: [ScoredIndex], threshold: Float, eta: Float) throws -> [Int] {
        for candidate in candidates where !boxes.indices.contains(candidate.index) {
            throw DetectionError("ApplyNMSFast: candidate index \(candidate.index) outside the \(boxes.count) boxes")
        }
        var adaptiveThreshold = threshold
        var kept: [Int] = []
        kept.reserveCapacity(candidates.count)
        for candidate in candidates {
            let box = boxes[candidate.index]
            var keep = true
            for k in kept where box.jaccardOverlap(boxes[k]) > adaptiveThreshold {
                keep = false
                break
            }
            if keep {
                kept.append(candidate.index)
                if eta < 1 && adaptiveThreshold > 0.5 { adaptiveThreshold *= eta }
            }
        }
        return kept
    }

    /// `ApplyNMSFast` with its candidate selection: scores `> scoreThreshold`, best first,
    /// at most `topK` candidates (`topK == -1`: all). Throws when the counts differ (Caffe: CHECK).
    public static func fast(boxes: [NormalizedBox], scores: [Float], scoreThreshold: Float,
                            threshold: Float, eta: Float, topK: Int) throws -> [Int] {
        try checkCounts(boxes, scores, "ApplyNMSFast")
        let candidates = ScoreSelection.maxScoreIndices(scores, threshold: scoreThreshold, topK: topK)
        return try fast(boxes: boxes, candidates: candidates, threshold: threshold, eta: eta)
    }

    /// `ApplyNMS` (hard-example mining): candidates are all boxes by descending score (stable),
    /// cut to `topK` when `topK > -1`; boxes with `area() < 1e-5` are skipped; a box is
    /// suppressed when its overlap with a kept box is `> threshold`; selection stops once `topK`
    /// boxes are kept. Quirk kept: `topK == 0` selects nothing. Throws when the counts differ.
    public static func standard(boxes: [NormalizedBox], scores: [Float], threshold: Float, topK: Int) throws -> [Int] {
        try checkCounts(boxes, scores, "ApplyNMS")
        var remaining = ScoreSelection.topKScoreIndices(scores, topK: topK).map(\.index)
        var kept: [Int] = []
        var start = 0
        while start < remaining.count {
            let best = remaining[start]
            start += 1
            let bestBox = boxes[best]
            if Double(bestBox.area()) < 1e-5 { continue }  // float size vs the double 1e-5
            kept.append(best)
            if topK > -1 && kept.count >= topK { break }
            var write = start
            for read in start..<remaining.count {
                let current = remaining[read]
                let currentBox = boxes[current]
                if Double(currentBox.area()) < 1e-5 { continue }
                if bestBox.jaccardOverlap(currentBox) > threshold { continue }
                remaining[write] = current
                write += 1
            }
            remaining.removeSubrange(write...)
        }
        return kept
    }

    @usableFromInline
    static func checkCounts(_ boxes: [NormalizedBox], _ scores: [Float], _ function: String) throws {
        guard boxes.count == scores.count else {
            throw DetectionError("\(function): bboxes and scores have different size (\(boxes.count) and \(scores.count))")
        }
    }
}
