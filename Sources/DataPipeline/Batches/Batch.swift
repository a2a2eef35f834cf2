/// One batch of a data layer: the `data` top (N × C × H × W floats) and the `label` top
/// (AnnotatedData: [1, 1, G, 8] rows `[item, label, instance, xmin, ymin, xmax, ymax,
/// difficult]`; Data: [N]).
public struct DataBatch: Sendable {
    public var data: [Float]
    public var dataShape: [Int]
    public var label: [Float]
    public var labelShape: [Int]
    /// The LMDB keys of the items, in batch order.
    public var keys: [String]

    public init(data: [Float], dataShape: [Int], label: [Float], labelShape: [Int], keys: [String]) {
        self.data = data
        self.dataShape = dataShape
        self.label = label
        self.labelShape = labelShape
        self.keys = keys
    }
}

/// Something that produces batches one after the other (a data layer's `load_batch`).
public protocol BatchSource: AnyObject, Sendable {
    /// The next batch; errors name the LMDB key or parameter at fault.
    func nextBatch() throws -> DataBatch
}
