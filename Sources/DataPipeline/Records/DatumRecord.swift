import CaffeProto
import Foundation
import Kernels

/// Caffe's `Datum` as a plain value: either encoded image bytes (JPEG) or raw pixels in
/// C × H × W order (bytes, or floats in `floatData`).
public struct DatumRecord: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var encoded: Bool
    public var data: Data
    public var floatData: [Float]
    public var label: Int32

    public init(channels: Int, height: Int, width: Int, encoded: Bool, data: Data, floatData: [Float] = [], label: Int32 = 0) {
        self.channels = channels
        self.height = height
        self.width = width
        self.encoded = encoded
        self.data = data
        self.floatData = floatData
        self.label = label
    }

    public init(_ d: Caffe_Datum) {
        self.init(channels: Int(d.channels), height: Int(d.height), width: Int(d.width), encoded: d.encoded,
                  data: d.data, floatData: d.floatData, label: d.label)
    }

    /// The proto form, with the fields Caffe's tools set.
    public var proto: Caffe_Datum {
        var d = Caffe_Datum()
        d.channels = Int32(channels)
        d.height = Int32(height)
        d.width = Int32(width)
        d.data = data
        d.label = label
        if !floatData.isEmpty { d.floatData = floatData }
        d.encoded = encoded
        return d
    }

    /// A JPEG-encoded datum of `image` as Caffe's `EncodeCVMatToDatum(img, "jpg")`.
    public static func encodedJPEG(_ image: ByteImage, label: Int32) throws -> DatumRecord {
        DatumRecord(channels: image.channels, height: image.height, width: image.width, encoded: true,
                    data: try JPEGCodec.encode(image), label: label)
    }

    /// A raw datum of `image` as `CVMatToDatum` (HWC → CHW bytes).
    public static func raw(_ image: ByteImage, label: Int32) -> DatumRecord {
        let c = image.channels, h = image.height, w = image.width
        var bytes = [UInt8](repeating: 0, count: c * h * w)
        image.pixels.withUnsafeBufferPointer { src in
            bytes.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        for k in 0..<c { dst[(k * h + y) * w + x] = src[(y * w + x) * c + k] }
                    }
                }
            }
        }
        return DatumRecord(channels: c, height: h, width: w, encoded: false, data: Data(bytes), label: label)
    }

    /// Checks that the fields describe pixels that are present; `location` names the record.
    public func validate(_ location: String) throws {
        if encoded {
            if data.isEmpty { throw DataPipelineError(location, "encoded datum without image bytes") }
            return
        }
        guard channels > 0, height > 0, width > 0 else {
            throw DataPipelineError(location, "raw datum with shape \(channels)x\(height)x\(width); expected positive channels, height and width")
        }
        guard let count = MemoryBudget.product([channels, height, width]) else {
            throw DataPipelineError(location, "raw datum with shape \(channels)x\(height)x\(width): too many values to count")
        }
        if !data.isEmpty {
            if data.count != count {
                throw DataPipelineError(location, "raw datum holds \(data.count) bytes, its shape \(channels)x\(height)x\(width) needs \(count)")
            }
        } else if floatData.count != count {
            throw DataPipelineError(location, "raw datum holds \(floatData.count) floats and no bytes, its shape \(channels)x\(height)x\(width) needs \(count)")
        }
    }

    /// Decodes an encoded datum (`DecodeDatumToCVMat` / `DecodeDatumToCVMatNative`).
    public func decodeImage(_ mode: DecodeMode, location: String) throws -> ByteImage {
        guard encoded else { throw DataPipelineError(location, "datum is not encoded") }
        return try JPEGCodec.decodeAny(data, mode: mode, source: location)
    }

    /// Raw byte pixels as an interleaved image (CHW → HWC); nil for float data.
    public func rawImage() -> ByteImage? {
        guard !encoded, !data.isEmpty, data.count == MemoryBudget.product([channels, height, width]) else { return nil }
        let c = channels, h = height, w = width
        var pixels = [UInt8](repeating: 0, count: c * h * w)
        data.withUnsafeBytes { raw in
            let src = raw.bindMemory(to: UInt8.self)
            pixels.withUnsafeMutableBufferPointer { dst in
                for k in 0..<c {
                    for y in 0..<h {
                        for x in 0..<w { dst[(y * w + x) * c + k] = src[(k * h + y) * w + x] }
                    }
                }
            }
        }
        return ByteImage(height: h, width: w, channels: c, pixels: pixels)
    }
}
