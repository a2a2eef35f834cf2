import Foundation

/// The 8-bit colour operations Caffe's distortions call, with OpenCV's arithmetic.
public enum ColorOps {
    /// `Mat::convertTo(out, -1, alpha, beta)` on 8-bit data: saturate_cast<uchar>(x·α + β) in float.
    public static func convert(_ image: ByteImage, alpha: Float, beta: Float) -> ByteImage {
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = saturateByte(Float(p[i]) * alpha + beta) }
        }
        return out
    }

    /// `convertTo` applied to one channel of an interleaved image.
    static func convertChannel(_ image: inout ByteImage, channel: Int, alpha: Float, beta: Float) {
        let cn = image.channels
        image.pixels.withUnsafeMutableBufferPointer { p in
            var i = channel
            while i < p.count {
                p[i] = saturateByte(Float(p[i]) * alpha + beta)
                i += cn
            }
        }
    }

    private static let hsvShift = 12
    private static let divisionTables: (s: [Int], h: [Int]) = {
        var s = [Int](repeating: 0, count: 256), h = [Int](repeating: 0, count: 256)
        for i in 1..<256 {
            s[i] = roundHalfEven(Double(255 << hsvShift) / Double(i))
            h[i] = roundHalfEven(Double(180 << hsvShift) / (6.0 * Double(i)))
        }
        return (s, h)
    }()

    /// `cvtColor(BGR2HSV)` for 8 bits (H in 0..<180), OpenCV's table-based integer formula.
    public static func bgrToHSV(_ image: ByteImage) -> ByteImage {
        let (sdiv, hdiv) = divisionTables
        var out = image
        let half = 1 << (hsvShift - 1)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < src.count {
                    let b = Int(src[i]), g = Int(src[i + 1]), r = Int(src[i + 2])
                    let v = max(b, g, r), vmin = min(b, g, r)
                    let diff = v - vmin
                    let vr = v == r ? -1 : 0, vg = v == g ? -1 : 0
                    let s = (diff * sdiv[v] + half) >> hsvShift
                    var h = (vr & (g - b)) + (~vr & ((vg & (b - r + 2 * diff)) + (~vg & (r - g + 4 * diff))))
                    h = (h * hdiv[diff] + half) >> hsvShift
                    h += h < 0 ? 180 : 0
                    dst[i] = saturateByte(h)
                    dst[i + 1] = UInt8(clamping: s)
                    dst[i + 2] = UInt8(clamping: v)
                    i += 3
                }
            }
        }
        return out
    }

    /// `cvtColor(HSV2BGR)` for 8 bits: through float as OpenCV's HSV2RGB_b.
    public static func hsvToBGR(_ image: ByteImage) -> ByteImage {
        let sectors: [[Int]] = [[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]]
        let hscale: Float = 6 / 180
        var out = image
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < src.count {
                    var h = Float(src[i])
                    let s = Float(src[i + 1]) * (1 / 255 as Float)
                    let v = Float(src[i + 2]) * (1 / 255 as Float)
                    var b = v, g = v, r = v
                    if s != 0 {
                        h *= hscale
                        h = fmodf(h, 6)
                        var sector = Int(h.rounded(.down))
                        h -= Float(sector)
                        if sector < 0 || sector >= 6 { sector = 0; h = 0 }
                        let tab: [Float] = [v, v * (1 - s), v * (1 - s * h), v * (1 - s * (1 - h))]
                        b = tab[sectors[sector][0]]
                        g = tab[sectors[sector][1]]
                        r = tab[sectors[sector][2]]
                    }
                    dst[i] = saturateByte(b * 255)
                    dst[i + 1] = saturateByte(g * 255)
                    dst[i + 2] = saturateByte(r * 255)
                    i += 3
                }
            }
        }
        return out
    }

    /// `cvtColor(BGR2GRAY)` for 8 bits: fixed-point weights 0.114, 0.587, 0.299 (14-bit).
    public static func bgrToGray(_ image: ByteImage) -> ByteImage {
        guard image.channels == 3 else { return image }
        var out = [UInt8](repeating: 0, count: image.width * image.height)
        image.pixels.withUnsafeBufferPointer { src in
            for i in 0..<out.count {
                let b = Int(src[3 * i]), g = Int(src[3 * i + 1]), r = Int(src[3 * i + 2])
                out[i] = UInt8(clamping: (b * 1868 + g * 9617 + r * 4899 + 8192) >> 14)
            }
        }
        return ByteImage(height: image.height, width: image.width, channels: 1, pixels: out)
    }

    /// `cvtColor(GRAY2BGR)`.
    public static func grayToBGR(_ image: ByteImage) -> ByteImage {
        guard image.channels == 1 else { return image }
        var out = [UInt8](repeating: 0, count: image.pixels.count * 3)
        for i in 0..<image.pixels.count {
            out[3 * i] = image.pixels[i]; out[3 * i + 1] = image.pixels[i]; out[3 * i + 2] = image.pixels[i]
        }
        return ByteImage(height: image.height, width: image.width, channels: 3, pixels: out)
    }
}
