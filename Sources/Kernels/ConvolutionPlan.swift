/// A per-channel transform applied to a convolution's input as it is read:
/// `x · scale[c] + shift[c]`, then a (leaky) ReLU when `relu`. This is a BatchNorm + Scale + ReLU
/// in front of the convolution (DenseNet's pre-activation) folded into it: padding stays zero.
public struct ChannelTransform {
    public var scale: UnsafePointer<Float>
    public var shift: UnsafePointer<Float>
    public var relu: Bool
    public var slope: Float

    public init(scale: UnsafePointer<Float>, shift: UnsafePointer<Float>, relu: Bool, slope: Float) {
        self.scale = scale
        self.shift = shift
        self.relu = relu
        self.slope = slope
    }

    /// dst[i] = transform(src[i]) for one channel's `count` values.
    @inline(__always)
    func apply(channel c: Int, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, count: Int) {
        let a = scale[c], b = shift[c]
        if relu {
            let s = slope
            for i in 0..<count {
                let v = src[i] * a + b
                dst[i] = max(v, 0) + s * min(v, 0)
            }
        } else {
            for i in 0..<count { dst[i] = src[i] * a + b }
        }
    }
}

/// How one image of a 2-D convolution runs on the packed GEMM (`PackedGemm`), chosen from its
/// geometry:
/// - 1x1, stride 1, no padding: the input's channel planes are the rows of B (no copy);
/// - stride 1 otherwise: the input is copied once into a zero-padded buffer and row (c, ky, kx)
///   of B is that buffer shifted by (ky·dilation, kx·dilation); the GEMM computes `padding`
///   spare columns per output row, which are dropped on store (no im2col);
/// - anything else (strides > 1): Caffe's im2col columns.
public struct ConvolutionPlan {
    public enum Path: Sendable { case pointwise, padded, columns }

    /// Geometry of one group (channels per group).
    public let geometry: ConvolutionGeometry
    public let groups: Int
    public let path: Path
    let paddedHeight: Int
    let paddedWidth: Int
    /// Row offsets of B within one group's padded input (padded path).
    let offsets: [Int64]

    public init(geometry g: ConvolutionGeometry, groups: Int) {
        geometry = g
        self.groups = groups
        let strideOne = g.strideH == 1 && g.strideW == 1
        if strideOne && g.kernelH == 1 && g.kernelW == 1 && g.padH == 0 && g.padW == 0 {
            path = .pointwise
        } else if strideOne {
            path = .padded
        } else {
            path = .columns
        }
        paddedHeight = g.height + 2 * g.padH
        paddedWidth = g.width + 2 * g.padW
        var offsets: [Int64] = []
        if path == .padded {
            let plane = paddedHeight * paddedWidth
            offsets.reserveCapacity(g.columnRows)
            for c in 0..<g.channels {
                for ky in 0..<g.kernelH {
                    for kx in 0..<g.kernelW {
                        offsets.append(Int64(c * plane + ky * g.dilationH * paddedWidth + kx * g.dilationW))
                    }
                }
            }
        }
        self.offsets = offsets
    }

    var outputHeight: Int { geometry.outputHeight }
    var outputWidth: Int { geometry.outputWidth }

