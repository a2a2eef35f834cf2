/// Splits protobuf text format into tokens the way libprotobuf's `io::Tokenizer` does for
/// `TextFormat`: `#` comments, identifiers, decimal/hex/octal integers, floats with an optional
/// `f` suffix, single- or double-quoted strings, and one-character symbols. The first lexical
/// error (a control character, an unterminated string) is reported with its position.
struct TextTokenizer {
    private let bytes: [UInt8]
    private var index = 0
    private var line = 1
    private var column = 1
    let file: String

    init(bytes: [UInt8], file: String) {
        self.bytes = bytes
        self.file = file
    }

    private func peek(_ offset: Int = 0) -> UInt8? {
        index + offset < bytes.count ? bytes[index + offset] : nil
    }

    private mutating func advance() {
        if bytes[index] == UInt8(ascii: "\n") {
            line += 1
            column = 1
        } else if bytes[index] == UInt8(ascii: "\t") {
            column += 8 - (column - 1) % 8
        } else {
            column += 1
        }
        index += 1
    }

    private func error(_ message: String, line: Int, column: Int) -> CaffeFormatError {
        CaffeFormatError(file: file, line: line, column: column, message: message)
    }

    private static func isLetter(_ c: UInt8) -> Bool {
        (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c == UInt8(ascii: "_")
    }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }
    private static func isHexDigit(_ c: UInt8) -> Bool {
        isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
    }

    /// The next token, or `.end` at the end of input.
    mutating func next() throws -> TextToken {
        // Skip whitespace and comments.
        while let c = peek() {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\n") || c == UInt8(ascii: "\t")
                || c == UInt8(ascii: "\r") || c == 0x0B || c == 0x0C {
                advance()
            } else if c == UInt8(ascii: "#") {
                while let d = peek(), d != UInt8(ascii: "\n") { advance() }
            } else if c < 0x20 || c == 0x7F {
                // libprotobuf: "Invalid control characters encountered in text."
                throw error("Invalid control characters encountered in text (is this a binary file?).", line: line, column: column)
            } else {
                break
            }
        }
        let startLine = line, startColumn = column, start = index
        guard let c = peek() else { return TextToken(kind: .end, text: "", line: line, column: column) }

        func text() -> String { String(decoding: bytes[start..<index], as: UTF8.self) }

        if Self.isLetter(c) {
            while let d = peek(), Self.isLetter(d) || Self.isDigit(d) { advance() }
            return TextToken(kind: .identifier, text: text(), line: startLine, column: startColumn)
        }
        if Self.isDigit(c) || (c == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true) {
            var isFloat = false
            if c == UInt8(ascii: "0"), let x = peek(1), x == UInt8(ascii: "x") || x == UInt8(ascii: "X") {
                advance(); advance()
                while let d = peek(), Self.isHexDigit(d) { advance() }
            } else {
                while let d = peek(), Self.isDigit(d) { advance() }
                if peek() == UInt8(ascii: ".") {
                    isFloat = true
                    advance()
                    while let d = peek(), Self.isDigit(d) { advance() }
                }
                if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                    isFloat = true
                    advance()
                    if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { advance() }
                    while let d = peek(), Self.isDigit(d) { advance() }
                }
                if let f = peek(), f == UInt8(ascii: "f") || f == UInt8(ascii: "F") {
                    isFloat = true
                    advance()
                }
            }
            if let d = peek(), Self.isLetter(d) {
                throw error("Need space between number and identifier.", line: line, column: column)
            }
            return TextToken(kind: isFloat ? .float : .integer, text: text(), line: startLine, column: startColumn)
        }
        if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
            advance()
            while true {
                guard let d = peek(), d != UInt8(ascii: "\n") else {
                    throw error("Unexpected end of string.", line: startLine, column: startColumn)
                }
                advance()
                if d == UInt8(ascii: "\\") {
                    guard peek() != nil else { throw error("Unexpected end of string.", line: startLine, column: startColumn) }
                    advance()
                } else if d == c {
                    break
                }
            }
            return TextToken(kind: .string, text: text(), line: startLine, column: startColumn)
        }
        advance()
        return TextToken(kind: .symbol, text: text(), line: startLine, column: startColumn)
    }
}
