import Foundation

extension Resizer {
    /// OpenCV's interpolateCubic (A = -0.75), in float.
    static func cubicCoefficients(_ x: Float) -> [Float] {
        let a: Float = -0.75
        var c = [Float](repeating: 0, count: 4)
        c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
        c[1] = ((a + 2) * x - (a + 3)) * x * x + 1
        c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
        c[3] = 1 - c[0] - c[1] - c[2]
        return c
    }

    /// OpenCV's interpolateLanczos4: sin/cos in double, coefficients normalised in float.
    static func lanczos4Coefficients(_ x: Float) -> [Float] {
        let s45 = 0.70710678118654752440084436210485
        let cs: [(Double, Double)] = [(1, 0), (-s45, -s45), (0, 1), (s45, -s45), (-1, 0), (s45, s45), (0, -1), (-s45, s45)]
        var c = [Float](repeating: 0, count: 8)
        if x < Float.ulpOfOne {
            c[3] = 1
            return c
        }
        var sum: Float = 0
        let y0 = -Double(x + 3) * Double.pi * 0.25
        let s0 = sin(y0), c0 = cos(y0)
        for i in 0..<8 {
            let y = -Double(x + 3 - Float(i)) * Double.pi * 0.25
            c[i] = Float((cs[i].0 * s0 + cs[i].1 * c0) / (y * y))
            sum += c[i]
        }
        sum = 1 / sum
        for i in 0..<8 { c[i] *= sum }
        return c
    }

