import CaffeProto

/// Layer classes by Caffe type string (Caffe's `LayerRegistry`). The Runtime knows no layer
/// types itself; the Layers module builds the standard registry (`LayerRegistry.standard`) and
/// other modules may register more.
public struct LayerRegistry: Sendable {
    /// Creates a layer from its parameters.
    public typealias Factory = @Sendable (Caffe_LayerParameter, LayerContext) throws -> Layer

    private var factories: [String: Factory] = [:]

    public init() {}

    /// Registers a layer class under its `caffeType`.
    public mutating func register(_ layerClass: Layer.Type) {
        let type = layerClass.caffeType
        factories[type] = { parameter, context in try layerClass.init(parameter: parameter, context: context) }
    }

    /// Registers a factory under `type` (replacing any earlier registration).
    public mutating func register(_ type: String, factory: @escaping Factory) {
        factories[type] = factory
    }

    /// Whether `type` is registered.
    public func contains(_ type: String) -> Bool { factories[type] != nil }

    /// Every registered type, sorted.
    public var types: [String] { factories.keys.sorted() }

    /// Creates a layer, or an error naming the layer and the unknown type with the known ones.
    public func makeLayer(_ parameter: Caffe_LayerParameter, context: LayerContext) throws -> Layer {
        guard let factory = factories[parameter.type] else {
            throw LayerError(layer: parameter.name, type: parameter.type,
                             message: "unknown layer type \"\(parameter.type)\" (known types: \(types.joined(separator: ", ")))")
        }
        return try factory(parameter, context)
    }
}
