import Foundation
import TestSupport
import XCTest

/// The deterministic fuzz run: every target of `dsod-fuzz` with a fixed seed and a few thousand
/// inputs each (DSOD_FUZZ_ITERATIONS changes the count). It passes when no input crashed or hung
/// the reader (either ends the fuzzer with exit 70/71) and every rejection named where the input
/// went wrong (file and line:column, byte offset, layer, LMDB key or flag).
final class FuzzRunTests: XCTestCase {
    func testEveryReaderSurvivesTheDeterministicFuzzRun() throws {
        guard let fuzzer = TestPaths.builtExecutable("dsod-fuzz", besides: Self.self) else {
            throw XCTSkip("dsod-fuzz is not built beside the tests")
        }
        let iterations = ProcessInfo.processInfo.environment["DSOD_FUZZ_ITERATIONS"] ?? "3000"
        let folder = NSTemporaryDirectory() + "fuzz-run-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let report = folder + "/report.json"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let outcome = try ChildProcess.run(fuzzer, ["run", "all", "--iterations", iterations, "--seed", "20240611",
                                                    "--crash-dir", folder, "--json", report],
                                           environment: ["DSOD_SHARED": TestPaths.shared.path], timeout: 900)
        print(outcome.stdout)
        XCTAssertEqual(outcome.exitCode, 0, "dsod-fuzz failed (70 = crash, 71 = hang, 1 = unlocated rejection):\n\(outcome.stdout)\n\(outcome.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: report))
        let targets = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        let names = Set(targets.compactMap { $0["target"] as? String })
        for expected in ["prototxt", "solver", "caffemodel", "solverstate", "binaryproto", "upgrade", "net", "datum",
                         "annotated-datum", "jpeg", "voc-xml", "coco-json", "labelmap", "name-size", "npy",
                         "dsod-flags", "dsodgen-flags", "inspect-convert"] {
            XCTAssertTrue(names.contains(expected), "target \(expected) did not run")
        }
        for target in targets {
            let name = target["target"] as? String ?? "?"
            XCTAssertEqual(target["inputs"] as? Int, Int(iterations), name)
            XCTAssertEqual(target["crashes"] as? Int, 0, name)
            XCTAssertEqual(target["hangs"] as? Int, 0, name)
            XCTAssertEqual(target["unlocated"] as? Int, 0, "\(name): \(target["examples"] ?? "")")
            XCTAssertGreaterThan(target["corpus"] as? Int ?? 0, 0, "\(name) has no seeds")
            // Both sides of each reader are exercised: some inputs read, some refused.
            if name != "name-size" {
                XCTAssertGreaterThan(target["refused"] as? Int ?? 0, 0, name)
            }
            XCTAssertGreaterThan(target["accepted"] as? Int ?? 0, 0, name)
        }
    }
}
