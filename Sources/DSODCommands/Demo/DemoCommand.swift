import ArgumentParser
import CaffeProto
import DataPipeline
import Foundation
import ModelZoo

/// `dsod demo`: DSOD's point, shown on this machine in minutes — a small DSOD trained from
/// scratch on a synthetic dataset, scored, and its detections drawn.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train a small DSOD from scratch on synthetic shapes, score it and draw its detections.",
        discussion: """
            Runs the whole workflow in one folder, as a user would with the separate tools:
              1. dsod synth-dataset        (synth/: JPEG images, VOC XML, label map)
              2. dsod create-annoset       (synth/trainval_lmdb, synth/test_lmdb)
              3. dsodgen DSOD_tiny         (train/test/deploy/solver.prototxt)
              4. dsod train                (train.log, snapshots/)
              5. dsod score                (mAP and per-class AP on the test split)
              6. dsod detect               (detections/*.png)
              7. dsod plot                 (training.png)

            Example:
              dsod demo --out demo-output
              dsod demo --out /tmp/quick --train 16 --test 4 --max-iter 20   # a smoke test
            """)

    @Option(help: "The folder for everything the demo writes.")
    var out: String = "demo-output"

    @Option(help: "Training images to make.")
    var train = 400

    @Option(help: "Test images to make.")
    var test = 100

    @Option(help: "Training iterations (batch 8).")
    var maxIter = DSODScript.demoMaxIter

    @Option(help: "Dataset seed.")
    var seed: UInt64 = 1

    @Option(help: "Test images to draw detections on.")
    var draw = 8

    func validate() throws {
        guard train > 0, test > 0, maxIter > 0, draw >= 0 else {
            throw ValidationError("--train, --test and --max-iter must be positive, --draw 0 or more")
        }
    }

    func run() throws {
        let summary = try Self.run(out: out, train: train, test: test, maxIter: maxIter, seed: seed, draw: draw, echo: true)
        print(summary.joined(separator: "\n"))
    }

    /// The test batch: the largest divisor of the test count up to 10, so no image is scored twice.
    static func testBatchSize(_ test: Int) -> Int { (1...min(10, test)).last { test % $0 == 0 } ?? 1 }

    /// Runs every step and returns the closing summary lines.
    static func run(out: String, train: Int, test: Int, maxIter: Int, seed: UInt64, draw: Int, echo: Bool) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: out, withIntermediateDirectories: true)
        let root = URL(fileURLWithPath: out).standardizedFileURL.path
        func say(_ text: String) { if echo { FileHandle.standardError.write(Data("==> \(text)\n".utf8)) } }
        let started = Date()

        say("1/7 making \(train) training and \(test) test images in \(root)/synth")
        let synth = root + "/synth"
        let bar = ProgressBar(total: train + test, label: "images", enabled: echo && isatty(STDERR_FILENO) != 0)
        try SyntheticDataset(trainCount: train, testCount: test, seed: seed).write(to: synth) { done, _ in bar.update(done: done) }
        bar.clear()

        say("2/7 converting them to LMDBs (create-annoset)")
        var options = AnnosetOptions()
        options.annoType = .detection
        options.labelType = .xml
        options.labelMapFile = synth + "/labelmap.prototxt"
        options.checkLabel = true
        options.encoded = true
        options.encodeType = "jpg"
        for split in ["trainval", "test"] {
            let lmdb = "\(synth)/\(split)_lmdb"
            if fm.fileExists(atPath: lmdb) { try fm.removeItem(atPath: lmdb) }
            // The root is prefixed to the list's paths as is (convert_annoset): it needs its slash.
            let report = try DatasetTools.createAnnoset(root: synth + "/", listFile: "\(synth)/\(split).txt", output: lmdb, options: options)
            guard report.written == (split == "test" ? test : train) else {
                throw ValidationError("create-annoset wrote \(report.written) records to \(lmdb): \(report.skipped.prefix(3).joined(separator: "; "))")
            }
        }

        say("3/7 generating DSOD_tiny's nets and solver (dsodgen DSOD_tiny)")
        let testBatch = testBatchSize(test)
        let gen = try DsodgenCommand.parse(["DSOD_tiny", "--out-dir", root, "--max-iter", String(maxIter),
                                            "--num-test-image", String(test), "--test-batch-size", String(testBatch)])
        try gen.validate()
        _ = try gen.writeJob(root: root, home: NSHomeDirectory())

        say("4/7 training from scratch for \(maxIter) iterations (dsod train; log in train.log)")
        let previous = fm.currentDirectoryPath
        guard fm.changeCurrentDirectoryPath(root) else { throw ValidationError("cannot enter \(root)") }
        defer { _ = fm.changeCurrentDirectoryPath(previous) }
        let solver = try TrainCommand.train(solverPath: "solver.prototxt", weights: nil, snapshot: nil, iterations: nil,
                                            logPath: "train.log", echo: false, progress: echo)
        let weights = solver.snapshotPath(".caffemodel", iteration: maxIter)

        say("5/7 scoring on the \(test) test images (dsod score)")
        let report = try ScoreCommand.score(solver: nil, model: "test.prototxt", weights: weights,
                                            iterations: test / testBatch, apVersion: "11point", echoLog: false)
        try CaffeFiles.writeAtomically(Data(report.json().utf8), to: "score.json")

        say("6/7 drawing detections on \(min(draw, test)) test images (dsod detect)")
        let detector = try Detector(model: "deploy.prototxt", weights: weights, labelMap: "synth/labelmap.prototxt",
                                    mean: [104, 117, 123])
        try fm.createDirectory(atPath: "detections", withIntermediateDirectories: true)
        let testIDs = try String(contentsOfFile: "synth/ImageSets/Main/test.txt", encoding: .utf8).split(separator: "\n")
        for id in testIDs.prefix(draw) {
            let (image, detections) = try detector.detect(imagePath: "synth/JPEGImages/\(id).jpg", threshold: 0.5)
            try CaffeFiles.writeAtomically(DetectionDrawing.draw(detections, on: image).png(), to: "detections/\(id)_detections.png")
        }

        say("7/7 plotting the training curves (dsod plot)")
        _ = try PlotCommand.plot(logPath: "train.log", out: "training.png", csv: false)

        let minutes = Date().timeIntervalSince(started) / 60
        return [report.table(), "",
                String(format: "Done in %.1f minutes.", minutes),
                "  trained weights:  \(root)/\(weights)",
                "  detections:       \(root)/detections/",
                "  training curves:  \(root)/training.png",
                "  training log:     \(root)/train.log",
                "  score (JSON):     \(root)/score.json"]
    }
}
