import Foundation
import ModelZoo
import TestSupport
import XCTest

/// prototxt/<script>/ holds what dsodgen writes for DSOD's six scripts and the demo's DSOD_tiny
/// (HOME=/home/user).
/// Fails when they are stale: run `make prototxt`.
final class CommittedPrototxtTests: XCTestCase {
    func testCommittedPrototxtIsCurrent() throws {
        let folder = TestPaths.repoRoot.appendingPathComponent("prototxt")
        var stale: [String] = []
        for script in DSODScript.committedScripts(home: "/home/user") {
            let job = try DSODJob(script: script)
            for phase in DSODPhase.allCases {
                let path = folder.appendingPathComponent(script.scriptName).appendingPathComponent("\(phase.rawValue).prototxt")
                let committed = try? String(contentsOf: path, encoding: .utf8)
                if committed != job.text(for: phase) { stale.append("\(script.scriptName)/\(phase.rawValue).prototxt") }
            }
        }
        XCTAssertEqual(stale, [], "stale or missing under prototxt/; regenerate with `make prototxt`")
    }
}
