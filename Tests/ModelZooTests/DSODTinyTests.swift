import CaffeProto
import ModelZoo
import XCTest

/// DSOD_tiny on the synth dataset (the README's demo): the nets parse back, names are unique,
/// shapes follow Caffe's size rules to the four sources and into MultiBoxLoss, and the parameter
/// count, multiply-adds and prior count are the ones docs/models.md gives.
final class DSODTinyTests: XCTestCase {
    private func job(_ configure: (inout DSODScript) -> Void = { _ in }) throws -> DSODJob {
        var script = DSODScript(model: .dsodTiny, home: "/home/user")
        configure(&script)
        return try DSODJob(script: script)
    }

    func testDefaultDatasetIsSynth() throws {
        XCTAssertEqual(DSODScript(model: .dsodTiny, home: "/h").dataset, .synth)
        XCTAssertEqual(DSODScript(model: .dsod300, home: "/h").dataset, .voc0712)
        XCTAssertEqual(try job().script.scriptName, "DSOD_tiny_synth")
    }

    /// The text of each file parses back into the same message.
    func testFilesParseBack() throws {
        let job = try job()
        let nets: [(DSODPhase, Caffe_NetParameter)] = [(.train, job.train), (.test, job.test), (.deploy, job.deploy)]
        for (phase, net) in nets {
            XCTAssertEqual(try CaffeText.parse(job.text(for: phase), as: Caffe_NetParameter.self, file: phase.rawValue), net, "\(phase)")
        }
        XCTAssertEqual(try CaffeText.parse(job.text(for: .solver), as: Caffe_SolverParameter.self, file: "solver"), job.solver)
        XCTAssertEqual([job.train.name, job.test.name, job.deploy.name], ["DSOD_tiny_synth_train", "DSOD_tiny_synth_test", "DSOD_tiny_synth_deploy"])
        XCTAssertEqual([job.train.layer.count, job.test.layer.count, job.deploy.layer.count], [208, 212, 210])
    }

