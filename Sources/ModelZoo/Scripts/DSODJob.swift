import CaffeProto

/// The four files a DSOD script writes, built as the script builds them.
public enum DSODPhase: String, CaseIterable, Sendable {
    case train, test, deploy, solver
}

/// The nets and solver of one DSOD script: what `python DSOD300_pascal.py` writes to
/// `train.prototxt`, `test.prototxt`, `deploy.prototxt` and `solver.prototxt`.
public struct DSODJob: Sendable {
    public let script: DSODScript
    /// Named `<model>_train`, as the line the script prints before the net.
    public let train: Caffe_NetParameter
    /// Named `<model>_test`.
    public let test: Caffe_NetParameter
    /// The test net without its data and evaluation layers, with a `data` input instead.
    public let deploy: Caffe_NetParameter
    public let solver: Caffe_SolverParameter

    public init(script: DSODScript) throws {
        self.script = script
        guard script.testBatchSize > 0 else {
            throw NetSpecError.invalidRecipe("test batch size must be positive, got \(script.testBatchSize)")
        }
        let split = try script.batchSplit()
        let sizes = try script.priorSizes()

        var train = try DSODJob.trainNet(script, batchSizePerDevice: split.batchSizePerDevice, priorSizes: sizes)
        train.name = "\(script.modelName)_train"
        var test = try DSODJob.testNet(script, priorSizes: sizes)
        test.name = "\(script.modelName)_test"
        self.train = train
        self.test = test
        self.deploy = DSODJob.deployNet(from: test, script)
        self.solver = DSODJob.solverParameter(script, split: split)
    }

    /// The file for `phase` as the script writes it: the text format, then the extra newline
    /// `print(proto, file=f)` adds.
    public func text(for phase: DSODPhase) -> String {
        switch phase {
        case .train: return CaffeText.format(train) + "\n"
        case .test: return CaffeText.format(test) + "\n"
        case .deploy: return CaffeText.format(deploy) + "\n"
        case .solver: return CaffeText.format(solver) + "\n"
        }
    }

    // MARK: - The nets

    /// The backbone, the gates (GRP-DSOD) and the multibox head, on a net that has `data`.
    private static func addBodyAndHead(_ net: NetSpec, _ script: DSODScript, priorSizes: (min: [Double], max: [Double])) throws -> [Top] {
        switch script.model {
        case .dsod300:
            try DSOD300_V3_Body(net, fromLayer: "data")
        case .grpDSOD320:
            try GRP_DSOD320_V6_Recurrent_Pyramid(net, fromLayer: "data")
            try Gated_module(net, channelNums: script.channelNums, fromLayers: script.gateSourceLayers)
        case .dsod512:
            try DSOD512_V3_Body(net, fromLayer: "data")
        case .dsodTiny:
            try DSOD_tiny_Body(net, fromLayer: "data")
        }
        var head = MultiBoxHeadSettings(numClasses: script.numClasses, fromLayers: script.mboxSourceLayers,
                                        minSizes: priorSizes.min.map { [$0] })
        head.dataLayer = "data"
        head.useBatchNorm = script.useBatchNorm
        head.maxSizes = priorSizes.max.map { [$0] }
        head.aspectRatios = script.aspectRatios
        head.steps = script.steps
        head.normalizations = script.normalizations
        head.shareLocation = script.shareLocation
        head.flip = script.flip
        head.clip = script.clip
        head.priorVariance = script.priorVariance
        head.kernelSize = 3
        head.pad = 1
        head.lrMult = script.lrMult
        return try CreateMultiBoxHead(net, head)
    }

    private static func trainNet(_ script: DSODScript, batchSizePerDevice: Int,
                                 priorSizes: (min: [Double], max: [Double])) throws -> Caffe_NetParameter
    {
        let net = NetSpec()
        let tops = CreateAnnotatedDataLayer(
            source: script.trainData, batchSize: batchSizePerDevice, outputLabel: true, train: true,
            labelMapFile: script.labelMapFile, transformParam: script.trainTransformParam, batchSampler: script.batchSampler)
        net["data"] = tops[0]
        net["label"] = tops[1]
        var mboxLayers = try addBodyAndHead(net, script, priorSizes: priorSizes)
        mboxLayers.append(try net.top("label"))
        net["mbox_loss"] = L.MultiBoxLoss(mboxLayers, params: [
            "multibox_loss_param": .dict(multiBoxLossParam(script)),
            "loss_param": ["normalization": .enumValue(script.normalizationMode)],
            "include": ["phase": .enumValue("TRAIN")],
            "propagate_down": .bools([true, true, false, false]),
        ])
        return try net.toProto()
    }

