import CaffeProto
import ModelZoo
import XCTest

/// The numbers of the scripts without reference files, worked out by hand from the scripts'
/// code (Python 2 arithmetic), against what `DSODJob` generates.
final class ScriptSettingsTests: XCTestCase {
    private func job(_ model: DSODModel, _ dataset: DSODDataset, score: Bool = false) throws -> DSODJob {
        try DSODJob(script: DSODScript(model: model, dataset: dataset, score: score, home: "/home/user"))
    }

    private func priorBoxes(_ net: Caffe_NetParameter) -> [Caffe_PriorBoxParameter] {
        net.layer.filter { $0.type == "PriorBox" }.map(\.priorBoxParam)
    }

    private func assertSizes(_ net: Caffe_NetParameter, min: [Float], max: [Float], file: StaticString = #filePath, line: UInt = #line) {
        let boxes = priorBoxes(net)
        XCTAssertEqual(boxes.count, min.count, file: file, line: line)
        for (box, (lo, hi)) in zip(boxes, zip(min, max)) {
            XCTAssertEqual(box.minSize.count, 1, file: file, line: line)
            XCTAssertEqual(box.minSize.first ?? 0, lo, accuracy: 1e-4, file: file, line: line)
            XCTAssertEqual(box.maxSize.first ?? 0, hi, accuracy: 1e-4, file: file, line: line)
        }
    }

    /// DSOD300_coco.py: min_ratio 15, step floor(75 / 4) = 18, ratios 15, 33, 51, 69, 87, then
    /// 7% and 15% first; 81 classes; test_iter = 5000 / 2 (floor division); COCO schedule.
    func testDSOD300Coco() throws {
        let job = try job(.dsod300, .coco)
        assertSizes(job.train, min: [21, 45, 99, 153, 207, 261], max: [45, 99, 153, 207, 261, 315])
        let conf = job.train.layer.first { $0.name == "First_norm_mbox_conf" }
        XCTAssertEqual(conf?.convolutionParam.numOutput, 4 * 81, "4 priors per location at First")
        let loss = job.train.layer.first { $0.type == "MultiBoxLoss" }?.multiboxLossParam
        XCTAssertEqual(loss?.numClasses, 81)
        XCTAssertEqual(loss?.useDifficultGt, false)
        XCTAssertEqual(job.train.layer[0].transformParam.forceColor, true)
        XCTAssertEqual(job.test.layer[0].transformParam.forceColor, true)
        XCTAssertEqual(job.train.layer[0].dataParam.source, "examples/coco/coco_train_lmdb")
        XCTAssertEqual(job.test.layer[0].dataParam.source, "examples/coco/coco_minival_lmdb")
        let save = job.test.layer.first { $0.type == "DetectionOutput" }?.detectionOutputParam.saveOutputParam
        XCTAssertEqual(save?.outputDirectory, "/home/user/data/mscoco/results/DSOD300_300x300")
        XCTAssertEqual(save?.outputFormat, "COCO")
        XCTAssertEqual(save?.outputNamePrefix, "detections_minival_ssd300_results")
        XCTAssertEqual(save?.nameSizeFile, "data/coco/minival2014_name_size.txt")
        XCTAssertEqual(save?.labelMapFile, "data/coco/labelmap_coco.prototxt")
        XCTAssertEqual(save?.numTestImage, 5000)
        XCTAssertEqual(job.test.layer.first { $0.name == "mbox_conf_reshape" }?.reshapeParam.shape.dim, [0, -1, 81])
        let solver = job.solver
        XCTAssertEqual(solver.testIter, [2500])
        XCTAssertEqual(solver.stepvalue, [80000, 140000, 200000, 260000, 320000])
        XCTAssertEqual([solver.maxIter, solver.snapshot, solver.display, solver.testInterval], [320000, 10000, 10, 1000000])
        XCTAssertFalse(solver.testInitialization)
        XCTAssertEqual(solver.iterSize, 4)
        XCTAssertEqual(solver.baseLr, 0.1)
        XCTAssertEqual(solver.snapshotPrefix, "models/DSOD300/coco/DSOD300_300x300/DSOD300_coco_DSOD300_300x300")
    }

