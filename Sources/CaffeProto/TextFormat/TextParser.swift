/// A schema-driven parser for protobuf text format that behaves like libprotobuf's
/// `TextFormat::Parser` (which Caffe uses for every prototxt) and encodes what it reads as
/// binary protobuf. Errors carry libprotobuf's wording and its positions: most are reported at
/// the token where the parser noticed the problem, which can be the token after the bad one.
/// On top of libprotobuf we name the nearest valid field and list valid enum values.
struct TextParser {
    private var tokenizer: TextTokenizer
    private var current: TextToken
    private let schema: ProtoSchema
    private let file: String
    /// Nesting limit, as libprotobuf's default recursion limit (100).
    private static let maxDepth = 100

    init(bytes: [UInt8], file: String, schema: ProtoSchema) throws {
        tokenizer = TextTokenizer(bytes: bytes, file: file)
        current = TextToken(kind: .end, text: "", line: 1, column: 1)
        self.schema = schema
        self.file = file
        current = try tokenizer.next()
    }

    // MARK: Tokens

    private func error(_ message: String, at token: TextToken? = nil) -> CaffeFormatError {
        let t = token ?? current
        return CaffeFormatError(file: file, line: t.line, column: t.column, message: message)
    }

    private mutating func advance() throws { current = try tokenizer.next() }

    private func lookingAt(_ symbol: String) -> Bool {
        current.kind != .string && current.text == symbol && current.kind != .end
    }

    private mutating func tryConsume(_ symbol: String) throws -> Bool {
        guard lookingAt(symbol) else { return false }
        try advance()
        return true
    }

    private mutating func consume(_ symbol: String) throws {
        guard try tryConsume(symbol) else {
            throw error("Expected \"\(symbol)\", found \"\(current.text)\".")
        }
    }

    // MARK: Messages

    /// Parses a whole message of `type` until the end of input; returns its binary encoding.
    mutating func parseMessage(_ type: ProtoSchema.MessageType) throws -> [UInt8] {
        var writer = WireWriter()
        var seen = Set<Int>()
        while current.kind != .end {
            try parseField(of: type, into: &writer, seen: &seen, depth: 0)
        }
        return writer.bytes
    }

    private mutating func parseMessageBody(_ type: ProtoSchema.MessageType, closing: String, depth: Int) throws -> [UInt8] {
        guard depth < Self.maxDepth else {
            throw error("Message is too deep: more than \(Self.maxDepth) nested levels.")
        }
        var writer = WireWriter()
        var seen = Set<Int>()
        while !lookingAt(closing) {
            if current.kind == .end {
                // libprotobuf reports the unclosed message when it looks for the next field name.
                throw error("Expected identifier, got: (end of file); a \"\(closing == "}" ? "{" : "<")\" is never closed.")
            }
            if lookingAt("}") || lookingAt(">") {
                throw error("Expected \"\(closing)\", found \"\(current.text)\".")
            }
            try parseField(of: type, into: &writer, seen: &seen, depth: depth)
        }
        try advance()
        return writer.bytes
    }

    private mutating func parseField(of type: ProtoSchema.MessageType, into writer: inout WireWriter,
                                     seen: inout Set<Int>, depth: Int) throws {
        if lookingAt("[") {
            throw error("Extensions and Any types (\"[...]\") are not supported in Caffe files.")
        }
        guard current.kind == .identifier else {
            throw error("Expected identifier, got: \(current.text)")
        }
        let nameToken = current
        try advance()
        guard let field = type.field(named: nameToken.text) else {
            var message = "Message type \"\(type.fullName)\" has no field named \"\(nameToken.text)\"."
            if let near = Self.nearestName(to: nameToken.text, among: type.fields.map(\.name)) {
                message += " Did you mean \"\(near)\"?"
            }
            throw error(message)
        }
        if !field.isRepeated && seen.contains(field.number) {
            throw error("Non-repeated field \"\(field.name)\" is specified multiple times.")
        }
        seen.insert(field.number)

        if case .message(let typeName) = field.kind {
            guard let nested = schema.messages[typeName] else {
                throw error("Internal schema error: no message type \(typeName).")
            }
            _ = try tryConsume(":")
            if field.isRepeated, try tryConsume("[") {
                if !(try tryConsume("]")) {
                    repeat {
                        try parseMessageValue(nested, field: field, into: &writer, depth: depth)
                    } while try tryConsume(",")
                    try consume("]")
                }
            } else {
                try parseMessageValue(nested, field: field, into: &writer, depth: depth)
            }
        } else {
            try consume(":")
            if field.isRepeated, try tryConsume("[") {
                if !(try tryConsume("]")) {
                    repeat { try parseScalar(field, into: &writer) } while try tryConsume(",")
                    try consume("]")
                }
            } else {
                try parseScalar(field, into: &writer)
            }
        }
        if !(try tryConsume(";")) { _ = try tryConsume(",") }
    }

