import CJPEG
import Foundation

/// How to decode: the three `cv::imdecode` flags Caffe uses.
public enum DecodeMode: Sendable, Equatable {
    /// `IMREAD_UNCHANGED` (Caffe's `DecodeDatumToCVMatNative`): 3 channels if the file has more
    /// than one component, else 1.
    case native
    /// `IMREAD_COLOR`: always B, G, R; a gray JPEG is replicated to B = G = R by libjpeg.
    case color
    /// `IMREAD_GRAYSCALE`: libjpeg's own gray output (the Y plane), not a BGR-to-gray conversion.
    case gray
}

/// JPEG reading and writing through libjpeg-turbo with the settings OpenCV 4 uses, so decoded
/// pixels and encoded bytes equal those of Caffe's `cv::imdecode` / `cv::imencode(".jpg")`.
public enum JPEGCodec {
    /// Whether the bytes start with a JPEG SOI marker.
    public static func looksLikeJPEG(_ bytes: Data) -> Bool {
        bytes.count >= 3 && bytes[bytes.startIndex] == 0xFF && bytes[bytes.startIndex + 1] == 0xD8
            && bytes[bytes.startIndex + 2] == 0xFF
    }

    /// Width, height and component count from the header.
    public static func header(_ bytes: Data, source: String) throws -> (width: Int, height: Int, components: Int) {
        guard looksLikeJPEG(bytes) else { throw notJPEG(bytes, source: source) }
        var width: Int32 = 0, height: Int32 = 0, components: Int32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBytes { raw -> Int32 in
            dsod_jpeg_header(raw.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count),
                             &width, &height, &components, &message)
        }
        if status != 0 {
            throw DataPipelineError(source, "corrupt JPEG: \(cMessage(message))")
        }
        return (Int(width), Int(height), Int(components))
    }

    /// Decodes JPEG bytes as `cv::imdecode(bytes, flag)` does.
    public static func decode(_ bytes: Data, mode: DecodeMode, source: String) throws -> ByteImage {
        let info = try header(bytes, source: source)
        guard info.width > 0, info.height > 0 else {
            throw DataPipelineError(source, "JPEG with an empty image (\(info.width)x\(info.height))")
        }
        // OpenCV refuses images above CV_IO_MAX_IMAGE_PIXELS (2^30) as well.
        guard info.width * info.height <= 1 << 30 else {
            throw DataPipelineError(source, "JPEG of \(info.width)x\(info.height) pixels is larger than 2^30 pixels")
        }
        let channels: Int
        switch mode {
        case .color: channels = 3
        case .gray: channels = 1
        case .native: channels = info.components > 1 ? 3 : 1
        }
        try checkNotABomb(bytes.count, width: info.width, height: info.height, source: source)
        try AllocationChecks.checkImage(channels: channels, height: info.height, width: info.width, what: "the JPEG", location: source)
        var pixels = [UInt8](repeating: 0, count: info.width * info.height * channels)
        var message = [CChar](repeating: 0, count: 256)
        let status = bytes.withUnsafeBytes { raw -> Int32 in
            pixels.withUnsafeMutableBufferPointer { out in
                dsod_jpeg_decode(raw.bindMemory(to: UInt8.self).baseAddress, UInt(bytes.count), 0,
                                 out.baseAddress, Int32(info.width), Int32(info.height), Int32(channels), &message)
            }
        }
        if status != 0 {
            throw DataPipelineError(source, "corrupt JPEG: \(cMessage(message))")
        }
        let image = ByteImage(height: info.height, width: info.width, channels: channels, pixels: pixels)
        // imdecode rotates by the EXIF orientation for every flag but IMREAD_UNCHANGED.
        return mode == .native ? image : EXIFOrientation.apply(EXIFOrientation.orientation(of: bytes), to: image)
    }

    /// Every 8x8 block of a JPEG takes at least one bit (its DC code), so a file of `size` bytes
    /// holds at most 512 pixels per byte; a header that declares far more (above 16 megapixels,
    /// where it matters) is a decompression bomb or a cut file, refused before the pixels are
    /// allocated.
    static func checkNotABomb(_ size: Int, width: Int, height: Int, source: String) throws {
        let pixels = width * height  // both below 2^16 in a JPEG header
        guard pixels <= 1 << 24 || pixels / 512 <= size else {
            throw DataPipelineError(source, "JPEG header declares \(width)x\(height) pixels, more than its \(size) bytes can encode (at most 512 pixels per byte); refusing it as a decompression bomb")
        }
    }

    /// Decodes JPEG or PNG bytes (by their signature) as `cv::imdecode`; other formats get an
    /// error naming them.
    public static func decodeAny(_ bytes: Data, mode: DecodeMode, source: String) throws -> ByteImage {
        if PNGDecoder.looksLikePNG(bytes) { return try PNGDecoder.decode(bytes, mode: mode, source: source) }
        return try decode(bytes, mode: mode, source: source)
    }

    /// Encodes as `cv::imencode(".jpg", image)` with OpenCV's defaults (quality 95, baseline,
    /// 4:2:0 for colour, standard Huffman tables).
    public static func encode(_ image: ByteImage, quality: Int = 95) throws -> Data {
        guard image.channels == 1 || image.channels == 3 else {
            throw DataPipelineError("JPEG encoder", "cannot encode a \(image.channels)-channel image")
        }
        guard image.width > 0, image.height > 0 else {
            throw DataPipelineError("JPEG encoder", "cannot encode an empty image (\(image.width)x\(image.height))")
        }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        var message = [CChar](repeating: 0, count: 256)
        let status = image.pixels.withUnsafeBufferPointer { px in
            dsod_jpeg_encode(px.baseAddress, Int32(image.width), Int32(image.height), Int32(image.channels),
                             Int32(quality), &out, &size, &message)
        }
        defer { dsod_jpeg_free(out) }
        guard status == 0, let buffer = out else {
            throw DataPipelineError("JPEG encoder", cMessage(message))
        }
        return Data(bytes: buffer, count: Int(size))
    }

    /// The error for bytes that are not a JPEG, naming PNG and other common formats.
    static func notJPEG(_ bytes: Data, source: String) -> DataPipelineError {
        let head = [UInt8](bytes.prefix(8))
        let kind: String
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47]) { kind = "a PNG image" }
        else if head.starts(with: [0x42, 0x4D]) { kind = "a BMP image" }
        else if head.starts(with: [0x47, 0x49, 0x46]) { kind = "a GIF image" }
        else if head.starts(with: [0x49, 0x49, 0x2A]) || head.starts(with: [0x4D, 0x4D, 0x00, 0x2A]) { kind = "a TIFF image" }
        else if bytes.isEmpty { kind = "empty" }
        else { kind = "not a JPEG (first bytes \(head.map { String(format: "%02x", $0) }.joined(separator: " ")))" }
        return DataPipelineError(source, "encoded image is \(kind); only JPEG and PNG are supported")
    }
}

