extension ByteImage {
    /// `cv::copyMakeBorder`: adds `top`/`bottom` rows and `left`/`right` columns.
    public func padded(top: Int, bottom: Int, left: Int, right: Int, mode: BorderMode) -> ByteImage {
        let h = height + top + bottom, w = width + left + right, cn = channels
        var fill = [UInt8](repeating: 0, count: cn)
        if case .constant(let values) = mode {
            // cv::Scalar values are saturate_cast to the image depth.
            for c in 0..<cn { fill[c] = c < values.count ? saturateByte(Float(values[c])) : 0 }
        }
        var out = ByteImage(height: h, width: w, channels: cn, fill: fill)
        out.paste(self, x: left, y: top)
        if case .constant = mode { return out }
        func sourceIndex(_ i: Int, _ n: Int) -> Int {
            if n == 1 { return 0 }
            switch mode {
            case .replicate: return i < 0 ? 0 : (i >= n ? n - 1 : i)
            default:
                // BORDER_REFLECT_101, applied repeatedly as OpenCV's borderInterpolate does.
                var p = i
                while p < 0 || p >= n {
                    if p < 0 { p = -p } else { p = 2 * n - 2 - p }
                }
                return p
            }
        }
        pixels.withUnsafeBufferPointer { s in
            out.pixels.withUnsafeMutableBufferPointer { d in
                for y in 0..<h {
                    let sy = sourceIndex(y - top, height)
                    for x in 0..<w {
                        let inside = y >= top && y < top + height && x >= left && x < left + width
                        if inside { continue }
                        let sx = sourceIndex(x - left, width)
                        for c in 0..<cn { d[(y * w + x) * cn + c] = s[(sy * width + sx) * cn + c] }
                    }
                }
            }
        }
        return out
    }
}
