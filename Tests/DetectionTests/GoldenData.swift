import Foundation
import Runtime
import TestSupport
import XCTest

/// Reading the golden case folders of ../shared/golden.
enum GoldenData {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func layerCase(_ name: String) -> URL { TestPaths.golden("layers/\(name)") }

    static func npy(_ url: URL) throws -> NumpyArray {
        try NumpyArray.read(url.path)
    }

    static func json(_ url: URL) throws -> [String: Any] {
        guard let data = FileManager.default.contents(atPath: url.path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Missing(description: "cannot read JSON \(url.path)")
        }
        return object
    }

    static func caseJSON(_ folder: URL) throws -> [String: Any] {
        try json(folder.appendingPathComponent("case.json"))
    }

    /// The forward tolerance `atol` of a case.json.
    static func forwardAtol(_ caseJSON: [String: Any]) -> Float {
        let tolerance = caseJSON["tolerance"] as? [String: Any]
        let forward = tolerance?["forward"] as? [String: Any]
        return Float((forward?["atol"] as? Double) ?? 0)
    }

    /// Skips the test when the golden folder is absent (a clone without ../shared).
    static func requireFolder(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw XCTSkip("golden data not found at \(url.path)")
        }
    }

    /// Case folders whose name starts with `prefix`.
    static func layerCases(prefix: String) -> [URL] {
        TestPaths.subfolders(of: TestPaths.golden("layers")).filter { $0.lastPathComponent.hasPrefix(prefix) }
    }
}

/// Compares rows of `width` floats: the first `exactColumns` columns exactly, the others within
/// `atol`. Returns nil or a description of the first difference.
func rowDifference(ours: [Float], caffe: [Float], width: Int, exactColumns: Int, atol: Float) -> String? {
    guard ours.count == caffe.count else {
        return "\(ours.count / width) rows, Caffe has \(caffe.count / width)"
    }
    for r in 0..<(caffe.count / width) {
        for k in 0..<width {
            let a = ours[r * width + k], b = caffe[r * width + k]
            let ok = k < exactColumns ? a == b : abs(a - b) <= atol
            if !ok {
                let ourRow = Array(ours[(r * width)..<(r * width + width)])
                let caffeRow = Array(caffe[(r * width)..<(r * width + width)])
                return "row \(r) column \(k): ours \(ourRow), Caffe \(caffeRow)"
            }
        }
    }
    return nil
}
