import ArgumentParser
import Foundation
import ModelZoo

/// `dsodgen`: DSOD's net-generating scripts as one command. Each run builds the nets and solver
/// the chosen script builds and prints one of them, or with `--out-dir` writes them all with
/// the job script, as the script does.
public struct DsodgenCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dsodgen",
        abstract: "Write the DSOD300, GRP_DSOD320 and DSOD512 nets and solvers exactly as DSOD's scripts do, and DSOD_tiny for the CPU demo.",
        discussion: """
            MODEL and --dataset pick the script: DSOD300 → DSOD300_pascal.py \
            (voc0712), DSOD300_pascal++.py (voc0712plus), DSOD300_coco.py (coco); \
            GRP_DSOD320 → GRP_DSOD320_pascal.py. --score picks the score script \
            (score_DSOD300_pascal.py, score_GRP_DSOD320_pascal.py). DSOD512 has no \
            script: it takes DSOD300_pascal.py's settings with SSD512's priors. \
            Layer names match the released .caffemodel files. See docs/dsodgen.md.

            DSOD_tiny (160x160, 0.3 M parameters) is a small DSOD for training on a \
            CPU; its default dataset, synth, is `dsod synth-dataset`'s shapes with \
            paths inside the demo folder, a short CPU schedule and a flat --out-dir \
            layout (train/test/deploy/solver.prototxt in DIR, snapshots in \
            DIR/snapshots). See docs/models.md.

            Paths default to the scripts' own (label map, name-size file, solver \
            net paths, snapshot prefix, results under $HOME); the LMDBs default to \
            SSD's examples/<dataset>/ folders.

            Examples:
              dsodgen DSOD300 > deploy.prototxt
              dsodgen GRP_DSOD320 --phase train > train.prototxt
              dsodgen DSOD300 --dataset coco --phase solver --gpus 0,1
              dsodgen DSOD300 --phase train --train-lmdb /data/trainval_lmdb
              dsodgen DSOD300 --out-dir ~/caffe   # all files + job script
              dsodgen DSOD_tiny --out-dir demo --max-iter 4000
              (cd demo && dsod train --solver solver.prototxt)
            """)

    @Argument(help: "The model: \(DSODModel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var model: String

    @Option(help: "The dataset: \(DSODDataset.allCases.map(\.rawValue).joined(separator: ", ")) (default: synth for DSOD_tiny, voc0712 otherwise).")
    var dataset: String?

    @Flag(help: "The model's score script (evaluate a trained snapshot) instead of its training script.")
    var score = false

    @Option(help: "Which file to print: \(DSODPhase.allCases.map(\.rawValue).joined(separator: ", ")).")
    var phase: String = DSODPhase.deploy.rawValue

    @Option(name: .customLong("train-lmdb"), help: "The training LMDB (default: examples/<dataset>/..._lmdb; synth: synth/trainval_lmdb).")
    var trainLMDB: String?

    @Option(name: .customLong("test-lmdb"), help: "The test LMDB (synth: synth/test_lmdb).")
    var testLMDB: String?

    @Option(name: .customLong("label-map"), help: "The label map file (default: the script's data/<dataset>/labelmap_*.prototxt; synth: synth/labelmap.prototxt).")
    var labelMap: String?

    @Option(name: .customLong("name-size"), help: "The test images' name-size file (default: the script's; synth: synth/test_name_size.txt).")
    var nameSize: String?

    @Option(help: "GPU ids the batch is split over, as in the scripts (default: the script's, 0,...,7 for training). An empty value makes a CPU solver.")
    var gpus: String?

    @Option(help: "The mini-batch size before splitting over GPUs (default: the script's, 32 or 48; synth: 8).")
    var batchSize: Int?

    @Option(help: "The batch size gradients are accumulated to (default: the script's, 128; synth: the batch size); sets iter_size.")
    var accumBatchSize: Int?

    @Option(help: "The number of classes including background (default: 21 for VOC, 81 for COCO, 6 for synth).")
    var numClasses: Int?

    @Option(help: "Training iterations (default: the script's; synth: \(DSODScript.demoMaxIter), with the rate dropping at 2/3 and 5/6 and the test and snapshot at the end).")
    var maxIter: Int?

    @Option(name: .customLong("base-lr"), help: "The solver's base_lr as written (default: the scripts' formula, 0.1; synth: \(DSODScript.demoBaseLR)).")
    var baseLR: Double?

    @Option(help: "The number of test images (default: the script's; synth: 100, synth-dataset's default).")
    var numTestImage: Int?

    @Option(help: "The test net's batch size; test_iter covers the test images with it (default: the script's; synth: 10).")
    var testBatchSize: Int?

    @Option(help: "Write train, test, deploy and solver prototxt and the job script under this folder, laid out as the script lays them out in the Caffe root (models/..., jobs/...); for synth, flat in the folder (snapshots in snapshots/).")
    var outDir: String?

    @Option(help: "The training command the job script runs.")
    var trainCommand: String = "dsod train"

    @Option(help: "With --score --out-dir: the snapshot iteration to evaluate (default: the newest <model>_iter_<n>.caffemodel in the snapshot folder).")
    var snapshotIter: Int?

    public init() {}

    public func validate() throws {
        _ = try parsedModel()
        _ = try parsedDataset()
        _ = try parsedPhase()
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive, got \(batchSize)") }
        if let accumBatchSize, accumBatchSize <= 0 { throw ValidationError("--accum-batch-size must be positive, got \(accumBatchSize)") }
        if let numClasses, numClasses <= 1 { throw ValidationError("--num-classes counts the background too; it must be at least 2, got \(numClasses)") }
        if let snapshotIter, snapshotIter <= 0 { throw ValidationError("--snapshot-iter must be positive, got \(snapshotIter)") }
        if let maxIter, maxIter <= 0 { throw ValidationError("--max-iter must be positive, got \(maxIter)") }
        if let baseLR, !(baseLR > 0 && baseLR.isFinite) { throw ValidationError("--base-lr must be a positive number, got \(baseLR)") }
        if let numTestImage, numTestImage <= 0 { throw ValidationError("--num-test-image must be positive, got \(numTestImage)") }
        if let testBatchSize, testBatchSize <= 0 { throw ValidationError("--test-batch-size must be positive, got \(testBatchSize)") }
    }

    public func run() throws {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        if let outDir {
            for path in try writeJob(root: outDir, home: home) { print(path) }
        } else {
            FileHandle.standardOutput.write(Data(try render(home: home).utf8))
        }
    }

    // MARK: - The work, as functions of the options

    func parsedModel() throws -> DSODModel {
        guard let model = DSODModel(rawValue: model) else {
            throw ValidationError("unknown model '\(model)'; expected one of \(DSODModel.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return model
    }

    func parsedDataset() throws -> DSODDataset {
        guard let dataset else { return try parsedModel().defaultDataset }
        guard let dataset = DSODDataset(rawValue: dataset.lowercased()) else {
            throw ValidationError("unknown dataset '\(dataset)'; expected one of \(DSODDataset.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return dataset
    }

    func parsedPhase() throws -> DSODPhase {
        guard let phase = DSODPhase(rawValue: phase.lowercased()) else {
            throw ValidationError("unknown phase '\(phase)'; expected one of \(DSODPhase.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return phase
    }

    /// The script's settings with the flags applied, `$HOME` being `home`.
    func script(home: String) throws -> DSODScript {
        var script = DSODScript(model: try parsedModel(), dataset: try parsedDataset(), score: score, home: home)
        if let trainLMDB { script.trainData = trainLMDB }
        if let testLMDB { script.testData = testLMDB }
        if let labelMap { script.labelMapFile = labelMap }
        if let nameSize { script.nameSizeFile = nameSize }
        if let gpus { script.gpus = gpus }
        if let batchSize { script.setBatchSize(batchSize) }
        if let accumBatchSize { script.accumBatchSize = accumBatchSize }
        if let numClasses { script.numClasses = numClasses }
        if let maxIter { script.setMaxIter(maxIter) }
        if let baseLR { script.solverBaseLROverride = baseLR }
        if let numTestImage { script.numTestImage = numTestImage }
        if let testBatchSize { script.testBatchSize = testBatchSize }
        return script
    }

    /// The file `--phase` selects, as the script writes it.
    func render(home: String) throws -> String {
        try DSODJob(script: try script(home: home)).text(for: try parsedPhase())
    }

    /// `--out-dir`: writes the files under `root` and returns their paths.
    func writeJob(root: String, home: String) throws -> [String] {
        let script = try script(home: home)
        return try DsodgenJobWriter.write(job: try DSODJob(script: script), root: root, trainCommand: trainCommand,
                                          snapshotIteration: snapshotIter)
    }
}
