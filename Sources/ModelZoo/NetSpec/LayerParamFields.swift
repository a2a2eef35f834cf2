/// Which `LayerParameter` field holds a layer type's own parameters: `net_spec.py`'s
/// `param_name_dict()`. Python builds it from caffe.proto by pairing each `*_param` field of
/// `LayerParameter` with its message type and stripping `Parameter` from the type name, so the
/// key is the message name, not always the layer type: `Normalize` → `norm_param`,
/// `MultiBoxLoss` → `multibox_loss_param`, and a type without a message of its own
/// (`Deconvolution`, `Input`-less types) gets no entry, so its keyword arguments land on the layer.
///
/// ModelZooTests checks this table against Sources/CaffeProto/Schema/caffe.proto.
public enum LayerParamFields {
    /// The `*_param` field for a layer type, or nil when caffe.proto has no `<type>Parameter`.
    public static func field(forType type: String) -> String? { table[type] }

    /// Message-name prefix (type name without `Parameter`) → `LayerParameter` field.
    public static let table: [String: String] = [
        "Transformation": "transform_param",
        "Loss": "loss_param",
        "Accuracy": "accuracy_param",
        "AnnotatedData": "annotated_data_param",
        "ArgMax": "argmax_param",
        "BatchNorm": "batch_norm_param",
        "Bias": "bias_param",
        "Concat": "concat_param",
        "ContrastiveLoss": "contrastive_loss_param",
        "Convolution": "convolution_param",
        "Crop": "crop_param",
        "Data": "data_param",
        "DetectionEvaluate": "detection_evaluate_param",
        "DetectionOutput": "detection_output_param",
        "Dropout": "dropout_param",
        "DummyData": "dummy_data_param",
        "Eltwise": "eltwise_param",
        "ELU": "elu_param",
        "Embed": "embed_param",
        "Exp": "exp_param",
        "Flatten": "flatten_param",
        "HDF5Data": "hdf5_data_param",
        "HDF5Output": "hdf5_output_param",
        "HingeLoss": "hinge_loss_param",
        "ImageData": "image_data_param",
        "InfogainLoss": "infogain_loss_param",
        "InnerProduct": "inner_product_param",
        "Input": "input_param",
        "Log": "log_param",
        "LRN": "lrn_param",
        "MemoryData": "memory_data_param",
        "MultiBoxLoss": "multibox_loss_param",
        "MVN": "mvn_param",
        "Normalize": "norm_param",
        "Parameter": "parameter_param",
        "Permute": "permute_param",
        "Pooling": "pooling_param",
        "Power": "power_param",
        "PReLU": "prelu_param",
        "PriorBox": "prior_box_param",
        "Python": "python_param",
        "Recurrent": "recurrent_param",
        "Reduction": "reduction_param",
        "ReLU": "relu_param",
        "Reshape": "reshape_param",
        "Scale": "scale_param",
        "Sigmoid": "sigmoid_param",
        "Softmax": "softmax_param",
        "SPP": "spp_param",
        "Slice": "slice_param",
        "TanH": "tanh_param",
        "Threshold": "threshold_param",
        "Tile": "tile_param",
        "VideoData": "video_data_param",
        "WindowData": "window_data_param",
    ]
}
