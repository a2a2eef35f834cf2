/// The backbones `dsodgen` knows.
public enum DSODModel: String, CaseIterable, Sendable {
    case dsod300 = "DSOD300"
    case grpDSOD320 = "GRP_DSOD320"
    case dsod512 = "DSOD512"
    /// A small DSOD for the CPU demo (`DSOD_tiny_Body`, 160x160); not one of DSOD's models.
    case dsodTiny = "DSOD_tiny"

    /// The dataset `dsodgen` uses when `--dataset` is not given: the demo's for DSOD_tiny, VOC07+12
    /// for DSOD's own models.
    public var defaultDataset: DSODDataset { self == .dsodTiny ? .synth : .voc0712 }
}

/// The datasets of DSOD's scripts: `DSOD300_pascal.py` (VOC07+12 trainval), `DSOD300_pascal++.py`
/// (VOC07++12: trainval plus VOC07 test) and `DSOD300_coco.py` (COCO trainval35k, minival).
public enum DSODDataset: String, CaseIterable, Sendable {
    case voc0712
    case voc0712plus
    case coco
    /// `dsod synth-dataset`'s shapes (5 classes), the README's demo: paths inside the demo folder,
    /// a short CPU schedule, lighter augmentation, a flat folder layout (see docs/models.md).
    case synth

    /// The dataset's name inside the scripts' paths and model names.
    public var folderName: String {
        switch self {
        case .voc0712: return "VOC0712"
        case .voc0712plus: return "VOC0712Plus"
        case .coco: return "coco"
        case .synth: return "synth"
        }
    }
}

/// The settings block at the top of one of DSOD's scripts (`### Modify the following parameters
/// accordingly ###`): every variable the script sets before it builds the nets. Derived values
/// (batch size per device, `iter_size`, the learning rate, prior sizes, `test_iter`) are not
/// stored; `DSODJob` computes them from these exactly as the script does, so overriding e.g.
/// `gpus` changes them the way editing the script would.
///
/// `DSODScript(model:dataset:score:home:)` gives one of the six scripts for
/// (DSOD300, voc0712 / voc0712plus / coco), (GRP_DSOD320, voc0712), each with or without `score`
/// where a score script exists; every other combination applies the same differences to the
/// other models (see docs/dsodgen.md). The `synth` dataset is the README's demo rather than a
/// script: DSOD_tiny's default, with its own paths, augmentation and solver (docs/models.md).
public struct DSODScript: Sendable, Equatable {
    public var model: DSODModel
    public var dataset: DSODDataset
    /// The `score_*.py` variant: evaluates a trained snapshot instead of training.
    public var score: Bool

    // Data.
    public var trainData: String
    public var testData: String
    public var resizeWidth: Int
    public var resizeHeight: Int
    public var batchSampler: [ParamDict]
    public var trainTransformParam: ParamDict
    public var testTransformParam: ParamDict

    // Learning rate before scaling (`base_lr`; 0.0004 with batch norm).
    public var useBatchNorm = true
    public var lrMult: Double = 1
    public var baseLR: Double
    /// The solver's `base_lr` as written, instead of `baseLR` scaled as the scripts scale it
    /// (the demo's 0.02; `dsodgen --base-lr`).
    public var solverBaseLROverride: Double?

    // Names and paths.
    public var jobName: String
    public var modelName: String
    public var saveDir: String
    public var snapshotDir: String
    public var jobDir: String
    public var outputResultDir: String
    public var nameSizeFile: String
    public var labelMapFile: String

    // MultiBoxLoss.
    public var numClasses: Int
    public var shareLocation = true
    public var backgroundLabelID = 0
    public var trainOnDiffGT: Bool
    /// `P.Loss.VALID`; also NONE, FULL, BATCH_SIZE.
    public var normalizationMode = "VALID"
    public var codeType = "CENTER_SIZE"
    public var ignoreCrossBoundaryBBox = false
    public var miningType = "MAX_NEGATIVE"
    public var negPosRatio: Double = 3
    /// `SOFTMAX` or `LOGISTIC`; chooses how the test net turns `mbox_conf` into scores.
    public var confLossType = "SOFTMAX"

