/// Caffe's V1 → V2 layer upgrade (`UpgradeV1LayerParameter` in src/caffe/util/upgrade_proto.cpp):
/// the enum type becomes its string name, `blobs_lr[i]`/`weight_decay[i]`/`param[i]`/
/// `blob_share_mode[i]` become `param[i].lr_mult`/`decay_mult`/`name`/`share_mode`, blobs are copied
/// unchanged (still in legacy 4-D dims), and every typed `*_param` is copied over.
enum V1LayerUpgrade {
    /// Caffe's V1 enum names → V2 type strings (`UpgradeV1LayerType`).
    static let typeNames: [String: String] = [
        "NONE": "", "ABSVAL": "AbsVal", "ACCURACY": "Accuracy", "ARGMAX": "ArgMax", "BNLL": "BNLL",
        "CONCAT": "Concat", "CONTRASTIVE_LOSS": "ContrastiveLoss", "CONVOLUTION": "Convolution",
        "DECONVOLUTION": "Deconvolution", "DATA": "Data", "DROPOUT": "Dropout", "DUMMY_DATA": "DummyData",
        "EUCLIDEAN_LOSS": "EuclideanLoss", "ELTWISE": "Eltwise", "EXP": "Exp", "FLATTEN": "Flatten",
        "HDF5_DATA": "HDF5Data", "HDF5_OUTPUT": "HDF5Output", "HINGE_LOSS": "HingeLoss", "IM2COL": "Im2col",
        "IMAGE_DATA": "ImageData", "INFOGAIN_LOSS": "InfogainLoss", "INNER_PRODUCT": "InnerProduct",
        "LRN": "LRN", "MEMORY_DATA": "MemoryData", "MULTINOMIAL_LOGISTIC_LOSS": "MultinomialLogisticLoss",
        "MVN": "MVN", "POOLING": "Pooling", "POWER": "Power", "RELU": "ReLU", "SIGMOID": "Sigmoid",
        "SIGMOID_CROSS_ENTROPY_LOSS": "SigmoidCrossEntropyLoss", "SILENCE": "Silence", "SOFTMAX": "Softmax",
        "SOFTMAX_LOSS": "SoftmaxWithLoss", "SPLIT": "Split", "SLICE": "Slice", "TANH": "TanH",
        "WINDOW_DATA": "WindowData", "THRESHOLD": "Threshold",
    ]

    static func upgrade(_ v1: Caffe_V1LayerParameter, index: Int, file: String) throws -> Caffe_LayerParameter {
        var layer = Caffe_LayerParameter()
        layer.bottom = v1.bottom
        layer.top = v1.top
        if v1.hasName { layer.name = v1.name }
        layer.include = v1.include
        layer.exclude = v1.exclude
        if v1.hasType {
            let enumName = ProtoSchema.caffe.enums["caffe.V1LayerParameter.LayerType"]?.name(of: Int32(v1.type.rawValue)) ?? ""
            guard let typeName = typeNames[enumName] else {
                throw CaffeFormatError(file: file, message: "V1 layer #\(index) ('\(v1.name)') has type \(enumName), which has no modern equivalent")
            }
            layer.type = typeName
        }
        layer.blobs = v1.blobs
        func param(_ i: Int) -> Int {
            while layer.param.count <= i { layer.param.append(Caffe_ParamSpec()) }
            return i
        }
        for (i, name) in v1.param.enumerated() { layer.param[param(i)].name = name }
        for (i, mode) in v1.blobShareMode.enumerated() {
            layer.param[param(i)].shareMode = mode == .permissive ? .permissive : .strict
        }
        for (i, lr) in v1.blobsLr.enumerated() { layer.param[param(i)].lrMult = lr }
        for (i, decay) in v1.weightDecay.enumerated() { layer.param[param(i)].decayMult = decay }
        layer.lossWeight = v1.lossWeight
        if v1.hasAccuracyParam { layer.accuracyParam = v1.accuracyParam }
        if v1.hasArgmaxParam { layer.argmaxParam = v1.argmaxParam }
        if v1.hasConcatParam { layer.concatParam = v1.concatParam }
        if v1.hasContrastiveLossParam { layer.contrastiveLossParam = v1.contrastiveLossParam }
        if v1.hasConvolutionParam { layer.convolutionParam = v1.convolutionParam }
        if v1.hasDataParam { layer.dataParam = v1.dataParam }
        if v1.hasDropoutParam { layer.dropoutParam = v1.dropoutParam }
        if v1.hasDummyDataParam { layer.dummyDataParam = v1.dummyDataParam }
        if v1.hasEltwiseParam { layer.eltwiseParam = v1.eltwiseParam }
        if v1.hasExpParam { layer.expParam = v1.expParam }
        if v1.hasHdf5DataParam { layer.hdf5DataParam = v1.hdf5DataParam }
        if v1.hasHdf5OutputParam { layer.hdf5OutputParam = v1.hdf5OutputParam }
        if v1.hasHingeLossParam { layer.hingeLossParam = v1.hingeLossParam }
        if v1.hasImageDataParam { layer.imageDataParam = v1.imageDataParam }
        if v1.hasInfogainLossParam { layer.infogainLossParam = v1.infogainLossParam }
        if v1.hasInnerProductParam { layer.innerProductParam = v1.innerProductParam }
        if v1.hasLrnParam { layer.lrnParam = v1.lrnParam }
        if v1.hasMemoryDataParam { layer.memoryDataParam = v1.memoryDataParam }
        if v1.hasMvnParam { layer.mvnParam = v1.mvnParam }
        if v1.hasPoolingParam { layer.poolingParam = v1.poolingParam }
        if v1.hasPowerParam { layer.powerParam = v1.powerParam }
        if v1.hasReluParam { layer.reluParam = v1.reluParam }
        if v1.hasSigmoidParam { layer.sigmoidParam = v1.sigmoidParam }
        if v1.hasSoftmaxParam { layer.softmaxParam = v1.softmaxParam }
        if v1.hasSliceParam { layer.sliceParam = v1.sliceParam }
        if v1.hasTanhParam { layer.tanhParam = v1.tanhParam }
        if v1.hasThresholdParam { layer.thresholdParam = v1.thresholdParam }
        if v1.hasWindowDataParam { layer.windowDataParam = v1.windowDataParam }
        if v1.hasTransformParam { layer.transformParam = v1.transformParam }
        if v1.hasLossParam { layer.lossParam = v1.lossParam }
        if v1.hasLayer {
            throw CaffeFormatError(file: file, message: "layer #\(index) ('\(v1.name)') mixes a V0 layer into a V1 net; V0 nets are not supported")
        }
        return layer
    }
}
