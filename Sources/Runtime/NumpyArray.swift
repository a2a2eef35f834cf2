import Foundation
import Kernels

/// A float32 array in numpy's `.npy` format (version 1.0/2.0, little-endian, C order).
///
/// The golden files and `dsod forward` exchange blobs in this format. Reading accepts
/// `<f4`, `<f8`, `|u1`, `<i4` and `<i8` data and converts to Float; writing always produces
/// `<f4`, which is what Caffe's pycaffe scripts and numpy read back bit for bit.
public struct NumpyArray: Equatable, Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    public var count: Int { shape.reduce(1, *) }

    /// Errors name the file and what in its header was unexpected.
    public struct FormatError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): not a readable .npy file: \(reason)" }
    }

    public static func read(_ path: String) throws -> NumpyArray {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FormatError(path: path, reason: "cannot open the file")
        }
        return try decode(data, path: path)
    }

    public static func decode(_ data: Data, path: String = "<memory>") throws -> NumpyArray {
        let bytes = [UInt8](data)
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1...5]) == Array("NUMPY".utf8) else {
            throw FormatError(path: path, reason: "missing the \\x93NUMPY magic")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        } else {
            guard bytes.count >= 12 else { throw FormatError(path: path, reason: "truncated header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        }
        guard bytes.count >= headerStart + headerLength else {
            throw FormatError(path: path, reason: "truncated header")
        }
        let header = String(decoding: bytes[headerStart..<headerStart + headerLength], as: UTF8.self)
        guard let descr = Self.field("descr", in: header)?.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")),
              let shapeText = Self.field("shape", in: header) else {
            throw FormatError(path: path, reason: "header without descr or shape: \(header)")
        }
        if let order = Self.field("fortran_order", in: header), order.contains("True") {
            throw FormatError(path: path, reason: "Fortran-ordered arrays are not supported")
        }
        let shape = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() "))
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard let count = MemoryBudget.product(shape), count <= Int(Int32.max) else {
            throw FormatError(path: path, reason: "shape \(shape) is negative or has more values than a blob can hold (2147483647)")
        }
        let body = bytes[(headerStart + headerLength)...]
        let itemSize: Int
        switch descr {
        case "<f4", "<i4": itemSize = 4
        case "<f8", "<i8": itemSize = 8
        case "|u1", "<u1", "|b1": itemSize = 1
        default: throw FormatError(path: path, reason: "unsupported dtype \(descr)")
        }
        guard body.count / itemSize >= count else {
            throw FormatError(path: path, reason: "data holds \(body.count) bytes, the shape \(shape) needs \(count * itemSize)")
        }
        var values = [Float](repeating: 0, count: count)
        body.withUnsafeBytes { raw in
            switch descr {
            case "<f4": for i in 0..<count { values[i] = Float(bitPattern: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self).littleEndian) }
            case "<f8": for i in 0..<count { values[i] = Float(Double(bitPattern: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self).littleEndian)) }
            case "<i4": for i in 0..<count { values[i] = Float(Int32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self))) }
            case "<i8": for i in 0..<count { values[i] = Float(Int64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: Int64.self))) }
            default: for i in 0..<count { values[i] = Float(raw[i]) }
            }
        }
        return NumpyArray(shape: shape, values: values)
    }

    /// The `.npy` bytes of this array as `<f4`.
    public func encoded() -> Data {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '<f4', 'fortran_order': False, 'shape': \(shapeText), }"
        // Pad so that the data starts on a 64-byte boundary, ending the header with a newline.
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var data = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        let length = UInt16(header.utf8.count)
        data.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        data.append(contentsOf: Array(header.utf8))
        values.withUnsafeBufferPointer { data.append(Data(buffer: $0)) }
        return data
    }

    private static func field(_ key: String, in header: String) -> String? {
        guard let keyRange = header.range(of: "'\(key)':") else { return nil }
        let rest = header[keyRange.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        let end = rest.firstIndex(of: ",") ?? rest.endIndex
        return String(rest[..<end])
    }
}
