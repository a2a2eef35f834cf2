import Foundation

/// The height and width of an original image, in pixels.
public struct ImageSize: Equatable, Sendable {
    public var height: Int
    public var width: Int

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
    }
}

/// A name-size file (`name height width` per line), as DetectionEvaluate and DetectionOutput
/// read it with `while (infile >> name >> height >> width)`: whitespace-separated fields,
/// reading stops silently at the first entry whose height or width is not an integer.
public struct NameSizeFile: Equatable, Sendable {
    public var names: [String]
    public var sizes: [ImageSize]

    public init(names: [String], sizes: [ImageSize]) {
        self.names = names
        self.sizes = sizes
    }

    /// Parses the text of a name-size file with C++ stream semantics.
    public init(text: String) {
        var reader = StreamReader(Array(text.utf8))
        var names: [String] = []
        var sizes: [ImageSize] = []
        while let name = reader.word(), let height = reader.int(), let width = reader.int() {
            names.append(name)
            sizes.append(ImageSize(height: height, width: width))
        }
        self.init(names: names, sizes: sizes)
    }

    /// Reads the file at `path`. Throws when it cannot be opened (Caffe: "Failed to open name
    /// size file").
    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DetectionError("Failed to open name size file: \(path)")
        }
        self.init(text: String(decoding: data, as: UTF8.self))
    }

    /// `operator>>` for `std::string` and `int`.
    private struct StreamReader {
        let bytes: [UInt8]
        var position = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        private static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0d) }

        private mutating func skipSpace() {
            while position < bytes.count && Self.isSpace(bytes[position]) { position += 1 }
        }

        mutating func word() -> String? {
            skipSpace()
            let start = position
            while position < bytes.count && !Self.isSpace(bytes[position]) { position += 1 }
            return position > start ? String(decoding: bytes[start..<position], as: UTF8.self) : nil
        }

        mutating func int() -> Int? {
            skipSpace()
            var negative = false
            if position < bytes.count && (bytes[position] == UInt8(ascii: "-") || bytes[position] == UInt8(ascii: "+")) {
                negative = bytes[position] == UInt8(ascii: "-")
                position += 1
            }
            var value = 0
            var digits = 0
            while position < bytes.count, bytes[position] >= UInt8(ascii: "0"), bytes[position] <= UInt8(ascii: "9") {
                value = value * 10 + Int(bytes[position] - UInt8(ascii: "0"))
                digits += 1
                position += 1
                if value > Int(Int32.max) + 1 { return nil }
            }
            guard digits > 0 else { return nil }
            let signed = negative ? -value : value
            guard signed >= Int(Int32.min) && signed <= Int(Int32.max) else { return nil }
            return signed
        }
    }
}
