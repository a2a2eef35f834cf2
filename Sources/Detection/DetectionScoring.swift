import Foundation

/// The AP of one class as the solver reports it.
public struct ClassAveragePrecision: Equatable, Sendable {
    public var label: Int
    /// nil when the class has no detection at all: Caffe logs "Missing true_pos for label"
    /// and computes no AP, but the class still counts in the mAP denominator.
    public var ap: Float?

    public init(label: Int, ap: Float?) {
        self.label = label
        self.ap = ap
    }
}

/// The mAP of one DetectionEvaluate output over a test pass (`Solver::TestDetection`).
public struct DetectionScore: Equatable, Sendable {
    public var apVersion: APVersion
    /// Every label that had a count row, ascending (each non-background class of
    /// DetectionEvaluate's `num_classes`).
    public var classes: [ClassAveragePrecision]
    /// Sum of the class APs (ascending label order, float) divided by `classes.count`.
    public var mAP: Float

    /// Labels without any detection (no AP, still in the denominator).
    public var missingLabels: [Int] { classes.filter { $0.ap == nil }.map(\.label) }

    /// The lines `Solver::TestDetection` logs, in its order: per label `classN: AP` (with
    /// `showPerClassResult`) or `Missing true_pos for label: N`, then
    /// `    Test net output #i: name = mAP`. Numbers are printed as C++ streams print a float
    /// (6 significant digits).
    public func logLines(outputIndex: Int, outputName: String, showPerClassResult: Bool) -> [String] {
        var lines: [String] = []
        for entry in classes {
            if let ap = entry.ap {
                if showPerClassResult { lines.append("class\(entry.label): \(Self.caffeFloatString(ap))") }
            } else {
                lines.append("Missing true_pos for label: \(entry.label)")
            }
        }
        lines.append("    Test net output #\(outputIndex): \(outputName) = \(Self.caffeFloatString(mAP))")
        return lines
    }

    /// A float as `std::ostream << float` prints it by default (`%g`, precision 6).
    public static func caffeFloatString(_ value: Float) -> String {
        String(format: "%g", Double(value))
    }
}

/// Collects the rows of one DetectionEvaluate output over the test iterations and scores them
/// as `Solver::TestDetection` does for `eval_type: "detection"`.
///
/// Rows are `[item, label, score_or_count, tp, fp]`. A row with item -1 adds `count` ground
/// truth boxes to its label (count rows exist for every non-background class in every batch,
/// so every class ends up in the denominator). Other rows add a scored outcome, except rows
/// with `tp == fp == 0` (detections matched to difficult ground truth), which are skipped.
public struct DetectionScoreAccumulator: Sendable {
    /// Ground-truth count per label.
    public private(set) var numPositives: [Int: Int] = [:]
    /// Scored outcomes per label, in arrival order.
    public private(set) var outcomes: [Int: [DetectionOutcome]] = [:]

    public init() {}

    /// Whether any detection outcome was collected (Caffe prints no mAP for an output without).
    public var hasOutcomes: Bool { !outcomes.isEmpty }

    /// Adds the rows of one forward (a (1, 1, N, 5) blob's data).
    public mutating func add(rows: UnsafeBufferPointer<Float>) throws {
        guard rows.count % 5 == 0 else {
            throw DetectionError("detection evaluation output holds \(rows.count) values, expected 5 per row (width 5)")
        }
        for r in 0..<(rows.count / 5) {
            let s = r * 5
            let item = try caffeInt(rows[s], "evaluation row \(r) item id")
            let label = try caffeInt(rows[s + 1], "evaluation row \(r) label")
            if item == -1 {
                let count = try caffeInt(rows[s + 2], "evaluation row \(r) count")
                numPositives[label, default: 0] += count
            } else {
                let tp = try caffeInt(rows[s + 3], "evaluation row \(r) true_pos")
                let fp = try caffeInt(rows[s + 4], "evaluation row \(r) false_pos")
                if tp == 0 && fp == 0 { continue }
                outcomes[label, default: []].append(DetectionOutcome(score: rows[s + 2], truePositive: tp, falsePositive: fp))
            }
        }
    }

    /// Adds the rows of one forward given as an array.
    public mutating func add(rows: [Float]) throws {
        try rows.withUnsafeBufferPointer { try add(rows: $0) }
    }

    /// Scores the DetectionEvaluate outputs of a whole test pass (one flat row array per test
    /// iteration) — what `dsod score` and the solver's test loop report for one output blob.
    public static func score(passOutputs: [[Float]], apVersion: APVersion) throws -> DetectionScore? {
        var accumulator = DetectionScoreAccumulator()
        for rows in passOutputs { try accumulator.add(rows: rows) }
        return try accumulator.score(apVersion: apVersion)
    }

    /// The per-class APs and the mAP; nil when no outcome was collected (then Caffe logs no
    /// mAP for this output). Throws when outcomes came without any count row (Caffe: "Missing
    /// output_blob num_pos") or `ComputeAP` rejects a class.
    public func score(apVersion: APVersion) throws -> DetectionScore? {
        guard hasOutcomes else { return nil }
        guard !numPositives.isEmpty else {
            throw DetectionError("Missing output_blob num_pos: the detection evaluation rows have no count rows (item -1)")
        }
        var classes: [ClassAveragePrecision] = []
        var mAP: Float = 0
        for label in numPositives.keys.sorted() {
            guard let labelOutcomes = outcomes[label] else {
                classes.append(ClassAveragePrecision(label: label, ap: nil))
                continue
            }
            let ap = try AveragePrecision.compute(labelOutcomes, numPositives: numPositives[label] ?? 0, version: apVersion).ap
            mAP += ap
            classes.append(ClassAveragePrecision(label: label, ap: ap))
        }
        mAP /= Float(numPositives.count)
        return DetectionScore(apVersion: apVersion, classes: classes, mAP: mAP)
    }
}
