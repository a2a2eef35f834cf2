import Foundation

/// `cv::resize` for 8-bit images with OpenCV 4's own code paths, so results are bit-identical
/// to what Caffe's `ApplyResize` produced (imgproc/src/resize.cpp):
/// - same size → copy;
/// - NEAREST → `resizeNN` (floor(x · src/dst));
/// - LINEAR at exactly 2× down in both axes → the INTER_AREA fast path;
/// - AREA when shrinking in both axes → `resizeAreaFast_` for integer factors, else
///   `resizeArea_` (float weights);
/// - otherwise the separable fixed-point filter (`resizeGeneric_`): 11-bit coefficients,
///   integer horizontal pass, and the vertical pass of OpenCV's 8-bit kernels (LINEAR's
///   `>> 4`, `mul_hi`, `+2 >> 2` arithmetic; CUBIC's float vector loop plus integer tail;
///   LANCZOS4 all integer). AREA when enlarging uses the linear kernel with area weights.
public enum Resizer {
    /// Resizes to `width` × `height`.
    public static func resize(_ src: ByteImage, width: Int, height: Int, interpolation: Interpolation) -> ByteImage {
        if width == src.width && height == src.height { return src }
        // An empty source or target (a net input of size 0) gives an empty or black image rather
        // than a trap; callers validate sizes where they come from input.
        guard width > 0, height > 0, src.width > 0, src.height > 0 else {
            return ByteImage(height: max(height, 0), width: max(width, 0), channels: src.channels, fill: [0])
        }
        let invScaleX = Double(width) / Double(src.width)
        let invScaleY = Double(height) / Double(src.height)
        let scaleX = 1.0 / invScaleX, scaleY = 1.0 / invScaleY
        let iscaleX = roundHalfEven(scaleX), iscaleY = roundHalfEven(scaleY)
        let isAreaFast = abs(scaleX - Double(iscaleX)) < Double.ulpOfOne && abs(scaleY - Double(iscaleY)) < Double.ulpOfOne

        if interpolation == .nearest {
            return resizeNearest(src, width: width, height: height, invScaleX: invScaleX, invScaleY: invScaleY)
        }
        var mode = interpolation
        if mode == .linear && isAreaFast && iscaleX == 2 && iscaleY == 2 { mode = .area }
        if mode == .area && scaleX >= 1 && scaleY >= 1 {
            if isAreaFast {
                return resizeAreaFast(src, width: width, height: height, scaleX: iscaleX, scaleY: iscaleY)
            }
            return resizeArea(src, width: width, height: height, scaleX: scaleX, scaleY: scaleY)
        }
        return resizeSeparable(src, width: width, height: height, mode: mode,
                               scaleX: scaleX, scaleY: scaleY, invScaleX: invScaleX, invScaleY: invScaleY)
    }

    // MARK: nearest

