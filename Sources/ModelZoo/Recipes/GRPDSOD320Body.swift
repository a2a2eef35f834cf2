/// model_libs.py's `GRP_DSOD320_V6_Recurrent_Pyramid`: the GRP-DSOD backbone for 320x320 input.
/// Like DSOD300 but post-activation, with a richer `First` (40x40: the stage output beside pooled
/// stem and stage-1 features) and a recurrent pyramid: each `Recurrent<k>` concatenates an
/// upsampled (Deconvolution) copy of the next-coarser level with level k.
///
/// Names `First`, `Second`, `Third`, `Fourth`, `Fifth`, `Sixth`, `Recurrent1`...`Recurrent6`.
/// `Recurrent6` is the same top as `Sixth`; the later name wins when serialized, so the layer
/// is called `Recurrent6`.
public func GRP_DSOD320_V6_Recurrent_Pyramid(_ net: NetSpec, fromLayer: String) throws {
    typealias B = PostActivationBlocks
    let growthRate = 48
    let dropout = 0.0
    var nchannels = 128  // first_output
    let times = 1

    guard net.contains(fromLayer) else { throw NetSpecError.unknownTop(fromLayer, known: net.keys) }
    let maxPool2: ParamDict = ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2]

    // Stem.
    var model = B.convBNReLU(try net.top(fromLayer), kernelSize: 3, numOutput: 64, stride: 2, pad: 1, dropout: dropout)
    model = B.convBNReLU(model, kernelSize: 3, numOutput: 64, stride: 1, pad: 1, dropout: dropout)
    model = B.convBNReLU(model, kernelSize: 3, numOutput: 128, stride: 1, pad: 1, dropout: dropout)
    var model0 = L.Pooling(model, params: maxPool2)  // 80x80

    for _ in 0..<6 {
        model0 = B.addBottleneckLayer(model0, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model0 = B.transitionWithoutPooling(model0, numFilter: nchannels, dropout: dropout)

    var model1 = L.Pooling(model0, params: maxPool2)  // 40x40
    for _ in 0..<8 {
        model1 = B.addBottleneckLayer(model1, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model1 = B.transitionWithoutPooling(model1, numFilter: nchannels, dropout: dropout)

    var fExtra0 = L.Pooling(model, params: ["pool": .enumValue("MAX"), "kernel_size": 4, "stride": 4])
    fExtra0 = B.convBNReLU(fExtra0, kernelSize: 1, numOutput: 128, stride: 1, pad: 0, dropout: dropout)
    var fExtra1 = L.Pooling(model0, params: maxPool2)
    fExtra1 = B.convBNReLU(fExtra1, kernelSize: 1, numOutput: 128, stride: 1, pad: 0, dropout: dropout)
    let concat1 = L.Concat(model1, fExtra0, fExtra1, params: ["axis": 1])
    net["First"] = concat1  // 40x40

    var model2 = L.Pooling(model1, params: maxPool2)
    for _ in 0..<8 {
        model2 = B.addBottleneckLayer(model2, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    nchannels /= times
    model2 = B.transitionWithoutPooling(model2, numFilter: nchannels, dropout: dropout)
    for _ in 0..<8 {
        model2 = B.addBottleneckLayer(model2, numFilter: growthRate, dropout: dropout, width: 4)
        nchannels += growthRate
    }
    model2 = B.transitionWithoutPooling(model2, numFilter: 171, dropout: dropout)

    var fFirst = L.Pooling(try net.top("First"), params: maxPool2)
    fFirst = B.convBNReLU(fFirst, kernelSize: 1, numOutput: 171, stride: 1, pad: 0, dropout: dropout)
    model2 = L.Concat(model2, fFirst, params: ["axis": 1])
    net["Second"] = model2  // 20x20

    let model3 = B.addDownsamplingLayer(model2, numFilter: 86, dropout: dropout, width: 1)  // 10x10
    net["Third"] = model3
    let model4 = B.addDownsamplingLayer(model3, numFilter: 86, dropout: dropout, width: 1)  // 5x5
    net["Fourth"] = model4
    let model5 = B.addDownsamplingLayer(model4, numFilter: 86, dropout: dropout, width: 1)  // 3x3
    net["Fifth"] = model5
    let model6 = B.addDownsamplingLayer(model5, numFilter: 128, dropout: dropout, width: 1)  // 2x2
    net["Sixth"] = model6

    // The recurrent pyramid for 320x320 (`add_recurrent_layer` is a stride-2 deconv).
    let recurrent1 = B.deconvBNReLU(model2, kernelSize: 2, numOutput: 128, stride: 2, dropout: dropout)  // 40x40
    net["Recurrent1"] = L.Concat(recurrent1, concat1, params: ["axis": 1])
    let recurrent2 = B.deconvBNReLU(model3, kernelSize: 2, numOutput: 171, stride: 2, dropout: dropout)  // 20x20
    net["Recurrent2"] = L.Concat(recurrent2, model2, params: ["axis": 1])
    let recurrent3 = B.deconvBNReLU(model4, kernelSize: 2, numOutput: 86, stride: 2, dropout: dropout)  // 10x10
    net["Recurrent3"] = L.Concat(recurrent3, model3, params: ["axis": 1])
    let recurrent4 = B.deconvBNReLU(model5, kernelSize: 1, numOutput: 86, stride: 2, dropout: dropout)  // 5x5
    net["Recurrent4"] = L.Concat(recurrent4, model4, params: ["axis": 1])
    let recurrent5 = B.deconvBNReLU(model6, kernelSize: 1, numOutput: 86, stride: 2, dropout: dropout)  // 3x3
    net["Recurrent5"] = L.Concat(recurrent5, model5, params: ["axis": 1])
    net["Recurrent6"] = model6
}

/// model_libs.py's `Gated_module`: for each source `X` with `C` channels, a squeeze-and-excite
/// channel gate and a global gate with a residual connection. Names `X_pool`, `X_fc`, `X_relu`,
/// `X_att` (channel-gated features) and `X_gate` (the output); the rest are unnamed.
public func Gated_module(_ net: NetSpec, channelNums: [Int], fromLayers: [String]) throws {
    guard channelNums.count >= fromLayers.count else {
        throw NetSpecError.invalidRecipe("Gated_module: \(fromLayers.count) source layers but \(channelNums.count) channel counts")
    }
    for (fromLayer, channelNum) in zip(fromLayers, channelNums) {
        let poolName = "\(fromLayer)_pool", fcName = "\(fromLayer)_fc", reluName = "\(fromLayer)_relu"
        net[poolName] = L.Pooling(try net.top(fromLayer), params: ["pool": .enumValue("AVE"), "global_pooling": true])
        // int(channel_num / 16.0): truncation toward zero.
        net[fcName] = L.InnerProduct(try net.top(poolName), params: ["num_output": .int(Int(Double(channelNum) / 16.0))])
        net[reluName] = L.ReLU(try net.top(fcName), inPlace: true)

        // channel_level
        var fc = L.InnerProduct(try net.top(reluName), params: ["num_output": .int(channelNum)])
        var sigmoid = L.Sigmoid(fc, inPlace: true)
        let channelScale = L.Scale(try net.top(fromLayer), sigmoid, params: ["axis": 0, "bias_term": false, "bias_filler": ["value": 0]])
        let attName = "\(fromLayer)_att"
        net[attName] = L.ReLU(channelScale, inPlace: true)

        // global_level
        fc = L.InnerProduct(try net.top(reluName), params: ["num_output": 1])
        sigmoid = L.Sigmoid(fc, inPlace: true)
        sigmoid = L.Reshape(sigmoid, params: ["reshape_param": ["shape": ["dim": [-1]]]])
        let globalScale = L.Scale(try net.top(attName), sigmoid, params: ["axis": 0, "bias_term": false, "bias_filler": ["value": 0]])
        net["\(fromLayer)_gate"] = L.Eltwise(try net.top(fromLayer), globalScale)
    }
}
