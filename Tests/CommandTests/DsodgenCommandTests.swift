import ArgumentParser
import CaffeProto
@testable import DSODCommands
import Foundation
import ModelZoo
import TestSupport
import XCTest

/// `dsodgen` called through its argument parser and functions.
final class DsodgenCommandTests: XCTestCase {
    private var folder: String!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dsodgen-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func command(_ arguments: [String]) throws -> DsodgenCommand {
        try DsodgenCommand.parse(arguments)
    }

    /// The argument lists of Scripts/make-prototxt.sh produce the committed prototxt/ files.
    func testMakePrototxtArgumentsReproduceCommittedFiles() throws {
        let shell = try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("Scripts/make-prototxt.sh"), encoding: .utf8)
        guard let block = shell.components(separatedBy: "SCRIPTS='").dropFirst().first?.components(separatedBy: "'").first else {
            return XCTFail("no SCRIPTS block in make-prototxt.sh")
        }
        let lines = block.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }.filter { !$0.isEmpty }
        XCTAssertEqual(lines.map { $0[0] }, DSODScript.committedScripts(home: "/h").map(\.scriptName))
        for words in lines {
            for phase in DSODPhase.allCases {
                let text = try command(Array(words.dropFirst()) + ["--phase", phase.rawValue]).render(home: "/home/user")
                let committed = TestPaths.repoRoot.appendingPathComponent("prototxt/\(words[0])/\(phase.rawValue).prototxt")
                XCTAssertEqual(text, try String(contentsOf: committed, encoding: .utf8), "\(words[0])/\(phase.rawValue)")
            }
        }
    }

    /// The default is the deploy net of DSOD300_pascal.py.
    func testDefaultsAreDSOD300PascalDeploy() throws {
        let reference = TestPaths.referencePrototxt.appendingPathComponent("DSOD300_pascal/deploy.prototxt")
        guard FileManager.default.fileExists(atPath: reference.path) else { throw XCTSkip("no reference files") }
        XCTAssertEqual(try command(["DSOD300"]).render(home: "/home/user"), try String(contentsOf: reference, encoding: .utf8))
    }

    func testFlagsOverrideTheScriptsValues() throws {
        let cmd = try command([
            "GRP_DSOD320", "--phase", "train", "--train-lmdb", "/d/train_lmdb", "--test-lmdb", "/d/test_lmdb",
            "--label-map", "/d/labels.prototxt", "--name-size", "/d/sizes.txt", "--num-classes", "5",
            "--gpus", "0,1", "--batch-size", "16", "--accum-batch-size", "64",
        ])
        let job = try DSODJob(script: try cmd.script(home: "/x"))
        XCTAssertEqual(job.train.layer[0].dataParam.source, "/d/train_lmdb")
        XCTAssertEqual(job.test.layer[0].dataParam.source, "/d/test_lmdb")
        XCTAssertEqual(job.train.layer[0].dataParam.batchSize, 8, "ceil(16 / 2 GPUs)")
        XCTAssertEqual(job.solver.iterSize, 4, "ceil(64 / 16)")
        XCTAssertEqual(job.train.layer[0].annotatedDataParam.labelMapFile, "/d/labels.prototxt")
        let output = job.test.layer.first { $0.type == "DetectionOutput" }?.detectionOutputParam
        XCTAssertEqual(output?.numClasses, 5)
        XCTAssertEqual(output?.saveOutputParam.nameSizeFile, "/d/sizes.txt")
        XCTAssertEqual(output?.saveOutputParam.outputDirectory, "/x/data/VOCdevkit/results/VOC2007/GRP_DSOD320_v2_gate_320x320/Main")
        XCTAssertEqual(job.test.layer.last?.detectionEvaluateParam.nameSizeFile, "/d/sizes.txt")
        XCTAssertEqual(job.train.layer.first { $0.name == "Recurrent1_gate_norm_mbox_conf" }?.convolutionParam.numOutput, 5 * 8, "8 priors: 1 + max + 3 ratios + 3 flipped")
        XCTAssertTrue(try cmd.render(home: "/x").hasPrefix("name: \"GRP_DSOD320_v2_gate_VOC0712_GRP_DSOD320_v2_gate_320x320_train\"\n"))
    }

    /// Bad models, datasets, phases and numbers stop with one message naming the choices.
    func testBadArgumentsGiveOneClearError() throws {
        let cases: [([String], String)] = [
            (["DSOD301"], "unknown model 'DSOD301'; expected one of DSOD300, GRP_DSOD320, DSOD512"),
            (["DSOD300", "--dataset", "voc2007"], "unknown dataset 'voc2007'; expected one of voc0712, voc0712plus, coco"),
            (["DSOD300", "--phase", "val"], "unknown phase 'val'; expected one of train, test, deploy, solver"),
            (["DSOD300", "--batch-size", "0"], "--batch-size must be positive"),
            (["DSOD300", "--num-classes", "1"], "--num-classes counts the background too"),
        ]
        for (arguments, expected) in cases {
            XCTAssertThrowsError(try command(arguments), "\(arguments)") { error in
                let message = DsodgenCommand.message(for: error)
                XCTAssertTrue(message.contains(expected), "\(arguments): \(message)")
                XCTAssertNotEqual(DsodgenCommand.exitCode(for: error), .success)
            }
        }
        XCTAssertThrowsError(try command(["DSOD300", "--gpus", "0,one"]).render(home: "/h")) { error in
            XCTAssertTrue("\(error)".contains("'one' is not a device number"), "\(error)")
        }
    }

    /// --out-dir lays the files out as the script does in its Caffe root, job script included.
    func testOutDirWritesTheJobAsTheScriptDoes() throws {
        let cmd = try command(["DSOD300", "--out-dir", folder, "--train-command", "./build/tools/caffe train"])
        let written = try cmd.writeJob(root: folder, home: "/home/user")
        let job = try DSODJob(script: try cmd.script(home: "/home/user"))
        let save = folder + "/models/DSOD300/VOC0712/DSOD300_300x300"
        let jobs = folder + "/jobs/DSOD300/VOC0712/DSOD300_300x300"
        for phase in DSODPhase.allCases {
            for dir in [save, jobs] {
                XCTAssertEqual(try String(contentsOfFile: "\(dir)/\(phase.rawValue).prototxt", encoding: .utf8), job.text(for: phase))
            }
        }
        let jobFile = jobs + "/DSOD300_VOC0712_DSOD300_300x300.sh"
        XCTAssertEqual(written.count, 9)
        XCTAssertEqual(written.last, jobFile)
        XCTAssertEqual(try String(contentsOfFile: jobFile, encoding: .utf8), try job.jobScript(root: folder))
        let permissions = try FileManager.default.attributesOfItem(atPath: jobFile)[.posixPermissions] as? Int
        XCTAssertEqual(permissions, 0o700)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/models/DSOD300/VOC0712/DSOD300_300x300"), "snapshot folder")
    }

    /// DSOD_tiny: synth by default; --out-dir writes the demo's flat layout (no copies) and a job
    /// script that trains in the folder.
    func testTinyOutDirIsFlat() throws {
        let cmd = try command(["DSOD_tiny", "--out-dir", folder])
        let written = try cmd.writeJob(root: folder, home: "/home/user")
        let job = try DSODJob(script: try cmd.script(home: "/home/user"))
        XCTAssertEqual(job.script.dataset, .synth)
        let root = URL(fileURLWithPath: folder).standardizedFileURL.path
        XCTAssertEqual(written, ["train", "test", "deploy", "solver"].map { "\(root)/\($0).prototxt" } + ["\(root)/DSOD_tiny_synth.sh"])
        for phase in DSODPhase.allCases {
            XCTAssertEqual(try String(contentsOfFile: "\(folder!)/\(phase.rawValue).prototxt", encoding: .utf8), job.text(for: phase))
        }
        XCTAssertEqual(try String(contentsOfFile: "\(folder!)/DSOD_tiny_synth.sh", encoding: .utf8),
                       "cd \(root)\ndsod train \\\n--solver=\"solver.prototxt\" \\\n2>&1 | tee DSOD_tiny_synth.log\n")
        var isFolder: ObjCBool = false
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder + "/snapshots", isDirectory: &isFolder) && isFolder.boolValue)
    }

    /// The demo's flags: paths, iterations, rate, batch, test set.
    func testTinyFlags() throws {
        let cmd = try command([
            "DSOD_tiny", "--train-lmdb", "lmdb/train", "--test-lmdb", "lmdb/test", "--label-map", "labels.prototxt",
            "--name-size", "sizes.txt", "--max-iter", "3000", "--base-lr", "0.05", "--batch-size", "4",
            "--num-test-image", "60", "--test-batch-size", "20",
        ])
        let job = try DSODJob(script: try cmd.script(home: "/h"))
        XCTAssertEqual([job.train.layer[0].dataParam.source, job.test.layer[0].dataParam.source], ["lmdb/train", "lmdb/test"])
        XCTAssertEqual(job.train.layer[0].annotatedDataParam.labelMapFile, "labels.prototxt")
        XCTAssertEqual(job.test.layer.last?.detectionEvaluateParam.nameSizeFile, "sizes.txt")
        XCTAssertEqual([job.solver.maxIter, job.solver.testInterval, job.solver.snapshot, job.solver.iterSize], [3000, 600, 3000, 1])
        XCTAssertEqual(job.solver.stepvalue, [2000, 2500])
        XCTAssertEqual(job.solver.baseLr, 0.05)
        XCTAssertEqual(job.solver.testIter, [3])
        XCTAssertEqual([job.train.layer[0].dataParam.batchSize, job.test.layer[0].dataParam.batchSize], [4, 20])
        XCTAssertEqual(try command(["DSOD_tiny", "--phase", "solver"]).render(home: "/h"),
                       try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("prototxt/DSOD_tiny_synth/solver.prototxt"), encoding: .utf8))
        for (arguments, expected) in [
            (["DSOD_tiny", "--max-iter", "0"], "--max-iter must be positive"),
            (["DSOD_tiny", "--base-lr", "0"], "--base-lr must be a positive number"),
            (["DSOD_tiny", "--test-batch-size", "0"], "--test-batch-size must be positive"),
            (["DSOD_tiny", "--num-test-image", "0"], "--num-test-image must be positive"),
        ] {
            XCTAssertThrowsError(try command(arguments), "\(arguments)") { error in
                XCTAssertTrue(DsodgenCommand.message(for: error).contains(expected), "\(arguments): \(DsodgenCommand.message(for: error))")
            }
        }
    }

    /// A score job needs a snapshot, found as the score script finds it, or given.
    func testScoreOutDirFindsTheNewestSnapshot() throws {
        let cmd = try command(["DSOD300", "--score"])
        XCTAssertThrowsError(try cmd.writeJob(root: folder, home: "/h")) { error in
            XCTAssertTrue("\(error)".contains("Cannot find snapshot in"), "\(error)")
        }
        let snapshots = folder + "/models/DSOD300/VOC0712/DSOD300_300x300"
        try FileManager.default.createDirectory(atPath: snapshots, withIntermediateDirectories: true)
        for iteration in [2000, 98000] {
            _ = FileManager.default.createFile(atPath: "\(snapshots)/DSOD300_VOC0712_DSOD300_300x300_iter_\(iteration).caffemodel", contents: Data())
        }
        let written = try cmd.writeJob(root: folder, home: "/h")
        let script = try String(contentsOfFile: written.last ?? "", encoding: .utf8)
        XCTAssertTrue(script.contains("--weights=\"models/DSOD300/VOC0712/DSOD300_300x300/DSOD300_VOC0712_DSOD300_300x300_iter_98000.caffemodel\""), script)
        XCTAssertTrue(script.contains("_test98000.log"), script)
        let given = try command(["DSOD300", "--score", "--snapshot-iter", "2000"]).writeJob(root: folder, home: "/h")
        XCTAssertTrue(try String(contentsOfFile: given.last ?? "", encoding: .utf8).contains("_iter_2000.caffemodel"))
    }

    /// The executable: prints the file, exits non-zero with one error line for a bad model.
    func testExecutable() throws {
        guard let binary = TestPaths.builtExecutable("dsodgen", besideBundleOf: Self.self) else {
            throw XCTSkip("dsodgen not built beside the tests")
        }
        func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
            let outcome = try ChildProcess.run(binary.path, arguments, environment: ["HOME": "/home/user"], timeout: 120)
            return (outcome.exitCode ?? -1, outcome.stdout, outcome.stderr)
        }
        let good = try run(["DSOD300", "--phase", "solver"])
        XCTAssertEqual(good.status, 0)
        XCTAssertEqual(good.out, try String(contentsOf: TestPaths.repoRoot.appendingPathComponent("prototxt/DSOD300_pascal/solver.prototxt"), encoding: .utf8))
        let bad = try run(["YOLO"])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertEqual(bad.out, "")
        XCTAssertTrue(bad.err.hasPrefix("Error: unknown model 'YOLO'; expected one of DSOD300, GRP_DSOD320, DSOD512"), bad.err)
    }
}