    private mutating func parseMessageValue(_ type: ProtoSchema.MessageType, field: ProtoSchema.Field,
                                            into writer: inout WireWriter, depth: Int) throws {
        let closing: String
        if try tryConsume("{") {
            closing = "}"
        } else if try tryConsume("<") {
            closing = ">"
        } else {
            throw error("Expected \"{\", found \"\(current.text)\" (field \"\(field.name)\" is a message).")
        }
        let body = try parseMessageBody(type, closing: closing, depth: depth + 1)
        writer.tag(field.number, .lengthDelimited)
        writer.lengthDelimited(body)
    }

    // MARK: Scalars

    private mutating func parseScalar(_ field: ProtoSchema.Field, into writer: inout WireWriter) throws {
        switch field.kind {
        case .int32, .sint32, .sfixed32:
            let v = try signedInteger(min: Int64(Int32.min), max: Int64(Int32.max))
            writeSigned(v, field, &writer)
        case .int64, .sint64, .sfixed64:
            let v = try signedInteger(min: Int64.min, max: Int64.max)
            writeSigned(v, field, &writer)
        case .uint32, .fixed32:
            let v = try unsignedInteger(max: UInt64(UInt32.max))
            if field.kind == .fixed32 {
                writer.tag(field.number, .fixed32); writer.fixed32(UInt32(v))
            } else {
                writer.tag(field.number, .varint); writer.varint(v)
            }
        case .uint64, .fixed64:
            let v = try unsignedInteger(max: UInt64.max)
            if field.kind == .fixed64 {
                writer.tag(field.number, .fixed64); writer.fixed64(v)
            } else {
                writer.tag(field.number, .varint); writer.varint(v)
            }
        case .float:
            let v = try double()
            writer.tag(field.number, .fixed32)
            writer.fixed32(Float(v).bitPattern)
        case .double:
            let v = try double()
            writer.tag(field.number, .fixed64)
            writer.fixed64(v.bitPattern)
        case .bool:
            let v = try bool(field)
            writer.tag(field.number, .varint)
            writer.varint(v ? 1 : 0)
        case .string, .bytes:
            let literal = current
            let v = try string()
            if field.kind == .string && !BinaryChecker.isUTF8(v[...]) {
                // libprotobuf logs this for proto2 strings and keeps the bytes; the decoder refuses them.
                throw error("String field \"\(field.name)\" contains invalid UTF-8 data.", at: literal)
            }
            writer.tag(field.number, .lengthDelimited)
            writer.lengthDelimited(v)
        case .enumeration(let enumName):
            let v = try enumValue(field, enumName)
            writer.tag(field.number, .varint)
            writer.varint(UInt64(bitPattern: Int64(v)))
        case .message:
            throw error("Internal error: message field parsed as a scalar.")
        }
    }

    private func writeSigned(_ v: Int64, _ field: ProtoSchema.Field, _ writer: inout WireWriter) {
        switch field.kind {
        case .sint32, .sint64:
            writer.tag(field.number, .varint)
            writer.varint(UInt64(bitPattern: (v << 1) ^ (v >> 63)))
        case .sfixed32:
            writer.tag(field.number, .fixed32)
            writer.fixed32(UInt32(bitPattern: Int32(truncatingIfNeeded: v)))
        case .sfixed64:
            writer.tag(field.number, .fixed64)
            writer.fixed64(UInt64(bitPattern: v))
        default:
            writer.tag(field.number, .varint)
            writer.varint(UInt64(bitPattern: v))
        }
    }

    /// An unsigned integer token's value (decimal, `0x` hex or leading-zero octal).
    private func integerValue(_ token: TextToken) -> UInt64? {
        let t = token.text
        if t.hasPrefix("0x") || t.hasPrefix("0X") { return UInt64(t.dropFirst(2), radix: 16) }
        if t.count > 1 && t.hasPrefix("0") { return UInt64(t.dropFirst(), radix: 8) }
        return UInt64(t, radix: 10)
    }

    private mutating func unsignedInteger(max: UInt64) throws -> UInt64 {
        guard current.kind == .integer else { throw error("Expected integer, got: \(current.text)") }
        guard let v = integerValue(current), v <= max else {
            throw error("Integer out of range (\(current.text)); the largest allowed is \(max).")
        }
        try advance()
        return v
    }

    private mutating func signedInteger(min: Int64, max: Int64) throws -> Int64 {
        let negative = try tryConsume("-")
        guard current.kind == .integer else { throw error("Expected integer, got: \(current.text)") }
        // Two's complement: the negative range is one larger than the positive one.
        let limit = negative ? UInt64(max) + 1 : UInt64(max)
        guard let v = integerValue(current), v <= limit else {
            throw error("Integer out of range (\(negative ? "-" : "")\(current.text)); allowed: \(min)...\(max).")
        }
        try advance()
        if negative { return v == UInt64(1) << 63 ? Int64.min : -Int64(v) }
        return Int64(v)
    }

