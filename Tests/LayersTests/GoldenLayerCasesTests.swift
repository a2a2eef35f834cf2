import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// The one table-driven runner over golden/layers/*/case.json. Set `GOLDEN_CASE=<name>` to run
/// a single case. Prints `golden layers: N passed, M skipped (types: ...), K failed`.
final class GoldenLayerCasesTests: XCTestCase {
    func testEveryGoldenLayerCase() throws {
        let root = TestPaths.golden("layers")
        let only = ProcessInfo.processInfo.environment["GOLDEN_CASE"]
        let folders = TestPaths.subfolders(of: root).filter {
            FileManager.default.fileExists(atPath: $0.appendingPathComponent("case.json").path)
                && (only == nil || $0.lastPathComponent == only)
        }
        XCTAssertFalse(folders.isEmpty, "no golden layer cases under \(root.path)")
        let runner = GoldenLayerRunner(registry: .standard)
        var passed: [String] = []
        var skipped: [(name: String, reason: String, types: [String])] = []
        var failed: [(name: String, messages: [String])] = []
        for folder in folders {
            let started = Date()
            let outcome: GoldenOutcome
            do {
                outcome = runner.run(try GoldenCase(folder: folder))
            } catch {
                outcome = .failed(["cannot read case.json: \(error)"])
            }
            let seconds = String(format: "%.2f", Date().timeIntervalSince(started))
            switch outcome {
            case .passed:
                passed.append(folder.lastPathComponent)
                print("  pass  \(folder.lastPathComponent) (\(seconds) s)")
            case .skipped(let reason, let types):
                skipped.append((folder.lastPathComponent, reason, types))
                print("  skip  \(folder.lastPathComponent): \(reason) \(types.joined(separator: ", "))")
            case .failed(let messages):
                failed.append((folder.lastPathComponent, messages))
                print("  FAIL  \(folder.lastPathComponent): \(messages.prefix(4).joined(separator: "; "))")
            }
        }
        let skippedTypes = Set(skipped.flatMap(\.types)).sorted()
        print("golden layers: \(passed.count) passed, \(skipped.count) skipped (types: \(skippedTypes.joined(separator: ", "))), \(failed.count) failed")
        for failure in failed {
            XCTFail("\(failure.name): \(failure.messages.joined(separator: "\n    "))")
        }
    }
}
