/// Geometry of a 2-D convolution window over one image: kernel, padding, stride and dilation
/// per spatial axis, as Caffe's `im2col_cpu` takes them (src/caffe/util/im2col.cpp).
public struct ConvolutionGeometry: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var kernelH: Int
    public var kernelW: Int
    public var padH: Int
    public var padW: Int
    public var strideH: Int
    public var strideW: Int
    public var dilationH: Int
    public var dilationW: Int

    public init(channels: Int, height: Int, width: Int, kernelH: Int, kernelW: Int, padH: Int, padW: Int,
                strideH: Int, strideW: Int, dilationH: Int, dilationW: Int) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.padH = padH
        self.padW = padW
        self.strideH = strideH
        self.strideW = strideW
        self.dilationH = dilationH
        self.dilationW = dilationW
    }

    /// Output rows: (H + 2p - (d(k-1)+1)) / s + 1, rounded down (Convolution's rule).
    public var outputHeight: Int { (height + 2 * padH - (dilationH * (kernelH - 1) + 1)) / strideH + 1 }
    public var outputWidth: Int { (width + 2 * padW - (dilationW * (kernelW - 1) + 1)) / strideW + 1 }
    /// Rows of the column buffer: channels · kh · kw.
    public var columnRows: Int { channels * kernelH * kernelW }
    /// Columns of the column buffer: output positions.
    public var columnCols: Int { outputHeight * outputWidth }
}

public enum Im2col {
    /// Unfolds `image` (channels × H × W) into `columns` (channels·kh·kw × outH·outW); cells that
    /// fall into the padding read as 0.
    public static func im2col(_ g: ConvolutionGeometry, image: UnsafePointer<Float>, columns: UnsafeMutablePointer<Float>) {
        let outH = g.outputHeight, outW = g.outputWidth
        let planeOut = outH * outW
        let kernelArea = g.kernelH * g.kernelW
        let work = g.channels * kernelArea * planeOut
        let body: (Int) -> Void = { c in
            let plane = image + c * g.height * g.width
            for kr in 0..<g.kernelH {
                for kc in 0..<g.kernelW {
                    var dst = columns + ((c * g.kernelH + kr) * g.kernelW + kc) * planeOut
                    var inRow = -g.padH + kr * g.dilationH
                    for _ in 0..<outH {
                        if inRow < 0 || inRow >= g.height {
                            dst.update(repeating: 0, count: outW)
                            dst += outW
                        } else {
                            let rowPtr = plane + inRow * g.width
                            var inCol = -g.padW + kc * g.dilationW
                            for _ in 0..<outW {
                                dst.pointee = (inCol >= 0 && inCol < g.width) ? rowPtr[inCol] : 0
                                dst += 1
                                inCol += g.strideW
                            }
                        }
                        inRow += g.strideH
                    }
                }
            }
        }
        if work >= 1 << 15 {
            KernelThreads.parallelForEach(g.channels, body)
        } else {
            for c in 0..<g.channels { body(c) }
        }
    }

    /// Folds `columns` back into `image`, summing overlapping contributions; `image` is
    /// overwritten (zeroed first), as Caffe's `col2im_cpu` does.
    public static func col2im(_ g: ConvolutionGeometry, columns: UnsafePointer<Float>, image: UnsafeMutablePointer<Float>) {
        let outH = g.outputHeight, outW = g.outputWidth
        let planeOut = outH * outW
        let kernelArea = g.kernelH * g.kernelW
        let work = g.channels * kernelArea * planeOut
        let body: (Int) -> Void = { c in
            let plane = image + c * g.height * g.width
            plane.update(repeating: 0, count: g.height * g.width)
            for kr in 0..<g.kernelH {
                for kc in 0..<g.kernelW {
                    var src = columns + ((c * g.kernelH + kr) * g.kernelW + kc) * planeOut
                    var inRow = -g.padH + kr * g.dilationH
                    for _ in 0..<outH {
                        if inRow < 0 || inRow >= g.height {
                            src += outW
                        } else {
                            let rowPtr = plane + inRow * g.width
                            var inCol = -g.padW + kc * g.dilationW
                            for _ in 0..<outW {
                                if inCol >= 0 && inCol < g.width { rowPtr[inCol] += src.pointee }
                                src += 1
                                inCol += g.strideW
                            }
                        }
                        inRow += g.strideH
                    }
                }
            }
        }
        if work >= 1 << 15 {
            KernelThreads.parallelForEach(g.channels, body)
        } else {
            for c in 0..<g.channels { body(c) }
        }
    }
}
