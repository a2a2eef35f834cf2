/// The DSOD backbones of model_libs.py: a DenseNet-style stem and four dense stages, then the
/// prediction layers, each a named top of `net` so `CreateMultiBoxHead` can find them.
///
/// `DSOD300_V3_Body` names `First` (38x38 at 300), `Second` (19), `Third` (10), `Fourth` (5),
/// `Fifth` (3), `Sixth` (2). `DSOD512_V3_Body` is the same network with one more downsampling
/// block and its own names: `First` (64 at 512), `Second` (32), `Third` (16), `Fourth` (8),
/// `Fifth_` (4), `Sixth_` (2), `Seventh_` (1).
public func DSOD300_V3_Body(_ net: NetSpec, fromLayer: String) throws {
    let second = try dsodDenseStages(net, fromLayer: fromLayer)
    try dsodPredictionLayers(net, from: second, names: ["Third", "Fourth", "Fifth", "Sixth"])
}

/// See `DSOD300_V3_Body`.
public func DSOD512_V3_Body(_ net: NetSpec, fromLayer: String) throws {
    let second = try dsodDenseStages(net, fromLayer: fromLayer)
    try dsodPredictionLayers(net, from: second, names: ["Third", "Fourth", "Fifth_", "Sixth_", "Seventh_"])
}

/// The stem and dense stages shared by both bodies; names `First` and `Second`, returns `Second`.
private func dsodDenseStages(_ net: NetSpec, fromLayer: String) throws -> Top {
    typealias B = PreActivationBlocks
    let growthRate = 48
    let dropout = 0.0
    var nchannels = 128  // first_output
    let times = 1

    guard net.contains(fromLayer) else { throw NetSpecError.unknownTop(fromLayer, known: net.keys) }
    let data = try net.top(fromLayer)

    // Stem: three 3x3 convs (the first with stride 2), then 2x2 max pool.
    var model = B.stemConvBNReLU(data, stride: 2, numOutput: 64)
    model = B.stemConvBNReLU(model, stride: 1, numOutput: 64)
    model = B.stemConvBNReLU(model, stride: 1, numOutput: 128)
    model = L.Pooling(model, params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])

    for _ in 0..<6 {
        model = B.addBottleneckLayer(model, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model = B.transition(model, numFilter: nchannels, dropout: dropout)
    for _ in 0..<8 {
        model = B.addBottleneckLayer(model, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model = B.transitionWithoutPooling(model, numFilter: nchannels, dropout: dropout)
    net["First"] = model

    var model1 = L.Pooling(model, params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])
    for _ in 0..<8 {
        model1 = B.addBottleneckLayer(model1, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model1 = B.transitionWithoutPooling(model1, numFilter: nchannels, dropout: dropout)
    for _ in 0..<8 {
        model1 = B.addBottleneckLayer(model1, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    model1 = B.transitionWithoutPooling(model1, numFilter: 256, dropout: dropout)

    // The learned half of Second beside a pooled-and-projected First.
    var fFirst = L.Pooling(try net.top("First"), params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])
    fFirst = B.bnReLUConv(fFirst, kernelSize: 1, numOutput: 256, stride: 1, pad: 0, dropout: dropout)
    model1 = L.Concat(model1, fFirst, params: ["axis": 1])
    net["Second"] = model1
    return model1
}

/// The downsampling blocks after `Second`: 256 filters for the first, 128 for the rest.
private func dsodPredictionLayers(_ net: NetSpec, from second: Top, names: [String]) throws {
    var model = second
    for (index, name) in names.enumerated() {
        model = PreActivationBlocks.addDownsamplingLayer(model, numFilter: index == 0 ? 256 : 128, dropout: 0, width: 1)
        net[name] = model
    }
}
