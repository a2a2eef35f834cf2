/// An integer given either once for both axes or as `[h, w]`, as model_libs.py's
/// `UnpackVariable(var, 2)` accepts for kernel size, pad and stride.
public struct HeightWidth: Sendable, Equatable, ExpressibleByIntegerLiteral, ExpressibleByArrayLiteral {
    public let values: [Int]
    public init(integerLiteral value: Int) { values = [value] }
    public init(arrayLiteral elements: Int...) { values = elements }
    public init(_ values: [Int]) { self.values = values }

    /// `UnpackVariable(var, 2)`: `[h, w]` as given, or the single value twice.
    func unpacked(_ what: String) throws -> (h: Int, w: Int) {
        switch values.count {
        case 1: return (values[0], values[0])
        case 2: return (values[0], values[1])
        default: throw NetSpecError.invalidRecipe("\(what) must be one value or [h, w], got \(values)")
        }
    }
}

/// The `**bn_params` of `ConvBNLayer`: BatchNorm settings, each defaulting as model_libs.py does
/// (eps 0.001, moving_average_fraction 0.999, use_global_stats false).
public struct BatchNormSettings: Sendable, Equatable {
    public var eps: Double = 0.001
    public var movingAverageFraction: Double = 0.999
    public var useGlobalStats: Bool = false
    public init() {}
}

/// Name parts of `ConvBNLayer`: each layer is `<prefix><out_layer><postfix>`.
public struct ConvBNNaming: Sendable, Equatable {
    public var convPrefix = "", convPostfix = ""
    public var bnPrefix = "", bnPostfix = "_bn"
    public var scalePrefix = "", scalePostfix = "_scale"
    public var biasPrefix = "", biasPostfix = "_bias"
    public init() {}
}

/// model_libs.py's `ConvBNLayer`: a convolution named `out_layer` reading `from_layer`, then
/// (with `useBN`) an in-place BatchNorm and Scale (or Bias), then (with `useReLU`) an in-place
/// ReLU named `<conv>_relu`. Every layer is a named top of `net`.
public func ConvBNLayer(
    _ net: NetSpec, fromLayer: String, outLayer: String, useBN: Bool, useReLU: Bool, numOutput: Int,
    kernelSize: HeightWidth, pad: HeightWidth, stride: HeightWidth, dilation: Int = 1, useScale: Bool = true,
    lrMult: Double = 1, naming: ConvBNNaming = ConvBNNaming(), bnSettings: BatchNormSettings = BatchNormSettings()
) throws {
    var convKwargs: ParamDict
    var bnKwargs: ParamDict = [:]
    var scaleKwargs: ParamDict = [:]
    var biasKwargs: ParamDict = [:]
    if useBN {
        convKwargs = [
            "param": [["lr_mult": number(lrMult), "decay_mult": 1]],
            "weight_filler": ["type": "gaussian", "std": 0.01],
            "bias_term": false,
        ]
        let frozen: ParamValue = [["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0]]
        bnKwargs = ["param": frozen, "eps": .float(bnSettings.eps), "moving_average_fraction": .float(bnSettings.movingAverageFraction)]
        var bnLRMult = lrMult
        if bnSettings.useGlobalStats {
            // Only written when true; otherwise Caffe picks use_global_stats by phase.
            bnKwargs = ["param": frozen, "eps": .float(bnSettings.eps), "use_global_stats": true]
            bnLRMult = 0
        }
        if useScale {
            scaleKwargs = [
                "bias_term": true,
                "param": [["lr_mult": number(bnLRMult), "decay_mult": 0], ["lr_mult": number(bnLRMult), "decay_mult": 0]],
                "filler": ["type": "constant", "value": 1.0],
                "bias_filler": ["type": "constant", "value": 0.0],
            ]
        } else {
            biasKwargs = [
                "param": [["lr_mult": number(bnLRMult), "decay_mult": 0]],
                "filler": ["type": "constant", "value": 0.0],
            ]
        }
    } else {
        convKwargs = [
            "param": [["lr_mult": number(lrMult), "decay_mult": 1], ["lr_mult": number(2 * lrMult), "decay_mult": 0]],
            "weight_filler": ["type": "xavier"],
            "bias_filler": ["type": "constant", "value": 0],
        ]
    }

    let convName = naming.convPrefix + outLayer + naming.convPostfix
    let (kernelH, kernelW) = try kernelSize.unpacked("kernel_size")
    let (padH, padW) = try pad.unpacked("pad")
    let (strideH, strideW) = try stride.unpacked("stride")
    let input = try net.top(fromLayer)
    if kernelH == kernelW {
        // model_libs.py keys this on the kernel alone: a square kernel writes pad_h and
        // stride_h for both axes even when pad or stride differ per axis.
        net[convName] = L.Convolution(input, params: ParamDict([
            ("num_output", .int(numOutput)), ("kernel_size", .int(kernelH)), ("pad", .int(padH)), ("stride", .int(strideH)),
        ]).merging(convKwargs))
    } else {
        net[convName] = L.Convolution(input, params: ParamDict([
            ("num_output", .int(numOutput)), ("kernel_h", .int(kernelH)), ("kernel_w", .int(kernelW)),
            ("pad_h", .int(padH)), ("pad_w", .int(padW)), ("stride_h", .int(strideH)), ("stride_w", .int(strideW)),
        ]).merging(convKwargs))
    }
    if dilation > 1 { try net.update(convName, ["dilation": .int(dilation)]) }
    if useBN {
        let bnName = naming.bnPrefix + outLayer + naming.bnPostfix
        net[bnName] = L.BatchNorm(try net.top(convName), params: bnKwargs, inPlace: true)
        if useScale {
            let scaleName = naming.scalePrefix + outLayer + naming.scalePostfix
            net[scaleName] = L.Scale(try net.top(bnName), params: scaleKwargs, inPlace: true)
        } else {
            let biasName = naming.biasPrefix + outLayer + naming.biasPostfix
            net[biasName] = L.Bias(try net.top(bnName), params: biasKwargs, inPlace: true)
        }
    }
    if useReLU {
        net["\(convName)_relu"] = L.ReLU(try net.top(convName), inPlace: true)
    }
}

/// A multiplier as Python has it: an int when whole (`lr_mult=1`), else a float. The field is a
/// float either way, so this only keeps the keyword arguments readable.
func number(_ value: Double) -> ParamValue {
    value.rounded() == value && abs(value) < 1e15 ? .int(Int(value)) : .float(value)
}
