/// Protobuf's wire format: the pieces both the text parser (which encodes what it reads) and the
/// binary checker (which walks what it is given) need.
enum WireType: Int, CustomStringConvertible {
    case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5

    var description: String {
        switch self {
        case .varint: return "0 (varint)"
        case .fixed64: return "1 (64-bit)"
        case .lengthDelimited: return "2 (length-delimited)"
        case .startGroup: return "3 (group start)"
        case .endGroup: return "4 (group end)"
        case .fixed32: return "5 (32-bit)"
        }
    }
}

extension ProtoSchema.Kind {
    /// The wire type a field of this kind is written with (unpacked).
    var wireType: WireType {
        switch self {
        case .double, .fixed64, .sfixed64: return .fixed64
        case .float, .fixed32, .sfixed32: return .fixed32
        case .string, .bytes, .message: return .lengthDelimited
        default: return .varint
        }
    }

    /// Numeric kinds, which a repeated field may also store packed (one length-delimited run).
    var isPackable: Bool {
        switch self {
        case .string, .bytes, .message: return false
        default: return true
        }
    }

    /// The kind as caffe.proto spells it ("float", "string", "message caffe.BlobShape").
    var label: String {
        switch self {
        case .message(let name): return "message \(name)"
        case .enumeration(let name): return "enum \(name)"
        default: return "\(self)"
        }
    }

    /// The name protobuf's text parser uses in "Expected X" messages.
    var textTypeName: String {
        switch self {
        case .double, .float: return "double"
        case .string, .bytes: return "string"
        case .bool: return "boolean"
        case .message(let name): return "message \(name)"
        case .enumeration: return "integer or identifier"
        default: return "integer"
        }
    }
}

/// Appends wire-format encodings to a byte buffer.
struct WireWriter {
    var bytes: [UInt8] = []

    mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func tag(_ number: Int, _ type: WireType) {
        varint(UInt64(number) << 3 | UInt64(type.rawValue))
    }

    mutating func fixed32(_ value: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(i)))) }
    }

    mutating func fixed64(_ value: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(i)))) }
    }

    mutating func lengthDelimited(_ payload: [UInt8]) {
        varint(UInt64(payload.count))
        bytes.append(contentsOf: payload)
    }
}
