import Foundation

/// PNG reading with the conversions OpenCV 4's PngDecoder asks libpng for: BGR order, palettes
/// and low bit depths expanded, 16-bit samples reduced to their high byte (png_set_strip_16),
/// alpha stripped; gray output of a colour PNG through libpng's rgb_to_gray (0.299, 0.587).
/// PNG is lossless, so colour and native decodes equal OpenCV's; the colour-to-gray path follows
/// libpng's integer formula.
public enum PNGDecoder {
    static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    public static func looksLikePNG(_ bytes: Data) -> Bool { bytes.prefix(8).elementsEqual(signature) }

    struct Header {
        var width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0
        var channels: Int {
            switch colorType {
            case 0: return 1
            case 2: return 3
            case 3: return 1
            case 4: return 2
            default: return 4
            }
        }
    }

    /// Decodes as `cv::imdecode(bytes, flag)`.
    public static func decode(_ data: Data, mode: DecodeMode, source: String) throws -> ByteImage {
        let bytes = [UInt8](data)
        guard bytes.starts(with: signature) else { throw DataPipelineError(source, "not a PNG image") }
        var header = Header()
        var palette: [UInt8] = []
        var idat: [UInt8] = []
        var position = 8
        var sawHeader = false
        while position + 8 <= bytes.count {
            let length = Int(bytes[position]) << 24 | Int(bytes[position + 1]) << 16 | Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
            let type = String(decoding: bytes[(position + 4)..<(position + 8)], as: UTF8.self)
            let start = position + 8
            guard length >= 0, start + length + 4 <= bytes.count else { throw DataPipelineError(source, "corrupt PNG: chunk \(type) runs past the end") }
            let body = bytes[start..<(start + length)]
            switch type {
            case "IHDR":
                guard length == 13 else { throw DataPipelineError(source, "corrupt PNG: bad IHDR") }
                let b = Array(body)
                header.width = Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3])
                header.height = Int(b[4]) << 24 | Int(b[5]) << 16 | Int(b[6]) << 8 | Int(b[7])
                header.bitDepth = Int(b[8]); header.colorType = Int(b[9]); header.interlace = Int(b[12])
                sawHeader = true
            case "PLTE": palette = Array(body)
            case "IDAT": idat.append(contentsOf: body)
            default: break
            }
            position = start + length + 4
            if type == "IEND" { break }
        }
        guard sawHeader, header.width > 0, header.height > 0, header.width * header.height <= 1 << 30 else {
            throw DataPipelineError(source, "corrupt PNG: missing or invalid IHDR")
        }
        let validDepths: [Int: [Int]] = [0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16]]
        guard validDepths[header.colorType]?.contains(header.bitDepth) == true else {
            throw DataPipelineError(source, "corrupt PNG: color type \(header.colorType) with bit depth \(header.bitDepth)")
        }
        if header.colorType == 3 && palette.isEmpty { throw DataPipelineError(source, "corrupt PNG: palette image without PLTE") }
        try AllocationChecks.checkImage(channels: max(3, header.channels), height: header.height, width: header.width, what: "the PNG", location: source)
        let samples: [UInt8]
        do {
            samples = try unfilter(idat, header)
        } catch let failure as Inflate.Failure {
            throw DataPipelineError(source, "corrupt PNG: \(failure.message)")
        }
        return try convert(samples, header, palette: palette, mode: mode, source: source)
    }

    /// Inflates and unfilters (Adam7 de-interlaced) into 8-bit samples per channel, row-major:
    /// palette indices for colour type 3, high bytes for 16-bit data, low depths scaled to 0...255
    /// (gray) or left as indices (palette).
    static func unfilter(_ idat: [UInt8], _ h: Header) throws -> [UInt8] {
        let bitsPerPixel = h.channels * h.bitDepth
        let bpp = max(1, bitsPerPixel / 8)
        var passes: [(x0: Int, y0: Int, dx: Int, dy: Int)] = [(0, 0, 1, 1)]
        if h.interlace == 1 { passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)] }
        var expected = 0
        for p in passes {
            let w = (h.width - p.x0 + p.dx - 1) / p.dx, rows = (h.height - p.y0 + p.dy - 1) / p.dy
            if w > 0 && rows > 0 { expected += rows * (1 + (w * bitsPerPixel + 7) / 8) }
        }
        // Deflate expands at most 1032:1, so a file this small cannot hold the declared pixels
        // (a decompression bomb or a truncated file): refuse before inflating.
        guard expected / 1032 <= idat.count + 64 else {
            throw Inflate.Failure(message: "a \(h.width)x\(h.height) image needs \(expected) bytes of image data, more than its \(idat.count) compressed bytes can hold")
        }
        let raw = try Inflate.zlib(idat, expectedSize: expected)
        guard raw.count >= expected else { throw Inflate.Failure(message: "image data is \(raw.count) bytes, expected \(expected)") }
        var out = [UInt8](repeating: 0, count: h.width * h.height * h.channels)
        var offset = 0
        for p in passes {
            let w = (h.width - p.x0 + p.dx - 1) / p.dx, rows = (h.height - p.y0 + p.dy - 1) / p.dy
            guard w > 0 && rows > 0 else { continue }
            let stride = (w * bitsPerPixel + 7) / 8
            var previous = [UInt8](repeating: 0, count: stride)
            var line = [UInt8](repeating: 0, count: stride)
            for row in 0..<rows {
                let filter = raw[offset]
                for i in 0..<stride {
                    let x = raw[offset + 1 + i]
                    let a = i >= bpp ? line[i - bpp] : 0, b = previous[i], c = i >= bpp ? previous[i - bpp] : 0
                    switch filter {
                    case 0: line[i] = x
                    case 1: line[i] = x &+ a
                    case 2: line[i] = x &+ b
                    case 3: line[i] = x &+ UInt8((Int(a) + Int(b)) / 2)
                    case 4:
                        let pa = abs(Int(b) - Int(c)), pb = abs(Int(a) - Int(c)), pc = abs(Int(a) + Int(b) - 2 * Int(c))
                        line[i] = x &+ (pa <= pb && pa <= pc ? a : (pb <= pc ? b : c))
                    default: throw Inflate.Failure(message: "unknown filter type \(filter)")
                    }
                }
                offset += 1 + stride
                let y = p.y0 + row * p.dy
                for col in 0..<w {
                    let x = p.x0 + col * p.dx
                    for k in 0..<h.channels {
                        let sample: UInt8
                        switch h.bitDepth {
                        case 16: sample = line[(col * h.channels + k) * 2]
                        case 8: sample = line[col * h.channels + k]
                        default:
                            let bit = col * h.bitDepth
                            let v = (line[bit / 8] >> UInt8(8 - h.bitDepth - bit % 8)) & UInt8((1 << h.bitDepth) - 1)
                            // png_set_expand_gray_1_2_4_to_8 scales gray; palette indices stay.
                            sample = h.colorType == 3 ? v : UInt8(Int(v) * 255 / ((1 << h.bitDepth) - 1))
                        }
                        out[(y * h.width + x) * h.channels + k] = sample
                    }
                }
                swap(&previous, &line)
            }
        }
        return out
    }

    static func convert(_ s: [UInt8], _ h: Header, palette: [UInt8], mode: DecodeMode, source: String) throws -> ByteImage {
        let n = h.width * h.height
        // RGB(A) or gray(A) → (r, g, b) or gray per pixel, alpha dropped.
        func rgb(_ i: Int) -> (UInt8, UInt8, UInt8) {
            switch h.colorType {
            case 2, 6: return (s[i * h.channels], s[i * h.channels + 1], s[i * h.channels + 2])
            case 3:
                let index = Int(s[i]) * 3
                guard index + 2 < palette.count else { return (0, 0, 0) }
                return (palette[index], palette[index + 1], palette[index + 2])
            default:
                let g = s[i * h.channels]
                return (g, g, g)
            }
        }
        let isColor = h.colorType == 2 || h.colorType == 3 || h.colorType == 6
        let channels: Int
        switch mode {
        case .color: channels = 3
        case .gray: channels = 1
        case .native:
            if h.colorType == 4 || h.colorType == 6 {
                throw DataPipelineError(source, "PNG with an alpha channel decodes to 4 channels natively in Caffe; set force_color or force_gray")
            }
            if h.bitDepth == 16 {
                throw DataPipelineError(source, "16-bit PNG decodes to 16-bit pixels natively in Caffe (which then aborts); set force_color or force_gray")
            }
            channels = isColor ? 3 : 1
        }
        var out = [UInt8](repeating: 0, count: n * channels)
        for i in 0..<n {
            let (r, g, b) = rgb(i)
            if channels == 3 {
                out[i * 3] = b; out[i * 3 + 1] = g; out[i * 3 + 2] = r
            } else if !isColor || (r == g && r == b) {
                out[i] = r
            } else {
                // libpng png_do_rgb_to_gray, 8-bit without gamma: coefficients 9797, 19234, 3737.
                let red = 9797 * Int(r), green = 19234 * Int(g), blue = 3737 * Int(b)
                out[i] = UInt8(clamping: (red + green + blue) >> 15)
            }
        }
        return ByteImage(height: h.height, width: h.width, channels: channels, pixels: out)
    }
}