    static func resizeNearest(_ src: ByteImage, width: Int, height: Int, invScaleX: Double, invScaleY: Double) -> ByteImage {
        let cn = src.channels
        let ifx = 1.0 / invScaleX, ify = 1.0 / invScaleY
        var xofs = [Int](repeating: 0, count: width)
        for x in 0..<width { xofs[x] = min(Int((Double(x) * ifx).rounded(.down)), src.width - 1) * cn }
        var out = [UInt8](repeating: 0, count: width * height * cn)
        src.pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for y in 0..<height {
                    let sy = min(Int((Double(y) * ify).rounded(.down)), src.height - 1)
                    let srow = sy * src.width * cn
                    let drow = y * width * cn
                    for x in 0..<width {
                        for k in 0..<cn { d[drow + x * cn + k] = s[srow + xofs[x] + k] }
                    }
                }
            }
        }
        return ByteImage(height: height, width: width, channels: cn, pixels: out)
    }

    // MARK: area, integer factors

    static func resizeAreaFast(_ src: ByteImage, width: Int, height: Int, scaleX: Int, scaleY: Int) -> ByteImage {
        let cn = src.channels
        let area = scaleX * scaleY
        let scale = 1 / Float(area)
        let sw = src.width * cn
        let dw = width * cn
        let dwidth1 = (src.width / scaleX) * cn
        // ResizeAreaFastVec: 2x2 with 1, 3 or 4 channels rounds (sum + 2) >> 2 in integers.
        let twoByTwo = scaleX == 2 && scaleY == 2 && (cn == 1 || cn == 3 || cn == 4)
        var out = [UInt8](repeating: 0, count: width * height * cn)
        src.pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                for dy in 0..<height {
                    let sy0 = dy * scaleY
                    let drow = dy * dw
                    if sy0 >= src.height { continue }
                    let w = sy0 + scaleY <= src.height ? dwidth1 : 0
                    var dx = 0
                    while dx < w {
                        let sx = scaleX * cn * (dx / cn) + dx % cn
                        if twoByTwo {
                            let r0 = sy0 * sw + sx, r1 = r0 + sw
                            let sum = Int(s[r0]) + Int(s[r0 + cn]) + Int(s[r1]) + Int(s[r1 + cn])
                            d[drow + dx] = UInt8((sum + 2) >> 2)
                        } else {
                            var sum = 0
                            for yy in 0..<scaleY {
                                for xx in 0..<scaleX { sum += Int(s[(sy0 + yy) * sw + sx + xx * cn]) }
                            }
                            d[drow + dx] = saturateByte(Float(sum) * scale)
                        }
                        dx += 1
                    }
                    while dx < dw {
                        let sx0 = scaleX * cn * (dx / cn) + dx % cn
                        var sum = 0, count = 0
                        for yy in 0..<scaleY where sy0 + yy < src.height {
                            var xx = 0
                            while xx < scaleX * cn && sx0 + xx < sw {
                                sum += Int(s[(sy0 + yy) * sw + sx0 + xx]); count += 1
                                xx += cn
                            }
                        }
                        d[drow + dx] = count > 0 ? saturateByte(Float(sum) / Float(count)) : 0
                        dx += 1
                    }
                }
            }
        }
        return ByteImage(height: height, width: width, channels: cn, pixels: out)
    }

    // MARK: area, fractional factors

    struct AreaWeight { var source: Int; var dest: Int; var alpha: Float }

    /// OpenCV's computeResizeAreaTab.
    static func areaTable(sourceSize: Int, destSize: Int, channels cn: Int, scale: Double) -> [AreaWeight] {
        var table: [AreaWeight] = []
        for dx in 0..<destSize {
            let fsx1 = Double(dx) * scale
            let fsx2 = fsx1 + scale
            let cellWidth = min(scale, Double(sourceSize) - fsx1)
            var sx1 = Int(fsx1.rounded(.up)), sx2 = Int(fsx2.rounded(.down))
            sx2 = min(sx2, sourceSize - 1)
            sx1 = min(sx1, sx2)
            if Double(sx1) - fsx1 > 1e-3 {
                table.append(AreaWeight(source: (sx1 - 1) * cn, dest: dx * cn, alpha: Float((Double(sx1) - fsx1) / cellWidth)))
            }
            if sx1 < sx2 {
                for sx in sx1..<sx2 {
                    table.append(AreaWeight(source: sx * cn, dest: dx * cn, alpha: Float(1.0 / cellWidth)))
                }
            }
            if fsx2 - Double(sx2) > 1e-3 {
                table.append(AreaWeight(source: sx2 * cn, dest: dx * cn,
                                        alpha: Float(min(min(fsx2 - Double(sx2), 1.0), cellWidth) / cellWidth)))
            }
        }
        return table
    }

    static func resizeArea(_ src: ByteImage, width: Int, height: Int, scaleX: Double, scaleY: Double) -> ByteImage {
        let cn = src.channels
        let xtab = areaTable(sourceSize: src.width, destSize: width, channels: cn, scale: scaleX)
        let ytab = areaTable(sourceSize: src.height, destSize: height, channels: 1, scale: scaleY)
        let dw = width * cn
        let sw = src.width * cn
        var out = [UInt8](repeating: 0, count: height * dw)
        var buf = [Float](repeating: 0, count: dw)
        var sum = [Float](repeating: 0, count: dw)
        guard let first = ytab.first else { return ByteImage(height: height, width: width, channels: cn, pixels: out) }
        src.pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                buf.withUnsafeMutableBufferPointer { b in
                    sum.withUnsafeMutableBufferPointer { acc in
                        var prevDy = first.dest
                        for entry in ytab {
                            let beta = entry.alpha
                            let row = entry.source * sw
                            for i in 0..<dw { b[i] = 0 }
                            for w in xtab {
                                for c in 0..<cn {
                                    b[w.dest + c] = b[w.dest + c] + Float(s[row + w.source + c]) * w.alpha
                                }
                            }
                            if entry.dest != prevDy {
                                for i in 0..<dw {
                                    d[prevDy * dw + i] = saturateByte(acc[i])
                                    acc[i] = beta * b[i]
                                }
                                prevDy = entry.dest
                            } else {
                                for i in 0..<dw { acc[i] = acc[i] + beta * b[i] }
                            }
                        }
                        for i in 0..<dw { d[prevDy * dw + i] = saturateByte(acc[i]) }
                    }
                }
            }
        }
        return ByteImage(height: height, width: width, channels: cn, pixels: out)
    }
}

extension Resizer {
    /// `cv::resize(src, dst, Size(), fx, fy)`: the size is round(size · f) and the scale is f
    /// itself (not the size ratio).
    public static func resize(_ src: ByteImage, scaleX fx: Double, scaleY fy: Double, interpolation: Interpolation) -> ByteImage {
        let width = max(roundHalfEven(Double(src.width) * fx), 1), height = max(roundHalfEven(Double(src.height) * fy), 1)
        if width == src.width && height == src.height { return src }
        let scaleX = 1.0 / fx, scaleY = 1.0 / fy
        switch interpolation {
        case .nearest:
            return resizeNearest(src, width: width, height: height, invScaleX: fx, invScaleY: fy)
        default:
            let iscaleX = roundHalfEven(scaleX), iscaleY = roundHalfEven(scaleY)
            let isAreaFast = abs(scaleX - Double(iscaleX)) < Double.ulpOfOne && abs(scaleY - Double(iscaleY)) < Double.ulpOfOne
            var mode = interpolation
            if mode == .linear && isAreaFast && iscaleX == 2 && iscaleY == 2 { mode = .area }
            if mode == .area && scaleX >= 1 && scaleY >= 1 {
                if isAreaFast { return resizeAreaFast(src, width: width, height: height, scaleX: iscaleX, scaleY: iscaleY) }
                return resizeArea(src, width: width, height: height, scaleX: scaleX, scaleY: scaleY)
            }
            return resizeSeparable(src, width: width, height: height, mode: mode, scaleX: scaleX, scaleY: scaleY,
                                   invScaleX: fx, invScaleY: fy)
        }
    }
}
