import Foundation

/// A small XML reader for annotation files, keeping what boost::property_tree's read_xml
/// keeps: element names, children in document order and each element's text, untrimmed.
/// Comments, processing instructions, DOCTYPE and attributes are skipped; CDATA and the
/// standard and numeric entities are decoded.
struct XMLElement {
    var name: String
    var text: String = ""
    var children: [XMLElement] = []

    func child(_ name: String) -> XMLElement? { children.first { $0.name == name } }

    /// ptree's `get_child("a.b.c")`.
    func path(_ dotted: String) -> XMLElement? {
        var node: XMLElement? = self
        for part in dotted.split(separator: ".") { node = node?.child(String(part)) }
        return node
    }
}

enum MiniXML {
    /// Parses a document and returns a synthetic root whose children are the top elements.
    static func parse(_ text: String, file: String) throws -> XMLElement {
        var parser = Parser(chars: Array(text.unicodeScalars), file: file)
        return try parser.document()
    }

    private struct Parser {
        let chars: [Unicode.Scalar]
        let file: String
        var i = 0

        init(chars: [Unicode.Scalar], file: String) {
            self.chars = chars
            self.file = file
        }

        func error(_ message: String) -> DataPipelineError {
            var line = 1
            for c in chars[0..<min(i, chars.count)] where c == "\n" { line += 1 }
            return DataPipelineError("\(file):\(line)", "XML: \(message)")
        }

        func starts(with s: String) -> Bool {
            var k = i
            for c in s.unicodeScalars {
                guard k < chars.count, chars[k] == c else { return false }
                k += 1
            }
            return true
        }

        mutating func skip(past s: String) throws {
            while i < chars.count {
                if starts(with: s) { i += s.unicodeScalars.count; return }
                i += 1
            }
            throw error("unterminated construct, expected \(s)")
        }

        mutating func document() throws -> XMLElement {
            var root = XMLElement(name: "")
            while i < chars.count {
                if starts(with: "<?") { try skip(past: "?>") }
                else if starts(with: "<!--") { try skip(past: "-->") }
                else if starts(with: "<!") { try skip(past: ">") }
                else if starts(with: "<") { root.children.append(try element(depth: 1)) }
                else if chars[i].properties.isWhitespace { i += 1 }
                else { throw error("text outside the root element") }
            }
            return root
        }

        mutating func name() throws -> String {
            var s = ""
            while i < chars.count, !chars[i].properties.isWhitespace, chars[i] != ">", chars[i] != "/", chars[i] != "=" {
                s.unicodeScalars.append(chars[i]); i += 1
            }
            if s.isEmpty { throw error("expected a name") }
            return s
        }

        /// Elements nest at most this deep (VOC annotations nest 4 deep; a limit keeps a hostile
        /// file from exhausting the stack).
        static let maximumDepth = 256

        mutating func element(depth: Int) throws -> XMLElement {
            guard depth <= Self.maximumDepth else { throw error("elements nested more than \(Self.maximumDepth) deep") }
            i += 1  // <
            var node = XMLElement(name: try name())
            // Attributes (skipped, honouring quotes).
            while i < chars.count, chars[i] != ">", !starts(with: "/>") {
                if chars[i] == "\"" || chars[i] == "'" {
                    let quote = chars[i]; i += 1
                    while i < chars.count, chars[i] != quote { i += 1 }
                }
                i += 1
            }
            if starts(with: "/>") { i += 2; return node }
            guard i < chars.count else { throw error("unterminated start tag <\(node.name)>") }
            i += 1  // >
            while i < chars.count {
                if starts(with: "</") {
                    i += 2
                    let closing = try name()
                    guard closing == node.name else { throw error("</\(closing)> closes <\(node.name)>") }
                    while i < chars.count, chars[i] != ">" { i += 1 }
                    i += 1
                    return node
                }
                if starts(with: "<!--") { try skip(past: "-->"); continue }
                if starts(with: "<![CDATA[") {
                    i += 9
                    while i < chars.count, !starts(with: "]]>") { node.text.unicodeScalars.append(chars[i]); i += 1 }
                    try skip(past: "]]>")
                    continue
                }
                if starts(with: "<?") { try skip(past: "?>"); continue }
                if chars[i] == "<" { node.children.append(try element(depth: depth + 1)); continue }
                if chars[i] == "&" { node.text += try entity(); continue }
                node.text.unicodeScalars.append(chars[i]); i += 1
            }
            throw error("element <\(node.name)> is not closed")
        }

        mutating func entity() throws -> String {
            let start = i
            while i < chars.count, chars[i] != ";" { i += 1 }
            guard i < chars.count else { throw error("unterminated entity") }
            var body = ""
            for c in chars[(start + 1)..<i] { body.unicodeScalars.append(c) }
            i += 1
            switch body {
            case "lt": return "<"
            case "gt": return ">"
            case "amp": return "&"
            case "quot": return "\""
            case "apos": return "'"
            default:
                if body.hasPrefix("#x"), let v = UInt32(body.dropFirst(2), radix: 16), let s = Unicode.Scalar(v) { return String(s) }
                if body.hasPrefix("#"), let v = UInt32(body.dropFirst()), let s = Unicode.Scalar(v) { return String(s) }
                throw error("unknown entity &\(body);")
            }
        }
    }
}

/// boost::property_tree's stream translator for `int`: leading and trailing whitespace is
/// allowed, anything else left over (as in "12.5") makes the read fail.
func ptreeInt(_ text: String) -> Int? {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    var body = Substring(trimmed)
    if body.hasPrefix("+") { body = body.dropFirst() }
    return Int(body).flatMap { Int32(exactly: $0) != nil ? $0 : nil }
}
