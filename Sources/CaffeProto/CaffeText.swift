import Foundation
import SwiftProtobuf

/// Protobuf text format as Caffe reads and writes it (prototxt).
public enum CaffeText {
    /// Parses `text` into a message. Errors name `file`, the line and column, and what was
    /// expected.
    public static func parse<M: SwiftProtobuf.Message>(_ text: String, as type: M.Type = M.self, file: String) throws -> M {
        // Placeholder until the schema-driven parser lands: swift-protobuf's decoder.
        do {
            return try M(textFormatString: text)
        } catch {
            throw CaffeFormatError(file: file, message: "cannot parse as \(M.protoMessageName): \(error)")
        }
    }

    /// The text form of a message as Caffe's and Python's printers write it: two-space indent,
    /// fields in field-number order, one line per repeated value.
    public static func format<M: SwiftProtobuf.Message>(_ message: M) -> String {
        message.textFormatString()
    }
}