    private mutating func double() throws -> Double {
        let negative = try tryConsume("-")
        var value: Double
        switch current.kind {
        case .integer:
            guard let v = integerValue(current) else { throw error("Integer out of range (\(current.text)).") }
            value = Double(v)
        case .float:
            var text = current.text
            if text.hasSuffix("f") || text.hasSuffix("F") { text.removeLast() }
            if text.hasPrefix(".") { text = "0" + text }
            if text.hasSuffix(".") { text += "0" }
            guard let v = Double(text) else { throw error("Expected double, got: \(current.text)") }
            value = v
        case .identifier:
            switch current.text.lowercased() {
            case "inf", "infinity": value = .infinity
            case "nan": value = .nan
            default: throw error("Expected double, got: \(current.text)")
            }
        default:
            throw error("Expected double, got: \(current.text)")
        }
        try advance()
        return negative ? -value : value
    }

    private mutating func bool(_ field: ProtoSchema.Field) throws -> Bool {
        if current.kind == .integer {
            let v = try unsignedInteger(max: UInt64.max)
            guard v <= 1 else { throw error("Integer out of range (\(v)) for boolean field \"\(field.name)\".") }
            return v == 1
        }
        guard current.kind == .identifier else { throw error("Expected identifier, got: \(current.text)") }
        let text = current.text
        switch text {
        case "true", "True", "t": try advance(); return true
        case "false", "False", "f": try advance(); return false
        default: throw error("Invalid value for boolean field \"\(field.name)\". Value: \"\(text)\".")
        }
    }

    private mutating func string() throws -> [UInt8] {
        guard current.kind == .string else { throw error("Expected string, got: \(current.text)") }
        var result: [UInt8] = []
        // Adjacent string literals concatenate, as in libprotobuf.
        while current.kind == .string {
            result += try Self.unescape(current, file: file)
            try advance()
        }
        return result
    }

    private mutating func enumValue(_ field: ProtoSchema.Field, _ enumName: String) throws -> Int32 {
        guard let type = schema.enums[enumName] else { throw error("Internal schema error: no enum \(enumName).") }
        let valid = type.values.map(\.name).joined(separator: ", ")
        if current.kind == .identifier {
            let name = current.text
            try advance()
            guard let number = type.number(named: name) else {
                throw error("Unknown enumeration value of \"\(name)\" for field \"\(field.name)\"; expected one of \(valid).")
            }
            return number
        }
        if current.kind == .integer || lookingAt("-") {
            let start = current
            let v = try signedInteger(min: Int64(Int32.min), max: Int64(Int32.max))
            // Caffe's enums are closed (proto2): a number must name a value.
            guard type.name(of: Int32(v)) != nil else {
                throw error("Unknown enumeration value of \"\(v)\" for field \"\(field.name)\"; expected one of \(valid).", at: start.line == current.line ? current : start)
            }
            return Int32(v)
        }
        throw error("Expected integer or identifier, got: \(current.text)")
    }

    // MARK: Helpers

    /// The bytes a quoted string literal stands for (C escapes, octal and hex).
    static func unescape(_ token: TextToken, file: String) throws -> [UInt8] {
        let raw = Array(token.text.utf8)
        var out: [UInt8] = []
        var i = 1
        let end = raw.count - 1
        while i < end {
            let c = raw[i]
            guard c == UInt8(ascii: "\\") else { out.append(c); i += 1; continue }
            i += 1
            guard i < end else { break }
            let e = raw[i]
            switch e {
            case UInt8(ascii: "n"): out.append(10); i += 1
            case UInt8(ascii: "t"): out.append(9); i += 1
            case UInt8(ascii: "r"): out.append(13); i += 1
            case UInt8(ascii: "a"): out.append(7); i += 1
            case UInt8(ascii: "b"): out.append(8); i += 1
            case UInt8(ascii: "f"): out.append(12); i += 1
            case UInt8(ascii: "v"): out.append(11); i += 1
            case UInt8(ascii: "x"), UInt8(ascii: "X"):
                i += 1
                var v = 0, n = 0
                while i < end, n < 2, let d = hexValue(raw[i]) { v = v * 16 + d; i += 1; n += 1 }
                out.append(UInt8(v & 0xFF))
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var v = 0, n = 0
                while i < end, n < 3, raw[i] >= 48, raw[i] <= 55 { v = v * 8 + Int(raw[i] - 48); i += 1; n += 1 }
                out.append(UInt8(v & 0xFF))
            default:
                out.append(e); i += 1
            }
        }
        return out
    }

    private static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 48...57: return Int(c - 48)
        case 97...102: return Int(c - 87)
        case 65...70: return Int(c - 55)
        default: return nil
        }
    }

    /// The candidate closest to `name` by edit distance, if close enough to be a likely typo.
    static func nearestName(to name: String, among candidates: [String]) -> String? {
        let target = Array(name.lowercased())
        var best: (String, Int)? = nil
        for candidate in candidates {
            let d = editDistance(target, Array(candidate.lowercased()))
            if best == nil || d < best!.1 { best = (candidate, d) }
        }
        guard let (candidate, distance) = best, distance <= max(2, target.count / 3) else { return nil }
        return candidate
    }

    private static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        var row = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            row[0] = i
            for j in 1...b.count {
                row[j] = Swift.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            swap(&previous, &row)
        }
        return previous[b.count]
    }
}
