import CaffeProto
import Foundation

/// `net_spec.py`'s `assign_proto`, done through protobuf text: a keyword argument becomes a text
/// fragment (`num_output: 64`, `weight_filler { type: "xavier" }`), which is parsed on its own and
/// merged into the layer. Merging gives Python's semantics: a scalar replaces, a repeated field
/// appends, a dict merges into the sub-message.
enum ProtoAssignment {
    /// The text that assigns `value` to the field `name`, or "" when Python would leave the
    /// message untouched (an empty dict: reading a sub-message does not set it).
    ///
    /// One difference from Python: an empty dict given directly to a *repeated* message field adds
    /// an empty element in Python and nothing here (a list of dicts, `[{}]`, adds the element in
    /// both). DSOD's recipes never do this.
    static func text(assigning value: ParamValue, to name: String, layer: String, type: String) throws -> String {
        switch value {
        case .list(let items):
            // assign_proto looks at val[0] to choose between messages and scalars (net_spec.py).
            guard let first = items.first else { throw NetSpecError.emptyList(layer: layer, key: name) }
            if case .dict = first {
                return try items.map { item -> String in
                    guard case .dict(let fields) = item else {
                        throw NetSpecError.badParameter(layer: layer, type: type, key: name,
                                                        reason: "a list that starts with a dict must hold only dicts")
                    }
                    return "\(name) {\n\(try body(of: fields, layer: layer, type: type))}\n"
                }.joined()
            }
            return try items.map { "\(name): \(try scalarText($0, key: name, layer: layer, type: type))\n" }.joined()
        case .dict(let fields):
            let inner = try body(of: fields, layer: layer, type: type)
            return inner.isEmpty ? "" : "\(name) {\n\(inner)}\n"
        default:
            return "\(name): \(try scalarText(value, key: name, layer: layer, type: type))\n"
        }
    }

    /// The fields of a message given as a dict, in the dict's order.
    private static func body(of fields: ParamDict, layer: String, type: String) throws -> String {
        try fields.entries.map { try text(assigning: $0.value, to: $0.key, layer: layer, type: type) }.joined()
    }

    private static func scalarText(_ value: ParamValue, key: String, layer: String, type: String) throws -> String {
        switch value {
        case .int(let v): return String(v)
        case .float(let v): return floatText(v)
        case .bool(let v): return v ? "true" : "false"
        case .string(let v): return quoted(v)
        case .enumValue(let v): return v
        case .list, .dict:
            throw NetSpecError.badParameter(layer: layer, type: type, key: key,
                                            reason: "a list of values may not contain lists or dicts")
        }
    }

    /// Shortest text that reads back as the same Double; protobuf then rounds it to the field's
    /// type, as Python's setattr does.
    static func floatText(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return "\(value)"
    }

    static func quoted(_ string: String) -> String {
        var out = "\""
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\t"): out += "\\t"
            case 0x20..<0x7f: out.append(Character(Unicode.Scalar(byte)))
            default: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return out + "\""
    }

    /// Parses a fragment of LayerParameter text, or returns the parser's complaint.
    static func parseLayerFragment(_ text: String) -> Result<Caffe_LayerParameter, CaffeFormatError> {
        do {
            return .success(try CaffeText.parse(text, as: Caffe_LayerParameter.self, file: "<keyword argument>"))
        } catch let error as CaffeFormatError {
            return .failure(error)
        } catch {
            return .failure(CaffeFormatError(file: "<keyword argument>", message: "\(error)"))
        }
    }

    /// Protobuf merge: set scalars of `fragment` replace, repeated fields append, messages merge.
    static func merge(_ fragment: Caffe_LayerParameter, into layer: inout Caffe_LayerParameter) throws {
        let bytes: [UInt8] = try fragment.serializedBytes()
        try layer.merge(serializedBytes: bytes)
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
