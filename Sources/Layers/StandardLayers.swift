import Runtime

/// The layer types of this module, registered by their Caffe type strings.
public enum Layers {
    /// Every layer class of the module: the standard families below, then the SSD layers
    /// (`SSD/SSDLayerList.swift`) and the data layers (`Data/DataLayerList.swift`), each list
    /// kept in its family's folder.
    static var allClasses: [Layer.Type] { standardClasses + ssdClasses + dataClasses }

    /// The standard Caffe layers DSOD uses.
    static let standardClasses: [Layer.Type] = [
        // Vision
        ConvolutionLayer.self, DeconvolutionLayer.self, PoolingLayer.self, InnerProductLayer.self,
        // Activation
        ReLULayer.self, PReLULayer.self, SigmoidLayer.self, TanHLayer.self, PowerLayer.self, DropoutLayer.self, SoftmaxLayer.self,
        // Normalization
        BatchNormLayer.self, ScaleLayer.self, BiasLayer.self, NormalizeLayer.self,
        // Structure
        InputLayer.self, SplitLayer.self, ConcatLayer.self, SliceLayer.self, ReshapeLayer.self, FlattenLayer.self,
        PermuteLayer.self, SilenceLayer.self, EltwiseLayer.self,
        // Loss
        SoftmaxWithLossLayer.self, EuclideanLossLayer.self, AccuracyLayer.self,
    ]

    /// Registers every layer type of this module into `registry`.
    public static func registerAll(into registry: inout LayerRegistry) {
        for layerClass in allClasses { registry.register(layerClass) }
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