    // Priors.
    public var minDim: Int
    public var mboxSourceLayers: [String]
    /// `Gated_module` sources and their channel counts (GRP-DSOD only; empty otherwise).
    public var gateSourceLayers: [String] = []
    public var channelNums: [Int] = []
    /// In percent of `minDim`.
    public var minRatio: Int
    public var maxRatio = 90
    /// The first source's min and max size, in percent of `minDim` (prepended to the ladder).
    public var firstMinPercent: Int
    public var firstMaxPercent: Int
    public var steps: [Double]
    public var aspectRatios: [[Double]]
    public var normalizations: [Double]
    public var flip = true
    public var clip = false

    // Solver.
    public var gpus: String
    public var batchSize: Int
    public var accumBatchSize: Int
    public var numTestImage: Int
    public var testBatchSize: Int
    /// `int(math.ceil(num_test_image / test_batch_size))`; DSOD300_coco.py floors instead.
    public var testIterRoundsUp = true
    public var stepvalue: [Int]
    public var maxIter: Int
    public var snapshot: Int
    public var display: Int
    public var testInterval: Int
    public var testInitialization: Bool
    public var snapshotAfterTrain: Bool

    // DetectionOutput.
    /// Whether DetectionOutput writes the detections (`save_output_param`) for the official
    /// evaluation tools; the demo only needs DetectionEvaluate's mAP.
    public var saveDetections = true
    public var outputNamePrefix: String
    public var outputFormat: String

    /// The script's file name without `.py`: `DSOD300_pascal++`, `score_GRP_DSOD320_pascal`, or
    /// for a combination without a script of its own, the name it would have (`DSOD512_pascal`).
    public var scriptName: String {
        let datasetPart: String
        switch dataset {
        case .voc0712: datasetPart = "pascal"
        case .voc0712plus: datasetPart = "pascal++"
        case .coco: datasetPart = "coco"
        case .synth: datasetPart = "synth"
        }
        return (score ? "score_" : "") + "\(model.rawValue)_\(datasetPart)"
    }

    /// Whether DSOD's repository has this script (the other combinations are composed).
    public var isOriginalScript: Bool {
        switch (model, dataset, score) {
        case (.dsod300, _, false), (.dsod300, .voc0712, true), (.grpDSOD320, .voc0712, _): return true
        default: return false
        }
    }