    /// Every layer name is used once, and a blob is written by one layer plus in-place layers.
    func testNamesAreUniqueAndEachBlobHasOneProducer() throws {
        let job = try job()
        for (phase, net) in [("train", job.train), ("test", job.test), ("deploy", job.deploy)] {
            let names = net.layer.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, "\(phase): repeated layer names")
            var producers: [String: Int] = [:]
            for layer in net.layer {
                for top in layer.top where !layer.bottom.contains(top) { producers[top, default: 0] += 1 }
            }
            XCTAssertEqual(producers.filter { $0.value > 1 }.keys.sorted(), [], "\(phase): blobs written by two layers")
        }
    }

    /// Sources at strides 8, 16, 32 and 53 (160 / 3) with the channels of docs/models.md; every
    /// Concat joins equal sizes.
    func testSourceShapes() throws {
        let shapes = BlobShapeInference(try job().deploy)
        XCTAssertEqual(shapes.problems, [])
        XCTAssertEqual(shapes.shapes["data"], [1, 3, 160, 160])
        XCTAssertEqual(["First", "Second", "Third", "Fourth"].map { shapes.shapes[$0] ?? [] },
                       [[1, 64, 20, 20], [1, 128, 10, 10], [1, 128, 5, 5], [1, 64, 3, 3]])
    }

    /// Learnable values from the layer shapes, against the same count worked out from the
    /// design (stem 8/8/16, growth 12 with a 24-wide bottleneck, 2/2/3/3 layers, Second 64 + 64,
    /// Third 64 + 64, Fourth 32 + 32, 3x3 heads of 4 priors over 6 classes).
    func testParameterCount() throws {
        let shapes = BlobShapeInference(try job().deploy)
        // Pre-activation conv: BatchNorm's Scale on the input (2c) and the weights.
        func bnReLUConv(_ c: Int, _ out: Int, _ k: Int) -> Int { 2 * c + c * out * k * k }
        func denseBlock(_ c: Int, _ layers: Int) -> Int {
            (0..<layers).map { c + 12 * $0 }.map { bnReLUConv($0, 24, 1) + bnReLUConv(24, 12, 3) }.reduce(0, +)
        }
        func downsampling(_ c: Int, _ f: Int) -> Int { bnReLUConv(c, f, 1) + bnReLUConv(f, f, 3) + bnReLUConv(c, f, 1) }
        func head(_ c: Int) -> Int { c + (c * 16 * 9 + 2 * 16) + (c * 24 * 9 + 2 * 24) }  // Normalize, loc, conf
        let stem = (3 * 8 + 8 * 8 + 8 * 16) * 9 + 2 * (8 + 8 + 16)
        let body = stem
            + denseBlock(16, 2) + bnReLUConv(40, 40, 1)
            + denseBlock(40, 2) + bnReLUConv(64, 64, 1)
            + denseBlock(64, 3) + bnReLUConv(100, 100, 1)
            + denseBlock(100, 3) + bnReLUConv(136, 64, 1) + bnReLUConv(64, 64, 1)
            + downsampling(128, 64) + downsampling(128, 32)
        let heads = head(64) + head(128) + head(128) + head(64)
        XCTAssertEqual(body + heads, 286_728)
        XCTAssertEqual(shapes.learnableValues, body + heads)
        XCTAssertEqual(shapes.batchNormValues, 4_330)
    }

    /// Convolution multiply-adds per image (deploy net, batch 1): 52.1 M, 28% of tiny_dsod's
    /// 187.8 M at 300x300 (golden/train/tiny_dsod).
    func testMultiplyAdds() throws {
        let shapes = BlobShapeInference(try job().deploy)
        XCTAssertEqual(shapes.convolutionMultiplyAdds, 52_120_768)
        let heads = shapes.multiplyAddsByLayer.filter { $0.layer.contains("_mbox_") }.map(\.count).reduce(0, +)
        XCTAssertEqual(heads, 15_183_360)
        XCTAssertEqual(shapes.multiplyAddsByLayer.prefix(3).map(\.count), [1_382_400, 3_686_400, 7_372_800], "the stem at 80x80")
    }

    /// DSOD's formula for four sources: min_ratio 20, max_ratio 90, step 35, the first source
    /// 10% / 20%: 16/32, 32/88, 88/144, 144/200 at 160. Ratio 2 (and 1/2) everywhere: 4 priors
    /// per cell, 4 x (400 + 100 + 25 + 9) = 2136 priors.
    func testPriors() throws {
        let job = try job()
        let boxes = job.deploy.layer.filter { $0.type == "PriorBox" }
        XCTAssertEqual(boxes.map(\.bottom), ["First", "Second", "Third", "Fourth"].map { ["\($0)_norm", "data"] })
        XCTAssertEqual(boxes.map(\.priorBoxParam.minSize), [[16], [32], [88], [144]])
        XCTAssertEqual(boxes.map(\.priorBoxParam.maxSize), [[32], [88], [144], [200]])
        XCTAssertEqual(boxes.map(\.priorBoxParam.aspectRatio), [[2], [2], [2], [2]])
        XCTAssertEqual(boxes.map(\.priorBoxParam.step), [8, 16, 32, 0])
        XCTAssertEqual(boxes.map(\.priorBoxParam.hasStep), [true, true, true, false], "PriorBox derives 160 / 3 for the 3x3 map")
        XCTAssertEqual(boxes.map { BlobShapeInference.priorsPerCell($0.priorBoxParam) }, [4, 4, 4, 4])
        XCTAssertEqual(BlobShapeInference(job.deploy).shapes["mbox_priorbox"], [1, 2, 2136 * 4])
    }

    /// The train net's MultiBoxLoss reads loc (N x 4P), conf (N x 6P) and priors (1 x 2 x 4P)
    /// for the same P, and the label.
    func testMultiBoxLossInputsAgree() throws {
        let train = try job().train
        let shapes = BlobShapeInference(train)
        XCTAssertEqual(shapes.problems, [])
        guard let loss = train.layer.last, loss.type == "MultiBoxLoss" else { return XCTFail("the train net should end in MultiBoxLoss") }
        XCTAssertEqual(loss.bottom, ["mbox_loc", "mbox_conf", "mbox_priorbox", "label"])
        XCTAssertEqual(loss.multiboxLossParam.numClasses, 6)
        let priors = 2136
        XCTAssertEqual(shapes.shapes["mbox_loc"], [8, priors * 4])
        XCTAssertEqual(shapes.shapes["mbox_conf"], [8, priors * 6])
        XCTAssertEqual(shapes.shapes["mbox_priorbox"], [1, 2, priors * 4])
        // The test net's scores reshape to N x P x 6 before DetectionOutput.
        let testShapes = BlobShapeInference(try job().test)
        XCTAssertEqual(testShapes.shapes["mbox_conf_reshape"], [10, priors, 6])
    }

    /// The demo's data layers: paths inside the demo folder, the lighter augmentation.
    func testDataLayers() throws {
        let job = try job()
        let train = job.train.layer[0], test = job.test.layer[0]
        XCTAssertEqual([train.dataParam.source, test.dataParam.source], ["synth/trainval_lmdb", "synth/test_lmdb"])
        XCTAssertEqual([train.dataParam.batchSize, test.dataParam.batchSize], [8, 10])
        XCTAssertEqual(train.annotatedDataParam.labelMapFile, "synth/labelmap.prototxt")
        let transform = train.transformParam
        XCTAssertTrue(transform.mirror)
        XCTAssertEqual(transform.meanValue, [104, 117, 123])
        XCTAssertEqual([transform.resizeParam.width, transform.resizeParam.height], [160, 160])
        XCTAssertEqual(transform.resizeParam.interpMode, [.linear])
        XCTAssertFalse(transform.hasExpandParam, "no zoom-out")
        XCTAssertEqual(transform.distortParam.hueProb, 0)
        XCTAssertTrue(transform.distortParam.hasHueProb, "written, to show hue is left alone on purpose")
        XCTAssertEqual([transform.distortParam.brightnessProb, transform.distortParam.contrastProb, transform.distortParam.saturationProb], [0.3, 0.3, 0.3])
        XCTAssertEqual(transform.emitConstraint.emitType, .center)
        let samplers = train.annotatedDataParam.batchSampler
        XCTAssertEqual(samplers.count, 7)
        XCTAssertEqual(samplers.dropFirst().map(\.sampler.minScale), Array(repeating: 0.5, count: 6))
        XCTAssertEqual(samplers.dropFirst().map(\.sampleConstraint.minJaccardOverlap), [0.1, 0.3, 0.5, 0.7, 0.9, 0])
        XCTAssertEqual(test.transformParam.resizeParam.interpMode, [.linear])
        XCTAssertFalse(test.transformParam.mirror)
    }

    /// DetectionOutput as DSOD's test net has it, minus the files it would write.
    func testDetectionLayers() throws {
        let test = try job().test
        guard let output = test.layer.first(where: { $0.type == "DetectionOutput" })?.detectionOutputParam,
              let evaluate = test.layer.last?.detectionEvaluateParam
        else { return XCTFail("no detection layers") }
        XCTAssertFalse(output.hasSaveOutputParam)
        XCTAssertEqual(output.nmsParam.nmsThreshold, 0.45)
        XCTAssertEqual(output.numClasses, 6)
        XCTAssertEqual(output.keepTopK, 200)
        XCTAssertEqual(evaluate.nameSizeFile, "synth/test_name_size.txt")
        XCTAssertEqual(evaluate.numClasses, 6)
        XCTAssertEqual(test.layer.last?.type, "DetectionEvaluate")
    }

    func testSolver() throws {
        let solver = try job().solver
        XCTAssertEqual([solver.trainNet, solver.snapshotPrefix, solver.type, solver.lrPolicy], ["train.prototxt", "snapshots/DSOD_tiny_synth", "SGD", "multistep"])
        XCTAssertEqual(solver.testNet, ["test.prototxt"])
        XCTAssertEqual([solver.baseLr, solver.momentum, solver.weightDecay, solver.gamma], [0.02, 0.9, 0.0005, 0.1])
        XCTAssertEqual(solver.stepvalue, [1666, 2083])
        XCTAssertEqual([solver.maxIter, solver.testInterval, solver.snapshot, solver.display, solver.iterSize], [2500, 500, 2500, 10, 1])
        XCTAssertEqual(solver.testIter, [10])
        XCTAssertFalse(solver.testInitialization)
        XCTAssertTrue(solver.snapshotAfterTrain)
        XCTAssertEqual(solver.solverMode, .cpu)
        XCTAssertEqual([solver.evalType, solver.apVersion], ["detection", "11point"])
    }

    /// The schedule follows max_iter; the gradient is never accumulated; the rate can be set.
    func testScheduleFollowsMaxIterAndBatch() throws {
        let job = try job { script in
            script.setMaxIter(1200)
            script.setBatchSize(16)
            script.solverBaseLROverride = 0.05
            script.numTestImage = 50
        }
        XCTAssertEqual(job.solver.stepvalue, [800, 1000])
        XCTAssertEqual([job.solver.maxIter, job.solver.testInterval, job.solver.snapshot, job.solver.iterSize], [1200, 240, 1200, 1])
        XCTAssertEqual(job.solver.testIter, [5])
        XCTAssertEqual(job.solver.baseLr, 0.05)
        XCTAssertEqual(job.train.layer[0].dataParam.batchSize, 16)
        // Too short for two steps: no zero or repeated step values.
        XCTAssertEqual(try self.job { $0.setMaxIter(1) }.solver.stepvalue, [])
        XCTAssertEqual(try self.job { $0.setMaxIter(3) }.solver.stepvalue, [2])
        // A batch larger than the accumulated batch would make iter_size 0 on the CPU.
        XCTAssertThrowsError(try self.job { $0.batchSize = 16 }) { error in
            XCTAssertTrue("\(error)".contains("accumulated batch size 8 is smaller than the batch size 16"), "\(error)")
        }
        // DSOD's scripts keep their schedule; only max_iter changes.
        var dsod = DSODScript(model: .dsod300, home: "/h")
        dsod.setMaxIter(500)
        dsod.setBatchSize(16)
        XCTAssertEqual(dsod.stepvalue, [20000, 40000, 60000, 80000, 100000])
        XCTAssertEqual([dsod.maxIter, dsod.accumBatchSize], [500, 128])
    }

    /// Other combinations compose: the tiny net with VOC's paths, classes and DSOD's solver;
    /// DSOD300 with the demo's settings.
    func testOtherCombinations() throws {
        let voc = try DSODJob(script: DSODScript(model: .dsodTiny, dataset: .voc0712, home: "/home/user"))
        XCTAssertEqual(voc.script.saveDir, "models/DSOD_tiny/VOC0712/DSOD_tiny_160x160")
        XCTAssertEqual(voc.train.layer.first { $0.name == "First_norm_mbox_conf" }?.convolutionParam.numOutput, 4 * 21)
        XCTAssertEqual(voc.solver.baseLr, 0.1)
        XCTAssertTrue(voc.test.layer.first { $0.type == "DetectionOutput" }?.detectionOutputParam.hasSaveOutputParam ?? false)
        let coco = DSODScript(model: .dsodTiny, dataset: .coco, home: "/h")
        XCTAssertEqual(try coco.priorSizes().min, [11.2, 24, 83.2, 142.4], "min_ratio 15, step 37, 7% first")

        let demo300 = try DSODJob(script: DSODScript(model: .dsod300, dataset: .synth, home: "/h"))
        XCTAssertEqual(demo300.deploy.inputShape.first?.dim, [1, 3, 300, 300])
        XCTAssertEqual(demo300.solver.snapshotPrefix, "snapshots/DSOD300_synth")
        XCTAssertEqual(demo300.train.layer.first { $0.name == "Sixth_norm_mbox_conf" }?.convolutionParam.numOutput, 4 * 6)

        let score = try job { $0 = DSODScript(model: .dsodTiny, score: true, home: "/h") }
        XCTAssertEqual([score.script.solverFile, score.script.snapshotPrefix], ["score/solver.prototxt", "snapshots/DSOD_tiny_synth"])
        XCTAssertEqual([score.solver.maxIter, score.solver.iterSize, score.solver.testIter.first ?? 0], [0, 1, 10])
        XCTAssertEqual(score.solver.solverMode, .cpu)
    }
}
