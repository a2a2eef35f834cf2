import Runtime

extension Layers {
    /// The data layers (AnnotatedData, Data), one file each in this folder; add each class here.
    static let dataClasses: [Layer.Type] = []
}
