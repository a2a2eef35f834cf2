import Runtime

extension Layers {
    /// The SSD fork's own layers (PriorBox, DetectionOutput, MultiBoxLoss, SmoothL1Loss,
    /// DetectionEvaluate), one file each in this folder; add each class here.
    static let ssdClasses: [Layer.Type] = []
}