    /// Runs one image: `input` holds groups·channels planes of H x W, `output` receives
    /// groups·rows(weights) planes of outH x outW. `weights[g]` is group g's packed
    /// (outputs/groups) x (channels·kh·kw) matrix; the epilogue's bias covers all outputs.
    public func forward(input: UnsafePointer<Float>, weights: [PackedMatrix], output: UnsafeMutablePointer<Float>,
                        epilogue: GemmEpilogue, transform: ChannelTransform?) {
        let g = geometry
        let inputPlane = g.height * g.width
        let outSpatial = outputHeight * outputWidth
        let allChannels = g.channels * groups
        switch path {
        case .pointwise:
            if let transform {
                WorkspacePool.shared.withBuffer(allChannels * inputPlane) { buffer in
                    Self.transformChannels(input, buffer, channels: allChannels, plane: inputPlane, transform)
                    runPointwise(UnsafePointer(buffer), weights, output, epilogue)
                }
            } else {
                runPointwise(input, weights, output, epilogue)
            }
        case .padded:
            let plane = paddedHeight * paddedWidth
            let usePadding = g.padH > 0 || g.padW > 0 || transform != nil
            let body: (UnsafePointer<Float>) -> Void = { padded in
                // Columns of B: every padded position from the first output's to the last's.
                let columns = (self.outputHeight - 1) * self.paddedWidth + self.outputWidth
                self.offsets.withUnsafeBufferPointer { offsets in
                    for group in 0..<self.groups {
                        let rows = weights[group].rows
                        PackedGemm.multiply(weights[group], GemmRows(base: padded + group * g.channels * plane, offsets: offsets.baseAddress!),
                                            columns: columns, into: output + group * rows * outSpatial, rowStride: outSpatial,
                                            outputPitch: self.paddedWidth, outputWidth: self.outputWidth,
                                            epilogue: Self.offset(epilogue, by: group * rows))
                    }
                }
            }
            if usePadding {
                WorkspacePool.shared.withBuffer(allChannels * plane) { buffer in
                    padCopy(input, buffer, channels: allChannels, transform: transform)
                    body(UnsafePointer(buffer))
                }
            } else {
                body(input)
            }
        case .columns:
            let run: (UnsafePointer<Float>) -> Void = { source in
                WorkspacePool.shared.withBuffer(g.columnRows * outSpatial) { columns in
                    for group in 0..<self.groups {
                        Im2col.im2col(g, image: source + group * g.channels * inputPlane, columns: columns)
                        let rows = weights[group].rows
                        PackedGemm.multiply(weights[group], GemmRows(base: UnsafePointer(columns), stride: outSpatial),
                                            columns: outSpatial, into: output + group * rows * outSpatial, rowStride: outSpatial,
                                            epilogue: Self.offset(epilogue, by: group * rows))
                    }
                }
            }
            if let transform {
                WorkspacePool.shared.withBuffer(allChannels * inputPlane) { buffer in
                    Self.transformChannels(input, buffer, channels: allChannels, plane: inputPlane, transform)
                    run(UnsafePointer(buffer))
                }
            } else {
                run(input)
            }
        }
    }

    private func runPointwise(_ input: UnsafePointer<Float>, _ weights: [PackedMatrix], _ output: UnsafeMutablePointer<Float>, _ epilogue: GemmEpilogue) {
        let spatial = geometry.height * geometry.width
        for group in 0..<groups {
            let rows = weights[group].rows
            PackedGemm.multiply(weights[group], GemmRows(base: input + group * geometry.channels * spatial, stride: spatial),
                                columns: spatial, into: output + group * rows * spatial, rowStride: spatial,
                                epilogue: Self.offset(epilogue, by: group * rows))
        }
    }

    static func offset(_ epilogue: GemmEpilogue, by rows: Int) -> GemmEpilogue {
        var shifted = epilogue
        shifted.bias = epilogue.bias.map { $0 + rows }
        return shifted
    }

    static func transformChannels(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, channels: Int, plane: Int, _ transform: ChannelTransform) {
        let body: (Int) -> Void = { c in transform.apply(channel: c, input + c * plane, output + c * plane, count: plane) }
        if channels * plane >= 1 << 15 {
            KernelThreads.parallelForEach(channels, body)
        } else {
            for c in 0..<channels { body(c) }
        }
    }

    /// Copies every channel into the zero-padded buffer (paddedHeight x paddedWidth per channel),
    /// transforming the values (not the padding) when a transform is given.
    func padCopy(_ input: UnsafePointer<Float>, _ padded: UnsafeMutablePointer<Float>, channels: Int, transform: ChannelTransform?) {
        let g = geometry
        let (height, width, padH, padW, pitch) = (g.height, g.width, g.padH, g.padW, paddedWidth)
        let (plane, paddedHeight) = (self.paddedHeight * paddedWidth, self.paddedHeight)
        let body: (Int) -> Void = { c in
            let src = input + c * height * width
            let dst = padded + c * plane
            for y in 0..<paddedHeight {
                let row = dst + y * pitch
                guard y >= padH && y < padH + height else {
                    row.update(repeating: 0, count: pitch)
                    continue
                }
                row.update(repeating: 0, count: padW)
                if let transform {
                    transform.apply(channel: c, src + (y - padH) * width, row + padW, count: width)
                } else {
                    (row + padW).update(from: src + (y - padH) * width, count: width)
                }
                (row + padW + width).update(repeating: 0, count: padW)
            }
        }
        if channels * plane >= 1 << 15 {
            KernelThreads.parallelForEach(channels, body)
        } else {
            for c in 0..<channels { body(c) }
        }
    }
}
