import CaffeProto
import Foundation
import Runtime

/// Tolerance `|ours - caffe| <= atol + rtol·|caffe|` of a golden comparison.
public struct GoldenTolerance: Sendable, CustomStringConvertible {
    public var atol: Double
    public var rtol: Double

    public init(atol: Double, rtol: Double) {
        self.atol = atol
        self.rtol = rtol
    }

    /// Reads `{"atol": .., "rtol": ..}`; nil for a missing or null entry.
    public init?(json: Any?) {
        guard let dict = json as? [String: Any], let atol = (dict["atol"] as? NSNumber)?.doubleValue else { return nil }
        self.atol = atol
        self.rtol = (dict["rtol"] as? NSNumber)?.doubleValue ?? 0
    }

    public var description: String { "atol \(atol), rtol \(rtol)" }
}

/// One golden case folder (`case.json` + arrays), as the golden READMEs describe it.
public struct GoldenCase {
    public let folder: URL
    public let json: [String: Any]

    public init(folder: URL) throws {
        self.folder = folder
        let data = try Data(contentsOf: folder.appendingPathComponent("case.json"))
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NetError(file: folder.path, message: "case.json is not a JSON object")
        }
        self.json = json
    }

    public var name: String { folder.lastPathComponent }
    /// The case's `type`, e.g. "Convolution" or "Input (legacy input/input_dim)".
    public var type: String { json["type"] as? String ?? "" }
    public var phase: Caffe_Phase { (json["phase"] as? String) == "TEST" ? .test : .train }
    public var backward: Bool { json["backward"] as? Bool ?? false }
    public var isCustom: Bool { (json["verify"] as? String) == "custom" }
    public var forwardTolerance: GoldenTolerance? { GoldenTolerance(json: (json["tolerance"] as? [String: Any])?["forward"]) }
    public var backwardTolerance: GoldenTolerance? { GoldenTolerance(json: (json["tolerance"] as? [String: Any])?["backward"]) }
    public var backwardPasses: Int { (json["n_backward"] as? NSNumber)?.intValue ?? 1 }
    public var prefillBottomDiff: Float? { (json["prefill_bottom_diff"] as? NSNumber).map { $0.floatValue } }
    public var iterations: Int? { (json["iterations"] as? NSNumber)?.intValue }
    public var expectedError: [String: Any]? { json["expected_error"] as? [String: Any] }

    public func url(_ relative: String) -> URL { folder.appendingPathComponent(relative) }

    public func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: url(relative).path)
    }

    /// The arrays of a subfolder by blob name (`__` in a file name stands for `/`), sorted.
    public func arrays(in relative: String) throws -> [(name: String, array: NumpyArray)] {
        let dir = url(relative)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: dir.path) else { return [] }
        return try names.filter { $0.hasSuffix(".npy") }.sorted().map { file in
            let name = String(file.dropLast(4)).replacingOccurrences(of: "__", with: "/")
            return (name, try NumpyArray.read(dir.appendingPathComponent(file).path))
        }
    }
}

/// Compares values with a golden array: shape (a 0-d array matches a scalar blob) and every
/// element within tolerance. Returns nil when they agree, else what differs.
public func goldenMismatch(_ what: String, shape: [Int], values: [Float], golden: NumpyArray, tolerance: GoldenTolerance) -> String? {
    let goldenCount = golden.shape.reduce(1, *)
    let oursCount = shape.reduce(1, *)
    if shape != golden.shape && !(goldenCount == oursCount && (golden.shape.isEmpty || shape.isEmpty)) {
        return "\(what): shape \(shape), Caffe's \(golden.shape)"
    }
    if let violation = toleranceViolation(ours: values, caffe: golden.values, atol: tolerance.atol, rtol: tolerance.rtol) {
        return "\(what) (\(tolerance)): \(violation)"
    }
    return nil
}

/// Relative L2 distance ||ours - caffe|| / ||caffe|| (0 when both are zero).
public func relativeL2(ours: [Float], caffe: [Float]) -> Double {
    var difference = 0.0, norm = 0.0
    for (a, b) in zip(ours, caffe) {
        difference += (Double(a) - Double(b)) * (Double(a) - Double(b))
        norm += Double(b) * Double(b)
    }
    if norm == 0 { return difference == 0 ? 0 : .infinity }
    return (difference / norm).squareRoot()
}