    /// The settings of the script for `model` on `dataset` (its score variant with `score`),
    /// with `$HOME` as `home`. LMDB sources follow SSD's `examples/<dataset>/` convention instead
    /// of the authors' absolute paths. Without a dataset, the model's `defaultDataset`.
    public init(model: DSODModel, dataset: DSODDataset? = nil, score: Bool = false, home: String) {
        let dataset = dataset ?? model.defaultDataset
        self.model = model
        self.dataset = dataset
        self.score = score

        switch model {
        case .dsod300: resizeWidth = 300
        case .grpDSOD320: resizeWidth = 320
        case .dsod512: resizeWidth = 512
        case .dsodTiny: resizeWidth = 160
        }
        resizeHeight = resizeWidth
        let resize = "\(resizeWidth)x\(resizeHeight)"

        switch dataset {
        case .voc0712:
            trainData = "examples/VOC0712/VOC0712_trainval_lmdb"
            testData = "examples/VOC0712/VOC0712_test_lmdb"
        case .voc0712plus:
            trainData = "examples/VOC0712Plus/VOC0712Plus_trainvalplus_lmdb"
            testData = "examples/VOC0712Plus/VOC0712Plus_test_lmdb"
        case .coco:
            trainData = "examples/coco/coco_train_lmdb"
            testData = "examples/coco/coco_minival_lmdb"
        case .synth:
            // Relative to the demo folder, which training runs in (see docs/models.md).
            trainData = "synth/trainval_lmdb"
            testData = "synth/test_lmdb"
        }
        if dataset == .synth {
            batchSampler = DSODScript.demoBatchSamplers
            trainTransformParam = DSODScript.demoTrainTransform(width: resizeWidth, height: resizeHeight)
        } else {
            batchSampler = DSODScript.ssdBatchSamplers
            trainTransformParam = DSODScript.trainTransform(width: resizeWidth, height: resizeHeight, forceColor: dataset == .coco)
        }
        testTransformParam = DSODScript.testTransform(width: resizeWidth, height: resizeHeight, forceColor: dataset == .coco)
        baseLR = useBatchNorm ? 0.0004 : 0.00004

        // Names and paths: `models/<arch>/<dataset>/<job>`; score scripts add `_score` to the
        // folders they write (not to the snapshot folder they read).
        let arch: String
        switch model {
        case .dsod300: arch = "DSOD300"
        case .grpDSOD320: arch = "GRP_DSOD320_v2_gate"
        case .dsod512: arch = "DSOD512"
        case .dsodTiny: arch = "DSOD_tiny"
        }
        let data = dataset.folderName
        let scoreSuffix = score ? "_score" : ""
        jobName = "\(arch)_\(resize)"
        if dataset == .synth {
            // The demo's flat layout: the files in the folder itself (a score job in `score/`),
            // snapshots in `snapshots/`.
            modelName = "\(arch)_\(data)"
            saveDir = score ? "score" : ""
            snapshotDir = "snapshots"
            jobDir = saveDir
        } else {
            modelName = "\(arch)_\(data)_\(jobName)"
            saveDir = "models/\(arch)/\(data)/\(jobName)\(scoreSuffix)"
            // score_GRP_DSOD320_pascal.py looks for snapshots under models/DSOD300/, not under the
            // folder GRP_DSOD320_pascal.py writes them to; kept as the script has it.
            let snapshotArch = (score && model == .grpDSOD320) ? "DSOD300" : arch
            snapshotDir = "models/\(snapshotArch)/\(data)/\(jobName)"
            jobDir = "jobs/\(arch)/\(data)/\(jobName)\(scoreSuffix)"
        }
        switch dataset {
        case .voc0712, .voc0712plus:
            outputResultDir = "\(home)/data/VOCdevkit/results/VOC2007/\(jobName)\(scoreSuffix)/Main"
            nameSizeFile = "data/\(data)/test_name_size.txt"
            labelMapFile = "data/\(data)/labelmap_voc.prototxt"
            numClasses = 21
            trainOnDiffGT = true
            outputNamePrefix = "comp4_det_test_"
            outputFormat = "VOC"
        case .coco:
            outputResultDir = "\(home)/data/mscoco/results/\(jobName)\(scoreSuffix)"
            nameSizeFile = "data/coco/minival2014_name_size.txt"
            labelMapFile = "data/coco/labelmap_coco.prototxt"
            numClasses = 81
            trainOnDiffGT = false
            outputNamePrefix = "detections_minival_ssd300_results"
            outputFormat = "COCO"
        case .synth:
            // What `dsod synth-dataset` writes beside its images; no detection files are saved.
            outputResultDir = ""
            nameSizeFile = "synth/test_name_size.txt"
            labelMapFile = "synth/labelmap.prototxt"
            numClasses = 6
            trainOnDiffGT = true
            outputNamePrefix = ""
            outputFormat = ""
            saveDetections = false
        }

        // Priors: the SSD ladder of sizes between minRatio and maxRatio percent of minDim.
        minDim = resizeWidth
        switch model {
        case .dsod300:
            mboxSourceLayers = ["First", "Second", "Third", "Fourth", "Fifth", "Sixth"]
            steps = [8, 16, 32, 64, 100, 300]
            aspectRatios = [[2], [2, 3], [2, 3], [2, 3], [2], [2]]
        case .grpDSOD320:
            gateSourceLayers = (1...6).map { "Recurrent\($0)" }
            mboxSourceLayers = gateSourceLayers.map { "\($0)_gate" }
            channelNums = [1184, 513, 258, 258, 258, 256]
            steps = [8, 16, 32, 64, 100, 320]
            aspectRatios = [[1.6, 2, 3], [1.6, 2, 3], [1.6, 2, 3], [1.6, 2, 3], [1.6, 2], [1.6, 2]]
        case .dsod512:
            // SSD512's layout (ssd_pascal_512.py / ssd_coco_512.py): seven sources.
            mboxSourceLayers = ["First", "Second", "Third", "Fourth", "Fifth_", "Sixth_", "Seventh_"]
            steps = [8, 16, 32, 64, 128, 256, 512]
            aspectRatios = [[2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2]]
        case .dsodTiny:
            // Steps are the sources' strides; the 3x3 map gets none, so PriorBox takes 160 / 3
            // and centres its priors symmetrically (64 would put the last column on the border).
            // The synthetic objects are no more elongated than 1:2.4 after warping, so ratio 3
            // is left out everywhere.
            mboxSourceLayers = ["First", "Second", "Third", "Fourth"]
            steps = [8, 16, 32, 0]
            aspectRatios = [[2], [2], [2], [2]]
        }
        normalizations = Array(repeating: 20, count: mboxSourceLayers.count)
        switch (model, dataset) {
        case (.dsod512, .coco): (minRatio, firstMinPercent, firstMaxPercent) = (10, 4, 10)
        case (.dsod512, _), (_, .coco): (minRatio, firstMinPercent, firstMaxPercent) = (15, 7, 15)
        default: (minRatio, firstMinPercent, firstMaxPercent) = (20, 10, 20)
        }

        // Solver.
        gpus = "0,1,2,3,4,5,6,7"
        batchSize = model == .grpDSOD320 ? 48 : 32
        accumBatchSize = 128
        switch dataset {
        case .voc0712: (numTestImage, testBatchSize) = (4952, 2)
        case .voc0712plus: (numTestImage, testBatchSize) = (10991, 1)
        case .coco: (numTestImage, testBatchSize) = (5000, 2)
        case .synth: (numTestImage, testBatchSize) = (100, 10)
        }
        testIterRoundsUp = dataset != .coco
        stepvalue = [20000, 40000, 60000, 80000, 100000]
        maxIter = 100000
        snapshot = 2000
        display = 20
        testInterval = 2000
        testInitialization = true
        snapshotAfterTrain = true
        switch dataset {
        case .voc0712:
            break
        case .voc0712plus:
            maxIter = 120000
            testInterval = 160000
            testInitialization = false
        case .coco:
            stepvalue = [80000, 140000, 200000, 260000, 320000]
            maxIter = 320000
            snapshot = 10000
            display = 10
            testInterval = 1000000
            testInitialization = false
        case .synth:
            break
        }
        if model == .grpDSOD320 && dataset != .coco { stepvalue = [20000, 40000, 60000, 80000] }
        // Replaces every solver number above (including GRP-DSOD's schedule).
        if dataset == .synth { applyDemoSolverSettings() }

        if score {
            // "The number does not matter since we do not do training with this script."
            gpus = dataset == .synth ? "" : "0"
            batchSize = 1
            accumBatchSize = 1
            if dataset != .synth { testBatchSize = 8 }
            maxIter = 0
            snapshot = 0
            display = 10
            snapshotAfterTrain = false
        }
    }
}

extension DSODScript {
    /// DSOD's six scripts (DSOD300_pascal, DSOD300_pascal++, DSOD300_coco, GRP_DSOD320_pascal,
    /// score_DSOD300_pascal, score_GRP_DSOD320_pascal).
    public static func originalScripts(home: String) -> [DSODScript] {
        [
            DSODScript(model: .dsod300, dataset: .voc0712, home: home),
            DSODScript(model: .dsod300, dataset: .voc0712plus, home: home),
            DSODScript(model: .dsod300, dataset: .coco, home: home),
            DSODScript(model: .grpDSOD320, dataset: .voc0712, home: home),
            DSODScript(model: .dsod300, dataset: .voc0712, score: true, home: home),
            DSODScript(model: .grpDSOD320, dataset: .voc0712, score: true, home: home),
        ]
    }

    /// The jobs whose files are committed under `prototxt/<scriptName>/` (`make prototxt`):
    /// DSOD's six scripts, then the demo's DSOD_tiny on `synth` (`DSOD_tiny_synth`).
    public static func committedScripts(home: String) -> [DSODScript] {
        originalScripts(home: home) + [DSODScript(model: .dsodTiny, dataset: .synth, home: home)]
    }
}
