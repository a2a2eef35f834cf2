import Runtime

/// The layer types of this module, registered by their Caffe type strings.
public enum Layers {
    /// Every standard layer class. SSD and data layers add themselves to this list in their own
    /// files' families (Layers/SSD, Layers/Data).
    static let standardClasses: [Layer.Type] = [
        // Vision
        ConvolutionLayer.self, DeconvolutionLayer.self, PoolingLayer.self, InnerProductLayer.self, EmbedLayer.self, SPPLayer.self,
        // Activation
        ReLULayer.self, PReLULayer.self, SigmoidLayer.self, TanHLayer.self, PowerLayer.self, DropoutLayer.self, SoftmaxLayer.self,
        AbsValLayer.self, BNLLLayer.self, ELULayer.self, ExpLayer.self, LogLayer.self, ThresholdLayer.self,
        // Normalization
        BatchNormLayer.self, ScaleLayer.self, BiasLayer.self, NormalizeLayer.self, LRNLayer.self, MVNLayer.self,
        // Structure
        InputLayer.self, SplitLayer.self, ConcatLayer.self, SliceLayer.self, ReshapeLayer.self, FlattenLayer.self,
        PermuteLayer.self, SilenceLayer.self, EltwiseLayer.self, CropLayer.self, ArgMaxLayer.self,
        TileLayer.self, ReductionLayer.self, BatchReindexLayer.self, FilterLayer.self,
        // Loss
        SoftmaxWithLossLayer.self, EuclideanLossLayer.self, AccuracyLayer.self, SigmoidCrossEntropyLossLayer.self,
        HingeLossLayer.self, MultinomialLogisticLossLayer.self, InfogainLossLayer.self, ContrastiveLossLayer.self,
        // Data
        AnnotatedDataLayer.self, DataLayer.self, DummyDataLayer.self, ParameterLayer.self,
    ]

    /// Registers every layer type of this module into `registry`.
    public static func registerAll(into registry: inout LayerRegistry) {
        for layerClass in standardClasses { registry.register(layerClass) }
        SSDLayers.register(into: &registry)
    }
}

extension LayerRegistry {
    /// Every layer type the Layers module implements.
    public static let standard: LayerRegistry = {
        var registry = LayerRegistry()
        Layers.registerAll(into: &registry)
        return registry
    }()
}
