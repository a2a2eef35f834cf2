/// The arguments of model_libs.py's `CreateMultiBoxHead`, with its defaults. Per-source lists
/// (`minSizes`, `maxSizes`, `aspectRatios`) hold one list per source layer, since Python accepts
/// a value or a list for each.
public struct MultiBoxHeadSettings: Sendable, Equatable {
    public var dataLayer = "data"
    public var numClasses: Int
    public var fromLayers: [String]
    public var useObjectness = false
    /// L2 normalization scale per source; -1 for none; empty for no normalization at all.
    public var normalizations: [Double] = []
    public var useBatchNorm = true
    public var lrMult: Double = 1
    public var useScale = true
    public var minSizes: [[Double]]
    public var maxSizes: [[Double]] = []
    public var priorVariance: [Double] = [0.1]
    public var aspectRatios: [[Double]] = []
    /// Prior step per source; 0 (or a missing entry) leaves `step` unset.
    public var steps: [Double] = []
    public var imgHeight = 0
    public var imgWidth = 0
    public var shareLocation = true
    public var flip = true
    public var clip = true
    public var offset: Double = 0.5
    public var interLayerDepth: [Int] = []
    public var kernelSize = 1
    public var pad = 0
    public var confPostfix = ""
    public var locPostfix = ""
    public var batchNorm = BatchNormSettings()

    public init(numClasses: Int, fromLayers: [String], minSizes: [[Double]]) {
        self.numClasses = numClasses
        self.fromLayers = fromLayers
        self.minSizes = minSizes
    }
}