/// The NUL-terminated text in a C buffer.
func cMessage(_ buffer: [CChar]) -> String {
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

extension JPEGCodec {
    /// Width, height and native channel count from a JPEG or PNG header (for batch shapes
    /// without decoding the pixels).
    public static func imageHeader(_ bytes: Data, source: String) throws -> (width: Int, height: Int, channels: Int) {
        if PNGDecoder.looksLikePNG(bytes) {
            let b = [UInt8](bytes.prefix(26))
            guard b.count == 26 else { throw DataPipelineError(source, "corrupt PNG: truncated header") }
            func be32(_ o: Int) -> Int { Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]) }
            let colorType = Int(b[25])
            let (width, height) = (be32(16), be32(20))
            // At least one bit per pixel plus a filter byte per row, inflated at most 1032:1.
            guard (height / 1032) * (1 + width / 8) <= bytes.count + 64 else {
                throw DataPipelineError(source, "PNG header declares \(width)x\(height) pixels, more than its \(bytes.count) bytes can encode; refusing it as a decompression bomb")
            }
            return (width, height, colorType == 0 || colorType == 4 ? 1 : 3)
        }
        let info = try header(bytes, source: source)
        try checkNotABomb(bytes.count, width: info.width, height: info.height, source: source)
        return (info.width, info.height, info.components > 1 ? 3 : 1)
    }

    /// Width and height as `imread`/`imdecode` with a colour or gray flag return them: swapped
    /// for EXIF orientations 5...8.
    public static func orientedSize(_ bytes: Data, source: String) throws -> (width: Int, height: Int) {
        let info = try imageHeader(bytes, source: source)
        if looksLikeJPEG(bytes), (5...8).contains(EXIFOrientation.orientation(of: bytes)) { return (info.height, info.width) }
        return (info.width, info.height)
    }
}
