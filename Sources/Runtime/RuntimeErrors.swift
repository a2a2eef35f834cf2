/// An error raised by one layer: it names the layer, its type and what was expected.
public struct LayerError: Error, CustomStringConvertible, Sendable {
    public var layer: String
    public var type: String
    public var message: String

    public init(layer: String, type: String, message: String) {
        self.layer = layer
        self.type = type
        self.message = message
    }

    public var description: String { "layer '\(layer)' (\(type)): \(message)" }
}

/// An error in a net as a whole: its wiring, its weights file, its inputs. `layer` names the
/// layer concerned when there is one.
public struct NetError: Error, CustomStringConvertible, Sendable {
    public var file: String?
    public var layer: String?
    public var message: String

    public init(file: String? = nil, layer: String? = nil, message: String) {
        self.file = file
        self.layer = layer
        self.message = message
    }

    public var description: String {
        var text = ""
        if let file { text += "\(file): " }
        if let layer { text += "layer '\(layer)': " }
        return text + message
    }
}
