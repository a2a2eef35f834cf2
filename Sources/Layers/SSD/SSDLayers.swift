import Runtime

/// The SSD fork's layer types: PriorBox, DetectionOutput, MultiBoxLoss, DetectionEvaluate, and
/// SmoothL1Loss (which MultiBoxLoss's localization loss is).
public enum SSDLayers {
    /// The classes registered by `register(into:)`.
    static let classes: [Layer.Type] = [
        PriorBoxLayer.self, DetectionOutputLayer.self, MultiBoxLossLayer.self, DetectionEvaluateLayer.self,
        SmoothL1LossLayer.self,
    ]

    /// Registers the SSD layer types into `registry` by their Caffe type strings.
    public static func register(into registry: inout LayerRegistry) {
        for layerClass in classes { registry.register(layerClass) }
    }
}
