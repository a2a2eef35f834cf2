/// Every error a Caffe file reader reports: where (file, line and column for text, byte offset
/// for binary) and what was expected. `description` is the one line a user sees.
public struct CaffeFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String
    /// 1-based line and column for text input; nil for binary input.
    public var line: Int?
    public var column: Int?
    /// Byte offset for binary input.
    public var byteOffset: Int?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, byteOffset: Int? = nil, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.byteOffset = byteOffset
        self.message = message
    }

    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        if let byteOffset { location += " (byte \(byteOffset))" }
        return "\(location): \(message)"
    }
}
