import Foundation
import SwiftProtobuf

/// Binary protobuf as Caffe reads and writes it (`.caffemodel`, `.solverstate`, `.binaryproto`).
public enum CaffeBinary {
    /// A decoded message and what was odd about the file without being an error in Caffe.
    public struct Decoded<M: SwiftProtobuf.Message> {
        public var message: M
        public var warnings: [String]
    }

    /// Caffe's limit on a binary file (`kProtoReadBytesLimit = INT_MAX` in util/io.cpp).
    public static let maximumSize = Int(Int32.max)

    /// Decodes `data` as a message of type `M`, with errors naming `file`, the byte offset and the
    /// field path. Accepts what Caffe accepts, including an empty file and a zero tag that ends
    /// the message early (both reported as warnings).
    public static func decode<M: SwiftProtobuf.Message>(_ data: Data, as type: M.Type = M.self, file: String) throws -> Decoded<M> {
        guard data.count <= maximumSize else {
            throw CaffeFormatError(file: file, message: "is \(data.count) bytes; protobuf messages (and Caffe) are limited to 2 GiB - 1")
        }
        guard let schemaType = ProtoSchema.caffe.message(for: M.self) else {
            throw CaffeFormatError(file: file, message: "internal error: \(M.protoMessageName) is not in caffe.proto")
        }
        let bytes = [UInt8](data)
        var warnings: [String] = []
        if bytes.isEmpty {
            warnings.append("\(file) is empty; Caffe reads it as an empty \(M.protoMessageName)")
        }
        let checker = BinaryChecker(bytes: bytes, schema: .caffe, file: file)
        let end: Int
        do {
            end = try checker.checkTopLevel(schemaType)
        } catch {
            var message = "not a valid binary \(M.protoMessageName): \(error.message)"
            if let kind = foreignKind(bytes) { message += " (the file looks like \(kind))" }
            throw CaffeFormatError(file: file, byteOffset: error.offset, message: message)
        }
        if end < bytes.count {
            // libprotobuf stops at a zero tag; Caffe then uses what came before it.
            warnings.append("\(file): a zero tag at byte \(end) ends the message; the \(bytes.count - end) bytes after it are ignored, as Caffe does")
        }
        do {
            let message = try M(serializedBytes: end == data.count ? data : data.prefix(end), partial: true)
            return Decoded(message: message, warnings: warnings)
        } catch {
            // The checker passed something the decoder refuses: name the first top-level field
            // the decoder refuses on its own.
            let place = firstRefusedField(bytes, end: end, type: schemaType, as: M.self)
            throw CaffeFormatError(file: file, byteOffset: place?.offset ?? 0,
                                   message: "not a valid binary \(M.protoMessageName): \(place?.path ?? M.protoMessageName) cannot be decoded (\(error))")
        }
    }

    /// The offset and name of the first top-level field that does not decode alone.
    static func firstRefusedField<M: SwiftProtobuf.Message>(_ bytes: [UInt8], end: Int, type: ProtoSchema.MessageType,
                                                          as: M.Type) -> (offset: Int, path: String)? {
        func varint(_ offset: inout Int) -> UInt64? {
            var result: UInt64 = 0, shift: UInt64 = 0
            while offset < end, shift < 64 {
                let byte = bytes[offset]
                offset += 1
                result |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return result }
                shift += 7
            }
            return nil
        }
        var offset = 0
        var counts: [Int: Int] = [:]
        while offset < end {
            let start = offset
            guard let tag = varint(&offset) else { return nil }
            switch tag & 7 {
            case 0: guard varint(&offset) != nil else { return nil }
            case 1: offset += 8
            case 5: offset += 4
            case 2:
                guard let length = varint(&offset), length <= UInt64(end - offset) else { return nil }
                offset += Int(length)
            default: return nil
            }
            guard offset <= end else { return nil }
            let number = Int(tag >> 3)
            let index = counts[number, default: 0]
            counts[number] = index + 1
            if (try? M(serializedBytes: Data(bytes[start..<offset]), partial: true)) == nil {
                let field = type.field(number: number)
                var path = M.protoMessageName + "." + (field?.name ?? "<field \(number)>")
                if field?.isRepeated == true { path += "[\(index)]" }
                return (start, path)
            }
        }
        return nil
    }

    /// The binary encoding of a message, as Caffe writes it.
    public static func encode<M: SwiftProtobuf.Message>(_ message: M) throws -> Data {
        try message.serializedBytes()
    }

    /// A guess at what a file that is not protobuf is, from its first bytes.
    static func foreignKind(_ bytes: [UInt8]) -> String? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "a JPEG image" }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) { return "a PNG image" }
        if bytes.starts(with: [0x89, 0x48, 0x44, 0x46]) { return "an HDF5 file; HDF5 weights are not supported" }
        if bytes.starts(with: [0x93] + Array("NUMPY".utf8)) { return "a numpy .npy file" }
        let head = bytes.prefix(256)
        if head.count >= 16, head.allSatisfy({ $0 == 9 || $0 == 10 || $0 == 13 || ($0 >= 32 && $0 < 127) }) {
            return "text (a prototxt?); give text files a .prototxt extension"
        }
        return nil
    }
}
