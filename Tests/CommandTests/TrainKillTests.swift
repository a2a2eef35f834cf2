import CaffeProto
import Foundation
import TestSupport
import XCTest

/// `dsod train` killed with SIGKILL at random moments (seeded): after every kill each snapshot
/// present decodes completely; the next trial resumes from the newest .solverstate; the run that
/// finally completes ends with the same weights as a run never interrupted, and leaves no
/// temporary files. 20 trials (DSOD_LONG_TESTS=1: 100).
final class TrainKillTests: XCTestCase {
    private var dsod: String!

    override func setUpWithError() throws {
        guard let binary = TestPaths.builtExecutable("dsod", besides: Self.self) else {
            throw XCTSkip("dsod is not built beside the tests")
        }
        dsod = binary
    }

    /// The newest solver state (highest iteration), if any.
    private func newestState(_ fixture: TrainingFaultFixture) -> (iteration: Int, path: String)? {
        fixture.snapshots(".solverstate").max { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    private func train(_ fixture: TrainingFaultFixture, resume: Bool) throws -> ChildProcess {
        var arguments = ["train", "--solver", fixture.solver]
        if resume, let newest = newestState(fixture) { arguments += ["--snapshot", newest.path] }
        return try ChildProcess(dsod, arguments, directory: fixture.folder)
    }

    func testKilledTrainingNeverLeavesABrokenSnapshotAndResumesToTheSameWeights() throws {
        let long = ProcessInfo.processInfo.environment["DSOD_LONG_TESTS"] == "1"
        let trials = long ? 100 : 20
        let maxIter = long ? 12_000 : 3_000
        let killed = try TrainingFaultFixture(maxIter: maxIter)
        defer { killed.remove() }
        // Fixed seed: the kill times are the same on every run.
        var rng = SplitMix64(state: 0x5EED_0011)
        var passed = 0
        var verified: [String: Date] = [:]
        var temporariesSeen = 0
        var log: [String] = []
        for trial in 1...trials {
            let before = newestState(killed)?.iteration ?? 0
            let child = try train(killed, resume: true)
            // Anywhere from building the net to well into training and snapshotting.
            usleep(useconds_t(5_000 + rng.next() % 245_000))
            child.kill()
            let outcome = child.wait(timeout: 60)
            temporariesSeen += killed.temporaryFiles().count
            // Every snapshot written since the last check decodes in full.
            let problems = killed.verifySnapshots(memo: &verified)
            let after = newestState(killed)?.iteration ?? 0
            log.append("trial \(trial): \(outcome.signal.map { "killed (signal \($0))" } ?? "exited \(outcome.exitCode ?? -1)"), newest state \(before) -> \(after)")
            if problems.isEmpty && after >= before { passed += 1 } else { XCTFail("trial \(trial): \(problems) \(outcome.stderr.suffix(400))") }
        }
        print(log.joined(separator: "\n"))
        print("kill test: \(passed) of \(trials) trials passed; \(temporariesSeen) interrupted temporary files seen after kills")
        XCTAssertEqual(passed, trials)
        let reached = newestState(killed)?.iteration ?? 0
        XCTAssertGreaterThan(reached, 0, "no trial got as far as a snapshot")
        XCTAssertLessThan(reached, maxIter, "the trials finished the run; nothing is left to resume")

        // Resume to the end, then compare with a run never interrupted.
        let resumed = try train(killed, resume: true).wait(timeout: 300)
        XCTAssertEqual(resumed.exitCode, 0, resumed.stderr.suffix(2000).description)
        XCTAssertTrue(resumed.stderr.contains("Resuming from"), "the final run did not resume")
        XCTAssertEqual(killed.temporaryFiles(), [], "temporary files left after the resumed run completed")
        XCTAssertEqual(killed.verifySnapshots(), [])

        let clean = try TrainingFaultFixture(maxIter: maxIter)
        defer { clean.remove() }
        let uninterrupted = try ChildProcess.run(dsod, ["train", "--solver", clean.solver], directory: clean.folder, timeout: 300)
        XCTAssertEqual(uninterrupted.exitCode, 0, uninterrupted.stderr.suffix(2000).description)
        let final = try XCTUnwrap(killed.snapshots(".caffemodel")[maxIter])
        let reference = try XCTUnwrap(clean.snapshots(".caffemodel")[maxIter])
        let ours = try TrainingFaultFixture.parameters(final)
        let expected = try TrainingFaultFixture.parameters(reference)
        XCTAssertEqual(ours.count, TrainingFaultFixture.historyBlobs)
        XCTAssertEqual(ours, expected, "the resumed run's final weights differ from the uninterrupted run's")
        let finalState = try CaffeFiles.read(try XCTUnwrap(killed.snapshots(".solverstate")[maxIter]), as: Caffe_SolverState.self)
        let referenceState = try CaffeFiles.read(try XCTUnwrap(clean.snapshots(".solverstate")[maxIter]), as: Caffe_SolverState.self)
        XCTAssertEqual(finalState.history.map(\.data), referenceState.history.map(\.data), "momentum history differs")
    }
}
