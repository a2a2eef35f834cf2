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
            var message = "unknown layer type \"\(parameter.type)\""
            if let suggestion = closestType(to: parameter.type) { message += "; did you mean \"\(suggestion)\"?" }
            message += " (known types: \(types.joined(separator: ", ")))"
            throw LayerError(layer: parameter.name, type: parameter.type, message: message)
        }
        return try factory(parameter, context)
    }

    /// The registered type nearest to `type` by edit distance (case-insensitive), if close.
    func closestType(to type: String) -> String? { Self.nearest(to: type, among: types) }

    /// The name in `candidates` nearest to `type` by edit distance (case-insensitive), if close
    /// enough to be a typo.
    public static func nearest(to type: String, among candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var previous = Array(0...b.count)
            for (i, x) in a.enumerated() {
                var current = [i + 1] + Array(repeating: 0, count: b.count)
                for (j, y) in b.enumerated() {
                    current[j + 1] = min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
                }
                previous = current
            }
            return previous[b.count]
        }
        let target = Array(type.lowercased())
        let scored = candidates.map { ($0, distance(target, Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, type.count / 4) else { return nil }
        return best.0
    }
}
