import XCTest
import Foundation
@testable import DSODCommands
import CaffeProto
import TestSupport

/// `dsod convert` and `dsod inspect` called as functions, on the reference and golden files.
final class ConvertAndInspectTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cmd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Each reference prototxt converts to text that is byte-identical to it (less Python's extra
    /// final newline) when not upgraded, and that parses back to the upgraded message otherwise.
    func testConvertReferencePrototxts() throws {
        for model in TestPaths.subfolders(of: TestPaths.referencePrototxt) {
            for name in ["train", "test", "deploy", "solver"] {
                let input = model.appendingPathComponent("\(name).prototxt").path
                let kept = folder + "/\(name).kept.prototxt"
                _ = try ConvertCommand.convert(input: input, output: kept, kind: nil, upgrade: false)
                XCTAssertEqual(try String(contentsOfFile: kept, encoding: .utf8) + "\n", try String(contentsOfFile: input, encoding: .utf8), input)
                if name != "solver" {
                    let upgraded = folder + "/\(name).prototxt"
                    _ = try ConvertCommand.convert(input: input, output: upgraded, kind: nil, upgrade: true)
                    XCTAssertEqual(try CaffeFiles.read(upgraded, as: Caffe_NetParameter.self), try CaffeFiles.readNet(input))
                }
            }
        }
    }

    /// text → binary → text keeps the message, for a caffemodel's text form.
    func testConvertTextBinaryText() throws {
        let weights = TestPaths.golden("formats/caffemodel/convbn/weights.caffemodel").path
        _ = try ConvertCommand.convert(input: weights, output: folder + "/w.prototxt", kind: nil, upgrade: false)
        _ = try ConvertCommand.convert(input: folder + "/w.prototxt", output: folder + "/w.caffemodel", kind: .net, upgrade: false)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: folder + "/w.caffemodel")), try Data(contentsOf: URL(fileURLWithPath: weights)))
    }

    func testInspectCaffemodelReportsBlobShapesAndCounts() throws {
        let lines = try InspectCommand.inspect(file: TestPaths.golden("formats/caffemodel/convbn/weights.caffemodel").path, kind: nil, showBlobs: true)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  conv1 ") && $0.hasSuffix("[4, 3, 3, 3] [4]") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains { $0.hasPrefix("  conv1_bn ") && $0.hasSuffix("[4] [4] [1]") }, lines.joined(separator: "\n"))
        // conv 108+4, scale 4+4, ip 240+5 learnable; BatchNorm 4+4+1 statistics.
        XCTAssertTrue(lines.contains("Learnable parameters: 365"), lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("With BatchNorm statistics: 374"), lines.joined(separator: "\n"))
    }

    /// A net without weights gets its parameter shapes from building it.
    func testInspectPrototxtBuildsTheNet() throws {
        let lines = try InspectCommand.inspect(file: TestPaths.golden("formats/caffemodel/convbn/net.prototxt").path, kind: nil, showBlobs: true)
        XCTAssertTrue(lines.contains { $0.hasPrefix("  conv1 ") && $0.hasSuffix("[4, 3, 3, 3] [4]") }, lines.joined(separator: "\n"))
        XCTAssertTrue(lines.contains("Learnable parameters: 365"))
        XCTAssertTrue(lines.contains("With BatchNorm statistics: 374"))
    }

    /// The counts the issue pins, for the nets dsodgen writes (no weights: built to find shapes).
    func testInspectGeneratedNets() throws {
        let expected: [(String, String, String)] = [
            ("DSOD300_pascal/deploy", "14,715,804", "14,795,828"),
            ("DSOD300_pascal/train", "14,715,804", "14,795,828"),
            ("DSOD300_pascal/test", "14,715,804", "14,795,828"),
            ("GRP_DSOD320_pascal/deploy", "15,928,690", "15,955,327"),
        ]
        for (name, learnable, all) in expected {
            let path = TestPaths.repoRoot.appendingPathComponent("prototxt/\(name).prototxt").path
            let lines = try InspectCommand.inspect(file: path, kind: nil, showBlobs: false)
            XCTAssertTrue(lines.contains("Learnable parameters: \(learnable)"), "\(name): \(lines.suffix(2))")
            XCTAssertTrue(lines.contains("With BatchNorm statistics: \(all)"), "\(name): \(lines.suffix(2))")
        }
    }

    func testInspectDSOD300WeightsCounts() throws {
        let lines = try InspectCommand.inspect(file: TestPaths.golden("nets/dsod300_deploy/weights.caffemodel").path, kind: nil, showBlobs: false)
        XCTAssertTrue(lines.contains("Learnable parameters: 14,715,804"))
        XCTAssertTrue(lines.contains("With BatchNorm statistics: 14,795,828"))
    }

    func testEveryGoldenCaffemodelInspects() throws {
        let enumerator = FileManager.default.enumerator(atPath: TestPaths.golden.path)
        var count = 0
        while let item = enumerator?.nextObject() as? String {
            guard item.hasSuffix(".caffemodel"), !item.contains("bad_inputs"), !item.contains("dsod300") else { continue }
            let lines = try InspectCommand.inspect(file: TestPaths.golden(item).path, kind: nil, showBlobs: true)
            XCTAssertTrue(lines.contains { $0.hasPrefix("Learnable parameters: ") }, item)
            count += 1
        }
        XCTAssertGreaterThan(count, 40)
    }

    /// A failed conversion leaves nothing behind.
    func testFailedConvertWritesNothing() {
        let bad = TestPaths.golden("formats/bad_inputs/unknown_field/bad.prototxt").path
        XCTAssertThrowsError(try ConvertCommand.convert(input: bad, output: folder + "/out.caffemodel", kind: nil, upgrade: true)) { error in
            XCTAssertEqual("\(error)", bad + #":6:14: Message type "caffe.LayerParameter" has no field named "bogus_field"."#)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder), [])
    }

    func testMeanAndSolverAndLabelMap() throws {
        let mean = try InspectCommand.inspect(file: TestPaths.golden("formats/mean/mean.binaryproto").path, kind: nil, showBlobs: false)
        XCTAssertTrue(mean[0].contains("blob [1, 3, 32, 32], 3072 values"), mean[0])
        let solver = try InspectCommand.inspect(file: TestPaths.referencePrototxt.appendingPathComponent("DSOD300_pascal/solver.prototxt").path, kind: nil, showBlobs: false)
        XCTAssertTrue(solver[0].contains("solver \"SGD\""), solver[0])
    }
}
