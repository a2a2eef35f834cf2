import CaffeProto
import Runtime

/// The checks Caffe makes on a net definition before it builds any layer, for tools that do
/// not build the net (`dsod convert`): every layer type exists in Caffe, and every bottom is
/// produced by an earlier top in some phase (util/insert_splits.cpp InsertSplits, which aborts
/// with "Unknown bottom blob"). Types Caffe has but this program does not run are accepted:
/// converting a file does not need them.
enum NetDefinitionCheck {
    /// Every type the SSD fork of Caffe registers (REGISTER_LAYER_CLASS / _CREATOR in src/caffe).
    static let caffeLayerTypes: [String] = [
        "AbsVal", "Accuracy", "AnnotatedData", "ArgMax", "BNLL", "BatchNorm", "BatchReindex", "Bias", "Concat",
        "ContrastiveLoss", "Convolution", "Crop", "Data", "Deconvolution", "DetectionEvaluate", "DetectionOutput",
        "Dropout", "DummyData", "ELU", "Eltwise", "Embed", "EuclideanLoss", "Exp", "Filter", "Flatten", "HDF5Data",
        "HDF5Output", "HingeLoss", "Im2col", "ImageData", "InfogainLoss", "InnerProduct", "Input", "LRN", "LSTM",
        "LSTMUnit", "Log", "MVN", "MemoryData", "MultiBoxLoss", "MultinomialLogisticLoss", "Normalize", "PReLU",
        "Parameter", "Permute", "Pooling", "Power", "PriorBox", "Python", "RNN", "ReLU", "Reduction", "Reshape",
        "SPP", "Scale", "Sigmoid", "SigmoidCrossEntropyLoss", "Silence", "Slice", "SmoothL1Loss", "Softmax",
        "SoftmaxWithLoss", "Split", "TanH", "Threshold", "Tile", "VideoData", "WindowData",
    ]

    /// Throws a `NetError` naming the file and layer for an unknown type or a bottom that no
    /// earlier layer produces in either phase.
    static func check(_ net: Caffe_NetParameter, file: String) throws {
        let known = Set(caffeLayerTypes)
        for layer in net.layer where !known.contains(layer.type) {
            var message = "unknown layer type \"\(layer.type)\": Caffe has no such layer"
            if let suggestion = LayerRegistry.nearest(to: layer.type, among: caffeLayerTypes) { message += "; did you mean \"\(suggestion)\"?" }
            throw NetError(file: file, layer: layer.name, message: message)
        }
        var firstFailure: (any Error)?
        for phase in [Caffe_Phase.test, .train] {
            var phased = net
            phased.state.phase = phase
            do {
                _ = try SplitInsertion.insertSplits(try NetStateRules.filter(try LegacyNetInput.upgrade(phased)))
                return
            } catch {
                if firstFailure == nil { firstFailure = error }
            }
        }
        if let error = firstFailure as? NetError, error.file == nil {
            throw NetError(file: file, layer: error.layer, message: error.message)
        }
        if let firstFailure { throw firstFailure }
    }
}
