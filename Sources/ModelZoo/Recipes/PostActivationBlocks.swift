/// The building blocks local to `GRP_DSOD320_V6_Recurrent_Pyramid` in model_libs.py:
/// post-activation Convolution → BatchNorm (eps 1e-4) → Scale → ReLU, all in place on the conv.
enum PostActivationBlocks {
    static let batchNormKwargs: ParamDict = [
        "batch_norm_param": ["eps": 1e-4],
        "param": [["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0], ["lr_mult": 0, "decay_mult": 0]],
    ]
    static let scaleKwargs: ParamDict = ["bias_term": true, "filler": ["value": 1], "bias_filler": ["value": 0]]

    /// BatchNorm → Scale → ReLU in place on `bottom`; returns the ReLU's top.
    static func bnScaleReLU(_ bottom: Top) -> Top {
        let batchNorm = L.BatchNorm(bottom, params: batchNormKwargs, inPlace: true)
        let scale = L.Scale(batchNorm, params: scaleKwargs, inPlace: true)
        return L.ReLU(scale, inPlace: true)
    }

    /// `conv_bn_relu`. With dropout, model_libs.py builds a Dropout layer but returns the ReLU,
    /// so the Dropout is unreachable and never serialized; this does the same.
    static func convBNReLU(_ bottom: Top, kernelSize: Int, numOutput: Int, stride: Int, pad: Int, dropout: Double) -> Top {
        let conv = L.Convolution(bottom, params: [
            "kernel_size": .int(kernelSize), "stride": .int(stride), "num_output": .int(numOutput), "pad": .int(pad),
            "bias_term": false, "weight_filler": ["type": "xavier"], "bias_filler": ["type": "constant"],
        ])
        let relu = bnScaleReLU(conv)
        if dropout > 0 { _ = L.Dropout(relu, params: ["dropout_ratio": .float(dropout)]) }
        return relu
    }

    /// `deconv`: a frozen bilinear Deconvolution (its keyword arguments all end in `param`,
    /// since caffe.proto has no DeconvolutionParameter) → BatchNorm → Scale → ReLU.
    static func deconvBNReLU(_ bottom: Top, kernelSize: Int, numOutput: Int, stride: Int, dropout: Double) -> Top {
        let deconv = L.Deconvolution(bottom, params: [
            "convolution_param": [
                "num_output": .int(numOutput), "kernel_size": .int(kernelSize), "stride": .int(stride),
                "bias_term": false, "weight_filler": ["type": "bilinear"],
            ],
            "param": [["lr_mult": 0, "decay_mult": 0]],
        ])
        let relu = bnScaleReLU(deconv)
        if dropout > 0 { _ = L.Dropout(relu, params: ["dropout_ratio": .float(dropout)]) }
        return relu
    }

    /// `add_bl_layer`.
    static func addBottleneckLayer(_ bottom: Top, numFilter: Int, dropout: Double, width: Double) -> Top {
        var conv = convBNReLU(bottom, kernelSize: 1, numOutput: Int(width * Double(numFilter)), stride: 1, pad: 0, dropout: dropout)
        conv = convBNReLU(conv, kernelSize: 3, numOutput: numFilter, stride: 1, pad: 1, dropout: dropout)
        return L.Concat(bottom, conv, params: ["axis": 1])
    }

    /// `add_bl_layer2`.
    static func addDownsamplingLayer(_ bottom: Top, numFilter: Int, dropout: Double, width: Double) -> Top {
        var conv = convBNReLU(bottom, kernelSize: 1, numOutput: Int(width * Double(numFilter)), stride: 1, pad: 0, dropout: dropout)
        conv = convBNReLU(conv, kernelSize: 3, numOutput: numFilter, stride: 2, pad: 1, dropout: dropout)
        var pooled = L.Pooling(bottom, params: ["pool": .enumValue("MAX"), "kernel_size": 2, "stride": 2])
        pooled = convBNReLU(pooled, kernelSize: 1, numOutput: numFilter, stride: 1, pad: 0, dropout: dropout)
        return L.Concat(pooled, conv, params: ["axis": 1])
    }

    /// `transition_w_o_pooling`.
    static func transitionWithoutPooling(_ bottom: Top, numFilter: Int, dropout: Double) -> Top {
        convBNReLU(bottom, kernelSize: 1, numOutput: numFilter, stride: 1, pad: 0, dropout: dropout)
    }
}