    /// DSOD300_pascal++.py: VOC0712Plus paths, 10991 test images one at a time, 120k iterations,
    /// testing only at iteration 160000 (never).
    func testDSOD300PascalPlusPlus() throws {
        let job = try job(.dsod300, .voc0712plus)
        assertSizes(job.train, min: [30, 60, 111, 162, 213, 264], max: [60, 111, 162, 213, 264, 315])
        XCTAssertEqual(job.train.name, "DSOD300_VOC0712Plus_DSOD300_300x300_train")
        XCTAssertEqual(job.train.layer[0].dataParam.source, "examples/VOC0712Plus/VOC0712Plus_trainvalplus_lmdb")
        XCTAssertEqual(job.test.layer[0].dataParam.source, "examples/VOC0712Plus/VOC0712Plus_test_lmdb")
        XCTAssertEqual(job.test.layer[0].dataParam.batchSize, 1)
        XCTAssertEqual(job.train.layer[0].annotatedDataParam.labelMapFile, "data/VOC0712Plus/labelmap_voc.prototxt")
        XCTAssertEqual(job.solver.testIter, [10991])
        XCTAssertEqual([job.solver.maxIter, job.solver.testInterval], [120000, 160000])
        XCTAssertFalse(job.solver.testInitialization)
        XCTAssertEqual(job.solver.stepvalue, [20000, 40000, 60000, 80000, 100000])
    }

    /// score_DSOD300_pascal.py: one GPU, batch 1, test batch 8 (ceil(4952 / 8) = 619 iterations),
    /// no training, `_score` folders; the nets are the training script's otherwise.
    func testScoreDSOD300Pascal() throws {
        let job = try job(.dsod300, .voc0712, score: true)
        let solver = job.solver
        XCTAssertEqual(solver.testIter, [619])
        XCTAssertEqual([solver.maxIter, solver.snapshot, solver.display, solver.iterSize, solver.deviceID], [0, 0, 10, 1, 0])
        XCTAssertFalse(solver.snapshotAfterTrain)
        XCTAssertEqual(solver.baseLr, 0.1)
        XCTAssertEqual(solver.trainNet, "models/DSOD300/VOC0712/DSOD300_300x300_score/train.prototxt")
        XCTAssertEqual(solver.snapshotPrefix, "models/DSOD300/VOC0712/DSOD300_300x300/DSOD300_VOC0712_DSOD300_300x300")
        XCTAssertEqual(job.train.layer[0].dataParam.batchSize, 1)
        XCTAssertEqual(job.test.layer[0].dataParam.batchSize, 8)
        let save = job.deploy.layer.first { $0.type == "DetectionOutput" }?.detectionOutputParam.saveOutputParam
        XCTAssertEqual(save?.outputDirectory, "/home/user/data/VOCdevkit/results/VOC2007/DSOD300_300x300_score/Main")
        let train = try self.job(.dsod300, .voc0712)
        XCTAssertEqual(job.deploy.layer.filter { $0.type != "DetectionOutput" }, train.deploy.layer.filter { $0.type != "DetectionOutput" })
    }

    /// score_GRP_DSOD320_pascal.py reads snapshots from models/DSOD300/..., as written.
    func testScoreGRPDSOD320ReadsSnapshotsWhereTheScriptDoes() throws {
        let job = try job(.grpDSOD320, .voc0712, score: true)
        XCTAssertEqual(job.solver.snapshotPrefix,
                       "models/DSOD300/VOC0712/GRP_DSOD320_v2_gate_320x320/GRP_DSOD320_v2_gate_VOC0712_GRP_DSOD320_v2_gate_320x320")
        XCTAssertEqual(job.solver.trainNet, "models/GRP_DSOD320_v2_gate/VOC0712/GRP_DSOD320_v2_gate_320x320_score/train.prototxt")
        XCTAssertEqual(job.solver.stepvalue, [20000, 40000, 60000, 80000])
        XCTAssertEqual(job.solver.iterSize, 1)
    }

    /// GRP_DSOD320_pascal.py: 320 input (sizes 32, 64, 118.4, ...), batch 48 over 8 GPUs =
    /// 6 per device, iter_size ceil(128 / 48) = 3.
    func testGRPDSOD320Arithmetic() throws {
        let script = DSODScript(model: .grpDSOD320, home: "/h")
        let sizes = try script.priorSizes()
        XCTAssertEqual(sizes.min, [32, 64, 118.4, 172.8, 227.2, 281.6].map { $0 }, "min sizes")
        XCTAssertEqual(sizes.max.last, 336)
        let split = try script.batchSplit()
        XCTAssertEqual([split.batchSizePerDevice, split.iterSize], [6, 3])
    }

