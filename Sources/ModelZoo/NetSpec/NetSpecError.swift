/// Why a net could not be built or serialized. Each case names the layer or top involved; these
/// are the places where `net_spec.py` and `model_libs.py` raise or assert.
public enum NetSpecError: Error, Equatable, CustomStringConvertible {
    /// `net[name]` for a name the net does not have (Python's KeyError).
    case unknownTop(String, known: [String])
    /// A keyword argument that cannot be assigned to the layer (unknown field, wrong value type).
    case badParameter(layer: String, type: String, key: String, reason: String)
    /// An empty list as a field value (`assign_proto` reads `val[0]` and raises IndexError).
    case emptyList(layer: String, key: String)
    /// A bottom that refers to a top index the producing layer does not have.
    case missingTop(layer: String, bottomOf: String, index: Int)
    /// A recipe's precondition (the `assert`s of model_libs.py).
    case invalidRecipe(String)

    public var description: String {
        switch self {
        case let .unknownTop(name, known):
            let list = known.count > 12 ? known.prefix(12).joined(separator: ", ") + ", ..." : known.joined(separator: ", ")
            return "the net has no top named '\(name)' (it has: \(list))"
        case let .badParameter(layer, type, key, reason):
            return "layer '\(layer)' (\(type)): cannot assign '\(key)': \(reason)"
        case let .emptyList(layer, key):
            return "layer '\(layer)': '\(key)' is an empty list; give at least one value"
        case let .missingTop(layer, bottomOf, index):
            return "layer '\(bottomOf)' reads top \(index) of layer '\(layer)', which has fewer tops"
        case let .invalidRecipe(message):
            return message
        }
    }
}
