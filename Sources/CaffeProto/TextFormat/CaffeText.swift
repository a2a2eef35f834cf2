import Foundation
import SwiftProtobuf

/// Protobuf text format as Caffe reads and writes it (prototxt).
public enum CaffeText {
    /// Parses `text` into a message with libprotobuf's rules (a non-repeated field may not appear
    /// twice; enums by name or number; `#` comments). Errors name `file`, the line and column, and
    /// what was expected.
    public static func parse<M: SwiftProtobuf.Message>(_ text: String, as type: M.Type = M.self, file: String) throws -> M {
        try parse(bytes: Array(text.utf8), as: M.self, file: file)
    }

    public static func parse<M: SwiftProtobuf.Message>(bytes: [UInt8], as type: M.Type = M.self, file: String) throws -> M {
        guard let schemaType = ProtoSchema.caffe.message(for: M.self) else {
            throw CaffeFormatError(file: file, message: "internal error: \(M.protoMessageName) is not in caffe.proto")
        }
        var parser = try TextParser(bytes: bytes, file: file, schema: .caffe)
        let encoded = try parser.parseMessage(schemaType)
        do {
            return try M(serializedBytes: encoded, partial: true)
        } catch {
            throw CaffeFormatError(file: file, message: "internal error re-reading the parsed \(M.protoMessageName): \(error)")
        }
    }

    /// The text form of a message as Caffe's Python tools write it (and Caffe's C++ printer, but
    /// for float digits): two-space indent, fields in field-number order, enum names, floats as
    /// the shortest decimal that round-trips, and one line per repeated value.
    public static func format<M: SwiftProtobuf.Message>(_ message: M) -> String {
        let text = message.textFormatString()
        guard text.contains(": [") else { return text }
        // swift-protobuf prints packed repeated scalars as `dim: [1, 3]`; protobuf's own printers
        // write one `dim: 1` line per value. Only numbers appear in such lists.
        var out = ""
        out.reserveCapacity(text.utf8.count + text.utf8.count / 4)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasSuffix("]"), let open = line.range(of: ": [") else {
                out += line
                out += "\n"
                continue
            }
            let prefix = line[..<open.lowerBound]
            let values = line[open.upperBound..<line.index(before: line.endIndex)]
            for value in values.split(separator: ",") {
                out += prefix
                out += ": "
                out += value.trimmingCharacters(in: .whitespaces)
                out += "\n"
            }
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}