/// model_libs.py's `CreateMultiBoxHead`: for each source layer an optional L2 Normalize, then
/// location and confidence convolutions (`ConvBNLayer`, flattened as N×H×W×C) and a PriorBox;
/// then `mbox_loc`, `mbox_conf`, `mbox_priorbox` (and `mbox_objectness`) concatenations, which
/// it returns in that order.
@discardableResult
public func CreateMultiBoxHead(_ net: NetSpec, _ s: MultiBoxHeadSettings) throws -> [Top] {
    let count = s.fromLayers.count
    func require(_ condition: Bool, _ message: String) throws {
        if !condition { throw NetSpecError.invalidRecipe("CreateMultiBoxHead: \(message)") }
    }
    try require(s.numClasses > 0, "num_classes must be positive number")
    if !s.normalizations.isEmpty { try require(s.normalizations.count == count, "from_layers and normalizations should have same length") }
    try require(s.minSizes.count == count, "from_layers and min_sizes should have same length")
    if !s.maxSizes.isEmpty { try require(s.maxSizes.count == count, "from_layers and max_sizes should have same length") }
    if !s.aspectRatios.isEmpty { try require(s.aspectRatios.count == count, "from_layers and aspect_ratios should have same length") }
    if !s.steps.isEmpty { try require(s.steps.count == count, "from_layers and steps should have same length") }
    try require(net.contains(s.dataLayer), "data_layer is not in net's layers")
    if !s.interLayerDepth.isEmpty { try require(s.interLayerDepth.count == count, "from_layers and inter_layer_depth should have same length") }

    var priorBoxLayers: [Top] = [], locLayers: [Top] = [], confLayers: [Top] = [], objectnessLayers: [Top] = []
    for i in 0..<count {
        var fromLayer = s.fromLayers[i]
        if !s.normalizations.isEmpty, s.normalizations[i] != -1 {
            let normName = "\(fromLayer)_norm"
            net[normName] = L.Normalize(try net.top(fromLayer), params: [
                "scale_filler": ["type": "constant", "value": number(s.normalizations[i])],
                "across_spatial": false, "channel_shared": false,
            ])
            fromLayer = normName
        }
        if !s.interLayerDepth.isEmpty, s.interLayerDepth[i] > 0 {
            let interName = "\(fromLayer)_inter"
            try ConvBNLayer(net, fromLayer: fromLayer, outLayer: interName, useBN: s.useBatchNorm, useReLU: true,
                            numOutput: s.interLayerDepth[i], kernelSize: 3, pad: 1, stride: 1, lrMult: s.lrMult,
                            bnSettings: s.batchNorm)
            fromLayer = interName
        }

        // Priors per location, as the PriorBox layer will count them.
        let minSize = s.minSizes[i]
        let aspectRatio = s.aspectRatios.count > i ? s.aspectRatios[i] : []
        let maxSize = s.maxSizes.count > i ? s.maxSizes[i] : []
        if !maxSize.isEmpty { try require(maxSize.count == minSize.count, "max_size and min_size should have same length.") }
        var priorsPerLocation = (maxSize.isEmpty ? 1 + aspectRatio.count : 2 + aspectRatio.count) * minSize.count
        if s.flip { priorsPerLocation += aspectRatio.count * minSize.count }
        let step = s.steps.count > i ? s.steps[i] : 0

        var locOutputs = priorsPerLocation * 4
        if !s.shareLocation { locOutputs *= s.numClasses }
        locLayers.append(try predictionBranch(net, fromLayer: fromLayer, name: "\(fromLayer)_mbox_loc\(s.locPostfix)",
                                              numOutput: locOutputs, settings: s))
        confLayers.append(try predictionBranch(net, fromLayer: fromLayer, name: "\(fromLayer)_mbox_conf\(s.confPostfix)",
                                               numOutput: priorsPerLocation * s.numClasses, settings: s))

        let priorName = "\(fromLayer)_mbox_priorbox"
        net[priorName] = L.PriorBox(try net.top(fromLayer), try net.top(s.dataLayer), params: [
            "min_size": .floats(minSize), "clip": .bool(s.clip), "variance": .floats(s.priorVariance), "offset": .float(s.offset),
        ])
        if !maxSize.isEmpty { try net.update(priorName, ["max_size": .floats(maxSize)]) }
        if !aspectRatio.isEmpty { try net.update(priorName, ["aspect_ratio": .floats(aspectRatio), "flip": .bool(s.flip)]) }
        if step != 0 { try net.update(priorName, ["step": .float(step)]) }
        if s.imgHeight != 0 && s.imgWidth != 0 {
            if s.imgHeight == s.imgWidth {
                try net.update(priorName, ["img_size": .int(s.imgHeight)])
            } else {
                try net.update(priorName, ["img_h": .int(s.imgHeight), "img_w": .int(s.imgWidth)])
            }
        }
        priorBoxLayers.append(try net.top(priorName))

        if s.useObjectness {
            objectnessLayers.append(try predictionBranch(net, fromLayer: fromLayer, name: "\(fromLayer)_mbox_objectness",
                                                         numOutput: priorsPerLocation * 2, settings: s))
        }
    }

    var mboxLayers: [Top] = []
    net["mbox_loc"] = L.Concat(locLayers, params: ["axis": 1])
    mboxLayers.append(try net.top("mbox_loc"))
    net["mbox_conf"] = L.Concat(confLayers, params: ["axis": 1])
    mboxLayers.append(try net.top("mbox_conf"))
    net["mbox_priorbox"] = L.Concat(priorBoxLayers, params: ["axis": 2])
    mboxLayers.append(try net.top("mbox_priorbox"))
    if s.useObjectness {
        net["mbox_objectness"] = L.Concat(objectnessLayers, params: ["axis": 1])
        mboxLayers.append(try net.top("mbox_objectness"))
    }
    return mboxLayers
}

/// One prediction: a `ConvBNLayer` without ReLU, permuted to N×H×W×C and flattened from axis 1.
private func predictionBranch(_ net: NetSpec, fromLayer: String, name: String, numOutput: Int,
                              settings s: MultiBoxHeadSettings) throws -> Top
{
    try ConvBNLayer(net, fromLayer: fromLayer, outLayer: name, useBN: s.useBatchNorm, useReLU: false, numOutput: numOutput,
                    kernelSize: HeightWidth(integerLiteral: s.kernelSize), pad: HeightWidth(integerLiteral: s.pad), stride: 1,
                    lrMult: s.lrMult, bnSettings: s.batchNorm)
    let permuteName = "\(name)_perm"
    net[permuteName] = L.Permute(try net.top(name), params: ["order": .ints([0, 2, 3, 1])])
    let flattenName = "\(name)_flat"
    net[flattenName] = L.Flatten(try net.top(permuteName), params: ["axis": 1])
    return try net.top(flattenName)
}
