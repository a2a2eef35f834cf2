import Foundation

/// The EXIF orientation OpenCV 4 applies in `imread`/`imdecode` for every flag except
/// IMREAD_UNCHANGED (loadsave.cpp ApplyExifOrientation, exif.cpp ExifReader): the first APP1
/// segment of a JPEG is read as EXIF, tag 0x0112 of IFD0 gives the orientation (1 = as stored).
enum EXIFOrientation {
    /// The orientation tag (1...8), or 1 when there is none or the EXIF data is unreadable.
    static func orientation(of bytes: Data) -> Int {
        let b = [UInt8](bytes)
        guard b.count > 4, b[0] == 0xFF, b[1] == 0xD8 else { return 1 }
        var p = 2
        // Markers ExifReader skips by their length field; anything else ends the search.
        let skipped: Set<UInt8> = Set([0xC0, 0xC2, 0xC4, 0xDB, 0xDD, 0xDA, 0xE0, 0xFE] + Array(0xD0...0xD7) + Array(0xE2...0xEF))
        while p + 4 <= b.count {
            let marker = b[p + 1]
            if marker == 0xD8 || marker == 0xD9 { p += 2; continue }
            let length = Int(b[p + 2]) << 8 | Int(b[p + 3])
            if marker == 0xE1 {
                guard length > 6, p + 2 + length <= b.count else { return 1 }
                return tiffOrientation(Array(b[(p + 4 + 6)..<(p + 2 + length)]))
            }
            guard skipped.contains(marker), length >= 2 else { return 1 }
            p += 2 + length
        }
        return 1
    }

    static func tiffOrientation(_ d: [UInt8]) -> Int {
        guard d.count >= 8 else { return 1 }
        let little: Bool
        if d[0] == 0x49 && d[1] == 0x49 { little = true } else if d[0] == 0x4D && d[1] == 0x4D { little = false } else { return 1 }
        func u16(_ o: Int) -> Int? {
            guard o >= 0, o + 2 <= d.count else { return nil }
            return little ? Int(d[o]) | Int(d[o + 1]) << 8 : Int(d[o]) << 8 | Int(d[o + 1])
        }
        func u32(_ o: Int) -> Int? {
            guard let lo = u16(little ? o : o + 2), let hi = u16(little ? o + 2 : o) else { return nil }
            return hi << 16 | lo
        }
        guard let ifd = u32(4), let count = u16(ifd) else { return 1 }
        for i in 0..<count {
            let entry = ifd + 2 + 12 * i
            guard let tag = u16(entry) else { return 1 }
            if tag == 0x0112 { return u16(entry + 8) ?? 1 }
        }
        return 1
    }

    /// `ApplyExifOrientation(orientation, img)`.
    static func apply(_ orientation: Int, to image: ByteImage) -> ByteImage {
        switch orientation {
        case 2: return image.mirrored()
        case 3: return image.flippedVertically().mirrored()
        case 4: return image.flippedVertically()
        case 5: return image.transposed()
        case 6: return image.transposed().mirrored()
        case 7: return image.transposed().flippedVertically().mirrored()
        case 8: return image.transposed().flippedVertically()
        default: return image
        }
    }
}

extension ByteImage {
    /// `cv::flip(img, 0)`: rows reversed.
    func flippedVertically() -> ByteImage {
        var out = pixels
        let stride = rowStride
        for y in 0..<height {
            let from = (height - 1 - y) * stride
            for i in 0..<stride { out[y * stride + i] = pixels[from + i] }
        }
        return ByteImage(height: height, width: width, channels: channels, pixels: out)
    }

    /// `cv::transpose`.
    func transposed() -> ByteImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        let c = channels
        for y in 0..<height {
            for x in 0..<width {
                for k in 0..<c { out[(x * height + y) * c + k] = pixels[(y * width + x) * c + k] }
            }
        }
        return ByteImage(height: width, width: height, channels: channels, pixels: out)
    }
}