    /// resizeGeneric_ with 8-bit fixed-point coefficients (INTER_RESIZE_COEF_BITS = 11).
    static func resizeSeparable(_ src: ByteImage, width: Int, height: Int, mode: Interpolation,
                                scaleX: Double, scaleY: Double, invScaleX: Double, invScaleY: Double) -> ByteImage {
        let cn = src.channels
        let ksize: Int
        switch mode {
        case .cubic: ksize = 4
        case .lanczos4: ksize = 8
        default: ksize = 2
        }
        let ksize2 = ksize / 2
        let areaMode = mode == .area
        let isFilter = mode == .cubic || mode == .lanczos4
        let one: Float = 2048
        let dw = width * cn
        var xmin = 0, xmax = width
        var xofs = [Int](repeating: 0, count: dw)
        var alpha = [Int32](repeating: 0, count: dw * ksize)
        var yofs = [Int](repeating: 0, count: height)
        var beta = [Int32](repeating: 0, count: height * ksize)

        func coefficients(_ f: Float) -> [Float] {
            switch mode {
            case .cubic: return cubicCoefficients(f)
            case .lanczos4: return lanczos4Coefficients(f)
            default: return [1 - f, f]
            }
        }

        for dx in 0..<width {
            var sx: Int
            var fx: Float
            if !areaMode {
                fx = Float((Double(dx) + 0.5) * scaleX - 0.5)
                sx = Int(fx.rounded(.down))
                fx -= Float(sx)
            } else {
                sx = Int((Double(dx) * scaleX).rounded(.down))
                fx = Float(Double(dx + 1) - Double(sx + 1) * invScaleX)
                fx = fx <= 0 ? 0 : fx - fx.rounded(.down)
            }
            if sx < ksize2 - 1 {
                xmin = dx + 1
                if sx < 0 && !isFilter { fx = 0; sx = 0 }
            }
            if sx + ksize2 >= src.width {
                xmax = min(xmax, dx)
                if sx >= src.width - 1 && !isFilter { fx = 0; sx = src.width - 1 }
            }
            let cbuf = coefficients(fx)
            for k in 0..<cn {
                xofs[dx * cn + k] = sx * cn + k
                for j in 0..<ksize { alpha[(dx * cn + k) * ksize + j] = saturateShort(cbuf[j] * one) }
            }
        }
        for dy in 0..<height {
            var sy: Int
            var fy: Float
            if !areaMode {
                fy = Float((Double(dy) + 0.5) * scaleY - 0.5)
                sy = Int(fy.rounded(.down))
                fy -= Float(sy)
            } else {
                sy = Int((Double(dy) * scaleY).rounded(.down))
                fy = Float(Double(dy + 1) - Double(sy + 1) * invScaleY)
                fy = fy <= 0 ? 0 : fy - fy.rounded(.down)
            }
            yofs[dy] = sy
            let cbuf = coefficients(fy)
            for j in 0..<ksize { beta[dy * ksize + j] = saturateShort(cbuf[j] * one) }
        }

        let sw = src.width * cn
        let xminE = xmin * cn, xmaxE = xmax * cn
        var out = [UInt8](repeating: 0, count: height * dw)
        var rows = [Int32](repeating: 0, count: ksize * dw)
        src.pixels.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { d in
                rows.withUnsafeMutableBufferPointer { r in
                    xofs.withUnsafeBufferPointer { xo in
                        alpha.withUnsafeBufferPointer { al in
                            for dy in 0..<height {
                                let sy0 = yofs[dy]
                                for k in 0..<ksize {
                                    var sy = sy0 - ksize2 + 1 + k
                                    sy = sy >= 0 ? (sy < src.height ? sy : src.height - 1) : 0
                                    let srow = s.baseAddress! + sy * sw
                                    let drow = r.baseAddress! + k * dw
                                    horizontalPass(srow, drow, mode: mode, ksize: ksize, cn: cn, swidth: sw, dwidth: dw,
                                                   xofs: xo.baseAddress!, alpha: al.baseAddress!, xmin: xminE, xmax: xmaxE)
                                }
                                let b = Array(beta[(dy * ksize)..<(dy * ksize + ksize)])
                                verticalPass(r.baseAddress!, d.baseAddress! + dy * dw, beta: b, mode: mode, width: dw)
                            }
                        }
                    }
                }
            }
        }
        return ByteImage(height: height, width: width, channels: cn, pixels: out)
    }

    /// HResizeLinear / HResizeCubic / HResizeLanczos4 on one source row (integer products).
    @inline(__always)
    static func horizontalPass(_ S: UnsafePointer<UInt8>, _ D: UnsafeMutablePointer<Int32>, mode: Interpolation,
                               ksize: Int, cn: Int, swidth: Int, dwidth: Int,
                               xofs: UnsafePointer<Int>, alpha: UnsafePointer<Int32>, xmin: Int, xmax: Int) {
        if ksize == 2 {
            for dx in 0..<xmax {
                let sx = xofs[dx]
                D[dx] = Int32(S[sx]) * alpha[dx * 2] + Int32(S[sx + cn]) * alpha[dx * 2 + 1]
            }
            if xmax < dwidth {
                for dx in xmax..<dwidth { D[dx] = Int32(S[xofs[dx]]) * 2048 }
            }
            return
        }
        // Cubic (taps at sx - cn ... sx + 2cn) or Lanczos4 (sx - 3cn ... sx + 4cn); near the
        // borders the tap index is moved back inside by whole pixels.
        let back = ksize == 4 ? 1 : 3
        for dx in 0..<dwidth {
            let a = alpha + dx * ksize
            let start = xofs[dx] - cn * back
            var v: Int32 = 0
            if dx < xmin || dx >= xmax {
                for j in 0..<ksize {
                    var sxj = start + j * cn
                    if sxj < 0 || sxj >= swidth {
                        while sxj < 0 { sxj += cn }
                        while sxj >= swidth { sxj -= cn }
                    }
                    v += Int32(S[sxj]) * a[j]
                }
            } else {
                for j in 0..<ksize { v += Int32(S[start + j * cn]) * a[j] }
            }
            D[dx] = v
        }
    }

    /// VResizeLinear / VResizeCubic / VResizeLanczos4 for uchar with OpenCV's 8-bit kernels.
    @inline(__always)
    static func verticalPass(_ rows: UnsafeMutablePointer<Int32>, _ dst: UnsafeMutablePointer<UInt8>,
                             beta: [Int32], mode: Interpolation, width: Int) {
        switch beta.count {
        case 2:
            // VResizeLinear<uchar, int, short> (scalar and SIMD alike): each row is shifted right
            // by 4, multiplied by its 11-bit weight keeping the high 16 bits, then (sum + 2) >> 2.
            let b0 = beta[0], b1 = beta[1]
            let s0 = rows, s1 = rows + width
            for x in 0..<width {
                let v = ((b0 * (s0[x] >> 4)) >> 16) + ((b1 * (s1[x] >> 4)) >> 16) + 2
                dst[x] = saturateByte(Int(v >> 2))
            }
        case 4:
            // VResizeCubicVec_32s8u: blocks of 8 outputs in float (weights / 2^22, products
            // accumulated from the last row up, rounded half to even); the tail in integers.
            let scale: Float = 1 / 4194304
            let fb = beta.map { Float($0) * scale }
            let vectorEnd = (width / 8) * 8
            for x in 0..<width {
                if x < vectorEnd {
                    var t = Float(rows[3 * width + x]) * fb[3]
                    t = Float(rows[2 * width + x]) * fb[2] + t
                    t = Float(rows[width + x]) * fb[1] + t
                    t = Float(rows[x]) * fb[0] + t
                    dst[x] = saturateByte(roundHalfEven(t))
                } else {
                    var sum = 0
                    for k in 0..<4 { sum += Int(rows[k * width + x]) * Int(beta[k]) }
                    dst[x] = saturateByte((sum + (1 << 21)) >> 22)
                }
            }
        default:
            for x in 0..<width {
                var sum = 0
                for k in 0..<beta.count { sum += Int(rows[k * width + x]) * Int(beta[k]) }
                dst[x] = saturateByte((sum + (1 << 21)) >> 22)
            }
        }
    }
}