    /// DSOD512 (no script): SSD512's seven sources and sizes, 7% and 15% first, step 15.
    func testDSOD512Priors() throws {
        let job = try job(.dsod512, .voc0712)
        assertSizes(job.train, min: [35.84, 76.8, 153.6, 230.4, 307.2, 384, 460.8],
                    max: [76.8, 153.6, 230.4, 307.2, 384, 460.8, 537.6])
        XCTAssertEqual(priorBoxes(job.train).map(\.aspectRatio), [[2], [2, 3], [2, 3], [2, 3], [2, 3], [2], [2]])
        XCTAssertEqual(job.deploy.name, "DSOD512_VOC0712_DSOD512_512x512_deploy")
        XCTAssertEqual(job.train.layer[0].transformParam.resizeParam.height, 512)
        let coco = try self.job(.dsod512, .coco)
        assertSizes(coco.train, min: [20.48, 51.2, 133.12, 215.04, 296.96, 378.88, 460.8],
                    max: [51.2, 133.12, 215.04, 296.96, 378.88, 460.8, 542.72])
    }

    /// The batch arithmetic for other GPU lists, and the CPU branch for an empty one.
    func testBatchSplit() throws {
        var script = DSODScript(model: .dsod300, home: "/h")
        script.gpus = "2,3,5"
        var split = try script.batchSplit()
        // ceil(32 / 3) = 11 per device; ceil(128 / 33) = 4.
        XCTAssertEqual([split.batchSizePerDevice, split.iterSize, split.deviceID], [11, 4, 2])
        XCTAssertEqual(split.solverMode, "GPU")
        script.gpus = ""
        split = try script.batchSplit()
        XCTAssertEqual([split.batchSizePerDevice, split.iterSize], [32, 4])
        XCTAssertEqual(split.solverMode, "CPU")
        let job = try DSODJob(script: script)
        XCTAssertEqual(job.solver.solverMode, .cpu)
        script.gpus = "0,x"
        XCTAssertThrowsError(try script.batchSplit())
        script.gpus = "0"
        script.normalizationMode = "NONE"
        // 0.0004 / 32 * 10
        XCTAssertEqual(script.solverBaseLR(batchSizePerDevice: 32), 0.0004 / 32 * 10)
    }

    /// The six scripts are the ones DSOD's repository has.
    func testOriginalScriptNames() {
        XCTAssertEqual(DSODScript.originalScripts(home: "/h").map(\.scriptName), [
            "DSOD300_pascal", "DSOD300_pascal++", "DSOD300_coco", "GRP_DSOD320_pascal",
            "score_DSOD300_pascal", "score_GRP_DSOD320_pascal",
        ])
        XCTAssertTrue(DSODScript.originalScripts(home: "/h").allSatisfy(\.isOriginalScript))
        XCTAssertFalse(DSODScript(model: .dsod512, home: "/h").isOriginalScript)
    }

    /// The job script, as the scripts write it.
    func testJobScripts() throws {
        let train = try job(.dsod300, .voc0712)
        XCTAssertEqual(try train.jobScript(root: "/home/user/caffe"), """
            cd /home/user/caffe
            ./build/tools/caffe train \\
            --solver="models/DSOD300/VOC0712/DSOD300_300x300/solver.prototxt" \\
            --gpu 0,1,2,3,4,5,6,7 2>&1 | tee jobs/DSOD300/VOC0712/DSOD300_300x300/DSOD300_VOC0712_DSOD300_300x300.log

            """)
        let score = try job(.dsod300, .voc0712, score: true)
        XCTAssertEqual(try score.jobScript(root: "/r", trainCommand: "dsod train", scoreIteration: 100000), """
            cd /r
            dsod train \\
            --solver="models/DSOD300/VOC0712/DSOD300_300x300_score/solver.prototxt" \\
            --weights="models/DSOD300/VOC0712/DSOD300_300x300/DSOD300_VOC0712_DSOD300_300x300_iter_100000.caffemodel" \\
            --gpu 0 2>&1 | tee jobs/DSOD300/VOC0712/DSOD300_300x300_score/DSOD300_VOC0712_DSOD300_300x300_test100000.log

            """)
        XCTAssertEqual(score.script.newestSnapshotIteration(in: [
            "DSOD300_VOC0712_DSOD300_300x300_iter_2000.caffemodel", "DSOD300_VOC0712_DSOD300_300x300_iter_100000.caffemodel",
            "DSOD300_VOC0712_DSOD300_300x300_iter_120000.solverstate", "other_iter_5.caffemodel",
        ]), 100000)
        XCTAssertNil(score.script.newestSnapshotIteration(in: ["x.caffemodel"]))
    }
}
