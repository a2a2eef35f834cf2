import CaffeProto
import Foundation
import ModelZoo
import TestSupport
import XCTest

/// The generated files against the ones DSOD's own scripts wrote
/// (../shared/reference/prototxt, made with HOME=/home/user and SSD's LMDB paths).
final class ReferencePrototxtTests: XCTestCase {
    static let referenceScripts: [(folder: String, model: DSODModel)] = [
        ("DSOD300_pascal", .dsod300),
        ("GRP_DSOD320_pascal", .grpDSOD320),
    ]

    private func referenceText(_ folder: String, _ phase: DSODPhase) throws -> String {
        let url = TestPaths.referencePrototxt.appendingPathComponent(folder).appendingPathComponent("\(phase.rawValue).prototxt")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("reference file missing: \(url.path)")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    private func job(_ model: DSODModel) throws -> DSODJob {
        try DSODJob(script: DSODScript(model: model, dataset: .voc0712, home: "/home/user"))
    }

    func testNetsEqualReferenceAsMessages() throws {
        for (folder, model) in Self.referenceScripts {
            let job = try job(model)
            for (phase, ours) in [(DSODPhase.train, job.train), (.test, job.test), (.deploy, job.deploy)] {
                let reference = try CaffeText.parse(try referenceText(folder, phase), as: Caffe_NetParameter.self, file: "\(folder)/\(phase)")
                XCTAssertEqual(ours.layer.count, reference.layer.count, "\(folder)/\(phase): layer count")
                for (index, (a, b)) in zip(ours.layer, reference.layer).enumerated() where a != b {
                    XCTFail("\(folder)/\(phase): layer \(index) '\(a.name)' differs from the reference's '\(b.name)':\n"
                        + "ours:\n\(CaffeText.format(a))\nreference:\n\(CaffeText.format(b))")
                    break
                }
                var oursWithoutLayers = ours, referenceWithoutLayers = reference
                oursWithoutLayers.layer = []
                referenceWithoutLayers.layer = []
                XCTAssertEqual(oursWithoutLayers, referenceWithoutLayers, "\(folder)/\(phase): net fields")
                XCTAssertTrue(ours == reference, "\(folder)/\(phase): nets differ")
            }
        }
    }

    func testSolversEqualReferenceAsMessages() throws {
        for (folder, model) in Self.referenceScripts {
            let reference = try CaffeText.parse(try referenceText(folder, .solver), as: Caffe_SolverParameter.self, file: "\(folder)/solver")
            let ours = try job(model).solver
            XCTAssertEqual(ours, reference, "\(folder)/solver:\nours:\n\(CaffeText.format(ours))\nreference:\n\(CaffeText.format(reference))")
        }
    }

    /// Byte for byte, as the scripts print them (`print(proto, file=f)`).
    func testFilesAreByteIdenticalToReference() throws {
        for (folder, model) in Self.referenceScripts {
            let job = try job(model)
            for phase in DSODPhase.allCases {
                let reference = try referenceText(folder, phase)
                let ours = job.text(for: phase)
                if ours != reference {
                    let a = ours.split(separator: "\n", omittingEmptySubsequences: false)
                    let b = reference.split(separator: "\n", omittingEmptySubsequences: false)
                    let line = (0..<min(a.count, b.count)).first(where: { a[$0] != b[$0] }) ?? min(a.count, b.count)
                    XCTFail("\(folder)/\(phase).prototxt differs first at line \(line + 1): ours '\(line < a.count ? a[line] : "<end>")', "
                        + "reference '\(line < b.count ? b[line] : "<end>")'")
                }
            }
        }
    }
}