    private static func testNet(_ script: DSODScript, priorSizes: (min: [Double], max: [Double])) throws -> Caffe_NetParameter {
        let net = NetSpec()
        let tops = CreateAnnotatedDataLayer(
            source: script.testData, batchSize: script.testBatchSize, outputLabel: true, train: false,
            labelMapFile: script.labelMapFile, transformParam: script.testTransformParam)
        net["data"] = tops[0]
        net["label"] = tops[1]
        var mboxLayers = try addBodyAndHead(net, script, priorSizes: priorSizes)

        // Class scores from the confidence logits.
        let confName = "mbox_conf"
        if script.confLossType == "SOFTMAX" {
            net["\(confName)_reshape"] = L.Reshape(try net.top(confName), params: ["shape": ["dim": .ints([0, -1, script.numClasses])]])
            net["\(confName)_softmax"] = L.Softmax(try net.top("\(confName)_reshape"), params: ["axis": 2])
            net["\(confName)_flatten"] = L.Flatten(try net.top("\(confName)_softmax"), params: ["axis": 1])
            mboxLayers[1] = try net.top("\(confName)_flatten")
        } else if script.confLossType == "LOGISTIC" {
            net["\(confName)_sigmoid"] = L.Sigmoid(try net.top(confName))
            mboxLayers[1] = try net.top("\(confName)_sigmoid")
        }

        net["detection_out"] = L.DetectionOutput(mboxLayers, params: [
            "detection_output_param": .dict(detectionOutputParam(script)),
            "include": ["phase": .enumValue("TEST")],
        ])
        net["detection_eval"] = L.DetectionEvaluate(try net.top("detection_out"), try net.top("label"), params: [
            "detection_evaluate_param": [
                "num_classes": .int(script.numClasses),
                "background_label_id": .int(script.backgroundLabelID),
                "overlap_threshold": 0.5,
                "evaluate_difficult_gt": false,
                "name_size_file": .string(script.nameSizeFile),
            ],
            "include": ["phase": .enumValue("TEST")],
        ])
        return try net.toProto()
    }

    /// The test net minus its first (AnnotatedData) and last (DetectionEvaluate) layer, with
    /// `input: "data"` of shape 1×3×H×W.
    private static func deployNet(from test: Caffe_NetParameter, _ script: DSODScript) -> Caffe_NetParameter {
        var deploy = test
        if !deploy.layer.isEmpty { deploy.layer.removeFirst() }
        if !deploy.layer.isEmpty { deploy.layer.removeLast() }
        deploy.name = "\(script.modelName)_deploy"
        deploy.input.append("data")
        var shape = Caffe_BlobShape()
        shape.dim = [1, 3, Int64(script.resizeHeight), Int64(script.resizeWidth)]
        deploy.inputShape.append(shape)
        return deploy
    }

    private static func multiBoxLossParam(_ script: DSODScript) -> ParamDict {
        [
            "loc_loss_type": .enumValue("SMOOTH_L1"),
            "conf_loss_type": .enumValue(script.confLossType),
            "loc_weight": .float(script.locWeight),
            "num_classes": .int(script.numClasses),
            "share_location": .bool(script.shareLocation),
            "match_type": .enumValue("PER_PREDICTION"),
            "overlap_threshold": 0.5,
            "use_prior_for_matching": true,
            "background_label_id": .int(script.backgroundLabelID),
            "use_difficult_gt": .bool(script.trainOnDiffGT),
            "mining_type": .enumValue(script.miningType),
            "neg_pos_ratio": .float(script.negPosRatio),
            "neg_overlap": 0.5,
            "code_type": .enumValue(script.codeType),
            "ignore_cross_boundary_bbox": .bool(script.ignoreCrossBoundaryBBox),
        ]
    }

    private static func detectionOutputParam(_ script: DSODScript) -> ParamDict {
        var param: ParamDict = [
            "num_classes": .int(script.numClasses),
            "share_location": .bool(script.shareLocation),
            "background_label_id": .int(script.backgroundLabelID),
            "nms_param": ["nms_threshold": 0.45, "top_k": 400],
            "keep_top_k": 200,
            "confidence_threshold": 0.01,
            "code_type": .enumValue(script.codeType),
        ]
        if script.saveDetections {
            param["save_output_param"] = [
                "output_directory": .string(script.outputResultDir),
                "output_name_prefix": .string(script.outputNamePrefix),
                "output_format": .string(script.outputFormat),
                "label_map_file": .string(script.labelMapFile),
                "name_size_file": .string(script.nameSizeFile),
                "num_test_image": .int(script.numTestImage),
            ]
        }
        return param
    }

    // MARK: - The solver

    private static func solverParameter(_ script: DSODScript, split: DSODScript.BatchSplit) -> Caffe_SolverParameter {
        var solver = Caffe_SolverParameter()
        solver.trainNet = script.trainNetFile
        solver.testNet = [script.testNetFile]
        solver.snapshotPrefix = script.snapshotPrefix
        solver.baseLr = Float(script.solverBaseLROverride ?? script.solverBaseLR(batchSizePerDevice: split.batchSizePerDevice))
        solver.weightDecay = 0.0005
        solver.lrPolicy = "multistep"
        solver.stepvalue = script.stepvalue.map { Int32(clamping: $0) }
        solver.gamma = 0.1
        solver.momentum = 0.9
        solver.iterSize = Int32(clamping: split.iterSize)
        solver.maxIter = Int32(clamping: script.maxIter)
        solver.snapshot = Int32(clamping: script.snapshot)
        solver.display = Int32(clamping: script.display)
        solver.averageLoss = 10
        solver.type = "SGD"
        solver.solverMode = split.solverMode == "GPU" ? .gpu : .cpu
        solver.deviceID = Int32(clamping: split.deviceID)
        solver.debugInfo = false
        solver.snapshotAfterTrain = script.snapshotAfterTrain
        solver.testIter = [Int32(clamping: script.testIter)]
        solver.testInterval = Int32(clamping: script.testInterval)
        solver.evalType = "detection"
        solver.apVersion = "11point"
        solver.testInitialization = script.testInitialization
        return solver
    }
}
