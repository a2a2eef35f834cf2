/// Layer constructors, as `caffe.layers` (imported as `L` in the scripts): each makes a
/// `LayerFunction` of that type over its bottoms and returns its top. Keyword arguments go in
/// `params` and are placed as net_spec.py places them (see `LayerKeywordArguments`); `ntop` and
/// `in_place` are arguments of their own.
///
/// The capitalised names are Caffe's layer type names, so recipes read like model_libs.py:
/// `L.Convolution(bottom, params: ["num_output": 64, "kernel_size": 3])`.
public enum L {
    /// A layer of any type with one top (`ntop=1`).
    public static func layer(_ type: String, _ bottoms: [Top], _ params: ParamDict = [:], inPlace: Bool = false) -> Top {
        Top(function: LayerFunction(type: type, inputs: bottoms, params: params, ntop: 1, inPlace: inPlace), index: 0)
    }

    /// A layer with `ntop` tops, returned in order (`ntop=2` gives `data, label`).
    public static func layer(_ type: String, _ bottoms: [Top], _ params: ParamDict = [:], ntop: Int) -> [Top] {
        LayerFunction(type: type, inputs: bottoms, params: params, ntop: ntop).tops
    }

    public static func Convolution(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Convolution", bottoms, params) }
    public static func Deconvolution(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Deconvolution", bottoms, params) }
    public static func BatchNorm(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("BatchNorm", bottoms, params, inPlace: inPlace)
    }
    public static func Scale(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("Scale", bottoms, params, inPlace: inPlace)
    }
    public static func Bias(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("Bias", bottoms, params, inPlace: inPlace)
    }
    public static func ReLU(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("ReLU", bottoms, params, inPlace: inPlace)
    }
    public static func Sigmoid(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("Sigmoid", bottoms, params, inPlace: inPlace)
    }
    public static func Dropout(_ bottoms: Top..., params: ParamDict = [:], inPlace: Bool = false) -> Top {
        layer("Dropout", bottoms, params, inPlace: inPlace)
    }
    public static func Pooling(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Pooling", bottoms, params) }
    public static func InnerProduct(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("InnerProduct", bottoms, params) }
    public static func Eltwise(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Eltwise", bottoms, params) }
    public static func Concat(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Concat", bottoms, params) }
    public static func Concat(_ bottoms: [Top], params: ParamDict = [:]) -> Top { layer("Concat", bottoms, params) }
    public static func Reshape(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Reshape", bottoms, params) }
    public static func Softmax(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Softmax", bottoms, params) }
    public static func Flatten(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Flatten", bottoms, params) }
    public static func Permute(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Permute", bottoms, params) }
    public static func Normalize(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("Normalize", bottoms, params) }
    public static func PriorBox(_ bottoms: Top..., params: ParamDict = [:]) -> Top { layer("PriorBox", bottoms, params) }
    public static func MultiBoxLoss(_ bottoms: [Top], params: ParamDict = [:]) -> Top { layer("MultiBoxLoss", bottoms, params) }
    public static func DetectionOutput(_ bottoms: [Top], params: ParamDict = [:]) -> Top { layer("DetectionOutput", bottoms, params) }
    public static func DetectionEvaluate(_ bottoms: Top..., params: ParamDict = [:]) -> Top {
        layer("DetectionEvaluate", bottoms, params)
    }
}
