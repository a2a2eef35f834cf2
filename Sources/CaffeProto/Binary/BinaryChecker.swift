/// Walks binary protobuf against the schema before it is decoded, so that a truncated or foreign
/// file is reported with the byte offset and the field path where it went wrong (swift-protobuf
/// only says "truncated"). It accepts what libprotobuf accepts: unknown fields, packed or unpacked
/// repeated scalars, and a zero tag at the top level, which libprotobuf takes as the end of the
/// message (so 16 zero bytes "load" as an empty net in Caffe: golden bad_inputs/not_protobuf_zeros).
struct BinaryChecker {
    let bytes: [UInt8]
    let schema: ProtoSchema
    let file: String

    struct Failure: Error {
        let offset: Int
        let message: String
    }

    /// Checks a top-level message; returns the number of bytes that form it (less than
    /// `bytes.count` when a zero tag ended it early).
    func checkTopLevel(_ type: ProtoSchema.MessageType) throws(Failure) -> Int {
        try walk(type, from: 0, to: bytes.count, path: type.fullName, topLevel: true)
    }

    private func varint(at offset: inout Int, limit: Int, path: String) throws(Failure) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while true {
            guard offset < limit else {
                throw Failure(offset: start, message: "truncated inside a varint of \(path)")
            }
            let b = bytes[offset]
            offset += 1
            guard shift < 64 else { throw Failure(offset: start, message: "malformed varint (more than 10 bytes) in \(path)") }
            result |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return result }
            shift += 7
        }
    }

    private func walk(_ type: ProtoSchema.MessageType?, from start: Int, to limit: Int, path: String, topLevel: Bool) throws(Failure) -> Int {
        var offset = start
        var counts: [Int: Int] = [:]
        while offset < limit {
            let tagStart = offset
            let tag = try varint(at: &offset, limit: limit, path: path)
            guard offset - tagStart <= 5, tag <= UInt64(UInt32.max) else {
                // Tags are 32-bit varints (at most 5 bytes) for libprotobuf and the decoder alike.
                throw Failure(offset: tagStart, message: "invalid tag (a \(offset - tagStart)-byte varint, more than a 32-bit tag) in \(path)")
            }
            if tag == 0 {
                if topLevel { return tagStart }
                throw Failure(offset: tagStart, message: "zero tag inside \(path)")
            }
            let number = Int(tag >> 3)
            guard let wire = WireType(rawValue: Int(tag & 7)), number > 0, number < (1 << 29) else {
                throw Failure(offset: tagStart, message: "invalid tag (field \(tag >> 3), wire type \(tag & 7)) in \(path)")
            }
            let field = type?.field(number: number)
            let index = counts[number, default: 0]
            counts[number] = index + 1
            var fieldPath = path + "." + (field?.name ?? "<field \(number)>")
            if field?.isRepeated == true { fieldPath += "[\(index)]" }
            if let field, wire != field.kind.wireType, !(wire == .lengthDelimited && field.isRepeated && field.kind.isPackable) {
                // libprotobuf would keep such a field as unknown; the decoder refuses it, so say where.
                throw Failure(offset: tagStart, message: "\(fieldPath) is written with wire type \(wire), but caffe.proto declares it \(field.kind.label) (wire type \(field.kind.wireType))")
            }
            switch wire {
            case .varint:
                _ = try varint(at: &offset, limit: limit, path: fieldPath)
            case .fixed64:
                guard limit - offset >= 8 else {
                    throw Failure(offset: tagStart, message: "truncated: \(fieldPath) needs 8 bytes, \(limit - offset) remain")
                }
                offset += 8
            case .fixed32:
                guard limit - offset >= 4 else {
                    throw Failure(offset: tagStart, message: "truncated: \(fieldPath) needs 4 bytes, \(limit - offset) remain")
                }
                offset += 4
            case .lengthDelimited:
                let length = try varint(at: &offset, limit: limit, path: fieldPath)
                guard length <= UInt64(limit - offset) else {
                    // Name the layer (or blob) being cut, from what is left of it.
                    if let field, case .message(let nestedName) = field.kind, let nested = schema.messages[nestedName],
                       let childName = nameField(of: nested, from: offset, to: limit) {
                        fieldPath += " (\"\(childName)\")"
                    }
                    throw Failure(offset: tagStart, message: "truncated: \(fieldPath) declares \(length) bytes, \(limit - offset) remain")
                }
                let end = offset + Int(length)
                if let field, field.kind.isPackable {
                    try checkPacked(field.kind, from: offset, to: end, tagStart: tagStart, path: fieldPath)
                }
                if let field, field.kind == .string, !Self.isUTF8(bytes[offset..<end]) {
                    // libprotobuf logs "invalid UTF-8" for proto2 strings and keeps them; the decoder refuses them.
                    throw Failure(offset: offset, message: "\(fieldPath) is not valid UTF-8 text")
                }
                if let field, case .message(let nestedName) = field.kind, let nested = schema.messages[nestedName] {
                    var nestedPath = fieldPath
                    if let childName = nameField(of: nested, from: offset, to: end) { nestedPath += " (\"\(childName)\")" }
                    _ = try walk(nested, from: offset, to: end, path: nestedPath, topLevel: false)
                }
                offset = end
            case .startGroup, .endGroup:
                throw Failure(offset: tagStart, message: "unexpected group wire type in \(fieldPath) (caffe.proto has no groups)")
            }
        }
        return offset
    }

    static func isUTF8(_ slice: ArraySlice<UInt8>) -> Bool {
        var iterator = slice.makeIterator()
        var decoder = Unicode.UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue: continue
            case .emptyInput: return true
            case .error: return false
            }
        }
    }

    /// A packed run of scalars must hold whole values: a multiple of 4 or 8 bytes, or complete
    /// varints.
    private func checkPacked(_ kind: ProtoSchema.Kind, from start: Int, to end: Int, tagStart: Int, path: String) throws(Failure) {
        switch kind.wireType {
        case .fixed32, .fixed64:
            let size = kind.wireType == .fixed32 ? 4 : 8
            guard (end - start) % size == 0 else {
                throw Failure(offset: tagStart, message: "\(path): packed \(kind.label) values take \(end - start) bytes, not a multiple of \(size)")
            }
        default:
            var offset = start
            while offset < end { _ = try varint(at: &offset, limit: end, path: path) }
        }
    }

    /// The value of a message's `name` string field, if it has one early on (layers and blobs
    /// are named in errors by it).
    private func nameField(of type: ProtoSchema.MessageType, from start: Int, to limit: Int) -> String? {
        guard let nameField = type.field(named: "name"), nameField.kind == .string else { return nil }
        var offset = start
        while offset < limit {
            guard let tag = try? varint(at: &offset, limit: limit, path: "") else { return nil }
            guard let wire = WireType(rawValue: Int(tag & 7)) else { return nil }
            switch wire {
            case .varint: guard (try? varint(at: &offset, limit: limit, path: "")) != nil else { return nil }
            case .fixed64: offset += 8
            case .fixed32: offset += 4
            case .lengthDelimited:
                guard let length = try? varint(at: &offset, limit: limit, path: ""), length <= UInt64(limit - offset) else { return nil }
                if Int(tag >> 3) == nameField.number {
                    return String(decoding: bytes[offset..<offset + Int(length)], as: UTF8.self)
                }
                offset += Int(length)
            default: return nil
            }
        }
        return nil
    }
}
