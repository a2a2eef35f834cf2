/// The building blocks local to `DSOD300_V3_Body` and `DSOD512_V3_Body` in model_libs.py
/// (identical in both): pre-activation BatchNorm → Scale → ReLU → Convolution, and the dense
/// layers built from it. Every layer is unnamed, so it gets `<Type><n>` when serialized.
enum PreActivationBlocks {
    static let frozenBatchNormParams: ParamValue = [
        ["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0],
    ]

    /// `bn_relu_conv`: BatchNorm (not in place) → Scale → ReLU (both in place on it) → Convolution.
    static func bnReLUConv(_ bottom: Top, kernelSize: Int, numOutput: Int, stride: Int, pad: Int, dropout: Double,
                           inPlace: Bool = true) -> Top
    {
        let batchNorm = L.BatchNorm(bottom, params: ["param": frozenBatchNormParams])
        let scale = L.Scale(batchNorm, params: ["bias_term": true, "filler": ["value": 1], "bias_filler": ["value": 0]],
                            inPlace: true)
        let relu = L.ReLU(scale, inPlace: inPlace)
        var conv = L.Convolution(relu, params: [
            "kernel_size": .int(kernelSize), "stride": .int(stride), "num_output": .int(numOutput), "pad": .int(pad),
            "bias_term": false, "weight_filler": ["type": "xavier"], "bias_filler": ["type": "constant"],
        ])
        if dropout > 0 { conv = L.Dropout(conv, params: ["dropout_ratio": .float(dropout)]) }
        return conv
    }

    /// The stem convolution, and the BatchNorm → Scale → ReLU after it (post-activation, as the
    /// stem of DSOD300_V3_Body writes it inline).
    static func stemConvBNReLU(_ bottom: Top, stride: Int, numOutput: Int) -> Top {
        var model = L.Convolution(bottom, params: [
            "kernel_size": 3, "stride": .int(stride), "num_output": .int(numOutput), "pad": 1, "bias_term": false,
            "weight_filler": ["type": "xavier"], "bias_filler": ["type": "constant"],
        ])
        model = L.BatchNorm(model, params: ["param": frozenBatchNormParams])
        model = L.Scale(model, params: ["bias_term": true, "filler": ["value": 1], "bias_filler": ["value": 0]], inPlace: true)
        return L.ReLU(model, inPlace: true)
    }

    /// `add_bl_layer`: a 1x1 bottleneck (`width` × growth) then a 3x3 conv, concatenated to the input.
    static func addBottleneckLayer(_ bottom: Top, numFilter: Int, dropout: Double, width: Double) -> Top {
        var conv = bnReLUConv(bottom, kernelSize: 1, numOutput: Int(width * Double(numFilter)), stride: 1, pad: 0, dropout: dropout)
        conv = bnReLUConv(conv, kernelSize: 3, numOutput: numFilter, stride: 1, pad: 1, dropout: dropout)
        return L.Concat(bottom, conv, params: ["axis": 1])
    }

    /// `add_bl_layer2`: the downsampling block of the prediction layers: a learned half (1x1 then
    /// 3x3 stride 2) beside a pooled half (2x2 max pool then 1x1), concatenated.
    static func addDownsamplingLayer(_ bottom: Top, numFilter: Int, dropout: Double, width: Double) -> Top {
        var conv = bnReLUConv(bottom, kernelSize: 1, numOutput: Int(width * Double(numFilter)), stride: 1, pad: 0, dropout: dropout)
        conv = bnReLUConv(conv, kernelSize: 3, numOutput: numFilter, stride: 2, pad: 1, dropout: dropout)
        var pooled = L.Pooling(bottom, params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])
        pooled = bnReLUConv(pooled, kernelSize: 1, numOutput: numFilter, stride: 1, pad: 0, dropout: dropout)
        return L.Concat(pooled, conv, params: ["axis": 1])
    }

    /// `transition`: 1x1 conv then 2x2 max pool.
    static func transition(_ bottom: Top, numFilter: Int, dropout: Double) -> Top {
        let conv = bnReLUConv(bottom, kernelSize: 1, numOutput: numFilter, stride: 1, pad: 0, dropout: dropout, inPlace: false)
        return L.Pooling(conv, params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])
    }

    /// `transition_w_o_pooling`: the 1x1 conv alone.
    static func transitionWithoutPooling(_ bottom: Top, numFilter: Int, dropout: Double) -> Top {
        bnReLUConv(bottom, kernelSize: 1, numOutput: numFilter, stride: 1, pad: 0, dropout: dropout, inPlace: false)
    }
}
