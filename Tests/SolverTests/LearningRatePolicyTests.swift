import XCTest
import Foundation
import CaffeProto
@testable import Solver
import TestSupport

/// Every golden solver run's logged learning rates, reproduced from its solver.prototxt alone
/// (the plateau policy is fed the smoothed losses Caffe logged).
final class LearningRatePolicyTests: XCTestCase {
    private struct Log: Decodable {
        struct Iteration: Decodable { let iter: Int; let loss: Double; let lr_text: String? }
        let iterations: [Iteration]
        let events: [Event]?
        struct Event: Decodable { let text: String? }
    }

    func testLoggedRatesOfEveryGoldenRun() throws {
        var checked = 0
        for run in TestPaths.subfolders(of: TestPaths.golden("solvers")) where run.lastPathComponent != "data" {
            let solver = try CaffeFiles.readSolver(run.appendingPathComponent("solver.prototxt").path)
            let log = try JSONDecoder().decode(Log.self, from: Data(contentsOf: run.appendingPathComponent("log.json")))
            var policy = try LearningRatePolicy(solver)
            for entry in log.iterations {
                let (rate, _) = policy.rate(iteration: entry.iter, smoothedLoss: Float(entry.loss))
                guard let expected = entry.lr_text else { continue }
                XCTAssertEqual(CaffeNumber.format(rate), expected, "\(run.lastPathComponent) iteration \(entry.iter)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, 200)
    }

    func testMultistepAdvancesOneStepPerIteration() throws {
        var p = Caffe_SolverParameter()
        p.lrPolicy = "multistep"
        p.baseLr = 1
        p.gamma = 0.1
        p.stepvalue = [0, 0, 5]
        var policy = try LearningRatePolicy(p)
        let first = policy.rate(iteration: 0, smoothedLoss: 0)
        XCTAssertEqual(first.log, ["MultiStep Status: Iteration 0, step = 1"])
        XCTAssertEqual(policy.rate(iteration: 1, smoothedLoss: 0).rate, Float(0.01), accuracy: 1e-9)
        XCTAssertEqual(policy.currentStep, 2)
    }

    func testBadPoliciesAreRefused() {
        var p = Caffe_SolverParameter()
        p.lrPolicy = "cosine"
        XCTAssertThrowsError(try LearningRatePolicy(p)) { XCTAssertTrue("\($0)".contains("unknown lr_policy \"cosine\"")) }
        p.lrPolicy = "step"
        XCTAssertThrowsError(try LearningRatePolicy(p)) { XCTAssertTrue("\($0)".contains("stepsize")) }
    }

    func testNumbersPrintLikeCaffesLog() {
        XCTAssertEqual(CaffeNumber.format(Float(0.1)), "0.1")
        XCTAssertEqual(CaffeNumber.format(1.6475412), "1.64754")
        XCTAssertEqual(CaffeNumber.format(Float(1e-5)), "1e-05")
        XCTAssertEqual(CaffeNumber.format(Float(0.0125)), "0.0125")
        XCTAssertEqual(CaffeNumber.format(Double(1_234_567)), "1.23457e+06")
    }
}
