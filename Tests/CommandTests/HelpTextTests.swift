import XCTest
import Foundation
import TestSupport

/// Every command's `--help`: it exits 0, shows at least one example invocation of itself, and its
/// prose and examples fit the 80 columns ArgumentParser wraps to when stdout is not a terminal
/// (a hard-wrapped source line longer than that leaves ragged half-lines).
final class HelpTextTests: XCTestCase {
    static let dsodCommands = ["demo", "train", "score", "detect", "forward", "time", "inspect", "convert",
                               "create-annoset", "get-image-size", "create-labelmap", "synth-dataset", "plot"]

    func testEveryCommandHasHelpWithAnExample() throws {
        guard let dsod = TestPaths.builtExecutable("dsod", besides: Self.self),
              let dsodgen = TestPaths.builtExecutable("dsodgen", besides: Self.self) else {
            throw XCTSkip("dsod/dsodgen are not built beside the tests")
        }
        var invocations = Self.dsodCommands.map { (dsod, [$0], "dsod \($0)") }
        invocations.append((dsod, [], "dsod"))
        invocations.append((dsodgen, [], "dsodgen"))
        for (binary, arguments, name) in invocations {
            let outcome = try ChildProcess.run(binary, arguments + ["--help"], timeout: 60)
            XCTAssertEqual(outcome.exitCode, 0, "\(name) --help: \(outcome.stderr)")
            let text = outcome.stdout
            XCTAssertTrue(text.contains("OVERVIEW:") && text.contains("USAGE:"), "\(name) --help:\n\(text)")
            // The part above USAGE: overview, discussion and examples.
            let head = text.components(separatedBy: "USAGE:")[0]
            let lines = head.split(separator: "\n", omittingEmptySubsequences: false)
            XCTAssertTrue(lines.contains { $0.hasPrefix("  \(name) ") }, "\(name) --help shows no example:\n\(head)")
            // A continuation line of an example starts deeper than the example itself; a line
            // that starts at column 0 right after an example line is an example wrapped by force.
            for (previous, line) in zip(lines, lines.dropFirst()) where previous.hasPrefix("  \(name) ") {
                XCTAssertTrue(line.isEmpty || line.hasPrefix("  "), "\(name) --help: an example wraps:\n\(previous)\n\(line)")
            }
        }
    }
}
