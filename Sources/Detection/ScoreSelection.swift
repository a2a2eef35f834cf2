import Foundation

/// A candidate: its score and its index in the list it was taken from (Caffe's
/// `pair<float, int>`).
public struct ScoredIndex: Equatable, Sendable {
    public var score: Float
    public var index: Int

    public init(score: Float, index: Int) {
        self.score = score
        self.index = index
    }
}

/// Candidate selection of bbox_util.cpp: which indices enter NMS, in which order.
public enum ScoreSelection {
    /// `GetMaxScoreIndex`: the indices whose score is strictly greater than `threshold`, in
    /// descending score order with equal scores in index order (`std::stable_sort`), cut to
    /// `topK` when `topK > -1`.
    ///
    /// Reads `count` scores starting at `scores`, `stride` floats apart, so a class column of a
    /// `[prior][class]` confidence blob can be read in place.
    @inlinable
    public static func maxScoreIndices(scores: UnsafePointer<Float>, count: Int, stride: Int = 1,
                                       threshold: Float, topK: Int) -> [ScoredIndex] {
        var selected: [ScoredIndex] = []
        for i in 0..<count {
            let score = scores[i * stride]
            if score > threshold { selected.append(ScoredIndex(score: score, index: i)) }
        }
        sortDescendingStable(&selected)
        if topK > -1 && topK < selected.count { selected.removeSubrange(topK...) }
        return selected
    }

    /// `GetMaxScoreIndex` on an array.
    public static func maxScoreIndices(_ scores: [Float], threshold: Float, topK: Int) -> [ScoredIndex] {
        scores.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return [] }
            return maxScoreIndices(scores: base, count: buffer.count, threshold: threshold, topK: topK)
        }
    }

    /// `GetTopKScoreIndex`: every index, in descending score order (stable), cut to `topK`
    /// when `topK > -1`.
    public static func topKScoreIndices(_ scores: [Float], topK: Int) -> [ScoredIndex] {
        var selected = scores.enumerated().map { ScoredIndex(score: $0.element, index: $0.offset) }
        sortDescendingStable(&selected)
        if topK > -1 && topK < selected.count { selected.removeSubrange(topK...) }
        return selected
    }

    /// Descending by score; equal scores keep their (ascending index) input order, which is
    /// what `std::stable_sort` gives for lists built in index order.
    @inlinable
    static func sortDescendingStable(_ list: inout [ScoredIndex]) {
        list.sort { $0.score > $1.score || (!($1.score > $0.score) && $0.index < $1.index) }
    }
}
