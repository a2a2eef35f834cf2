/// The two gradients of a convolution on the packed GEMM, for one image:
/// - input gradient: for a stride-1 convolution with padding <= dilation·(kernel-1), a stride-1
///   convolution of the output gradient with the flipped, transposed weights (no col2im); else
///   Wᵀ·dY into im2col columns, then col2im;
/// - weight gradient: dY · im2col(X)ᵀ, reading im2col's rows straight from X (1x1), from the
///   zero-padded copy of X (stride 1), or from im2col columns (strides > 1).
extension ConvolutionPlan {
    /// The convolution that computes the input gradient of a stride-1 convolution with
    /// `outputsPerGroup` outputs per group, when its padding allows (nil: columns and col2im).
    func inputGradientPlan(outputsPerGroup: Int) -> ConvolutionPlan? {
        let g = geometry
        guard path == .padded else { return nil }
        let padH = g.dilationH * (g.kernelH - 1) - g.padH, padW = g.dilationW * (g.kernelW - 1) - g.padW
        guard padH >= 0, padW >= 0 else { return nil }
        return ConvolutionPlan(geometry: ConvolutionGeometry(channels: outputsPerGroup, height: outputHeight, width: outputWidth,
                                                             kernelH: g.kernelH, kernelW: g.kernelW, padH: padH, padW: padW,
                                                             strideH: 1, strideW: 1, dilationH: g.dilationH, dilationW: g.dilationW),
                               groups: groups)
    }

    /// Packs `weights` (groups x outputsPerGroup x channels·kh·kw, row-major, Caffe's layout) in
    /// the form `inputGradient` needs, into `reusing` when its matrices have the right shape.
    public func packForInputGradient(_ weights: UnsafePointer<Float>, outputsPerGroup: Int, reusing: [PackedMatrix] = []) -> [PackedMatrix] {
        let g = geometry
        let kernelDim = g.columnRows
        let area = g.kernelH * g.kernelW
        func matrix(_ group: Int, rows: Int, columns: Int) -> PackedMatrix {
            if reusing.count == groups, reusing[group].rows == rows, reusing[group].columns == columns { return reusing[group] }
            return PackedMatrix(rows: rows, columns: columns)
        }
        guard inputGradientPlan(outputsPerGroup: outputsPerGroup) != nil else {
            return (0..<groups).map { group in
                let matrix = matrix(group, rows: kernelDim, columns: outputsPerGroup)
                matrix.pack(weights + group * outputsPerGroup * kernelDim, rowStride: 1, columnStride: kernelDim)
                return matrix
            }
        }
        // Row c, column (m, ky, kx) = W[m][c][kh-1-ky][kw-1-kx].
        let columns = outputsPerGroup * area
        return (0..<groups).map { group in
            let matrix = matrix(group, rows: g.channels, columns: columns)
            WorkspacePool.shared.withBuffer(g.channels * columns) { flipped in
                let source = weights + group * outputsPerGroup * kernelDim
                for m in 0..<outputsPerGroup {
                    for c in 0..<g.channels {
                        let kernel = source + m * kernelDim + c * area
                        let row = flipped + c * columns + m * area
                        for t in 0..<area { row[t] = kernel[area - 1 - t] }
                    }
                }
                matrix.pack(flipped, rowStride: columns, columnStride: 1)
            }
            return matrix
        }
    }

    /// Writes the input gradient (groups·channels planes of H x W) from the output gradient;
    /// `packed` comes from `packForInputGradient`.
    public func inputGradient(outputDiff: UnsafePointer<Float>, packed: [PackedMatrix], inputDiff: UnsafeMutablePointer<Float>) {
        let g = geometry
        if path == .padded, packed[0].rows == g.channels,
           let plan = inputGradientPlan(outputsPerGroup: packed[0].columns / (g.kernelH * g.kernelW)) {
            plan.forward(input: outputDiff, weights: packed, output: inputDiff, epilogue: .none, transform: nil)
            return
        }
        let outSpatial = outputHeight * outputWidth
        let inputPlane = g.height * g.width
        for group in 0..<groups {
            let matrix = packed[group]
            let dy = outputDiff + group * matrix.columns * outSpatial
            let dx = inputDiff + group * g.channels * inputPlane
            if path == .pointwise {
                PackedGemm.multiply(matrix, GemmRows(base: dy, stride: outSpatial), columns: outSpatial, into: dx, rowStride: outSpatial)
            } else {
                WorkspacePool.shared.withBuffer(g.columnRows * outSpatial) { columns in
                    PackedGemm.multiply(matrix, GemmRows(base: dy, stride: outSpatial), columns: outSpatial, into: columns, rowStride: outSpatial)
                    Im2col.col2im(g, columns: UnsafePointer(columns), image: dx)
                }
            }
        }
    }

    /// weightDiff (groups x outputsPerGroup x channels·kh·kw) += dY · im2col(X)ᵀ, where X is
    /// `input` after `transform` when one is given (recomputed here rather than stored).
    public func accumulateWeightGradient(input: UnsafePointer<Float>, outputDiff: UnsafePointer<Float>,
                                         weightDiff: UnsafeMutablePointer<Float>, outputsPerGroup: Int,
                                         transform: ChannelTransform? = nil) {
        let g = geometry
        if let transform, path != .padded {
            let count = groups * g.channels * g.height * g.width
            WorkspacePool.shared.withBuffer(count) { buffer in
                Self.transformChannels(input, buffer, channels: groups * g.channels, plane: g.height * g.width, transform)
                accumulateWeightGradient(input: UnsafePointer(buffer), outputDiff: outputDiff, weightDiff: weightDiff,
                                         outputsPerGroup: outputsPerGroup)
            }
            return
        }
        let kernelDim = g.columnRows
        let outSpatial = outputHeight * outputWidth
        let inputPlane = g.height * g.width
        switch path {
        case .pointwise:
            for group in 0..<groups {
                PackedMatrix.withTemporary(rows: outputsPerGroup, columns: outSpatial) { dy in
                    dy.pack(outputDiff + group * outputsPerGroup * outSpatial, rowStride: outSpatial, columnStride: 1)
                    PackedGemm.multiply(dy, GemmRows(base: input + group * g.channels * inputPlane, stride: inputPlane).asColumns,
                                        columns: kernelDim, into: weightDiff + group * outputsPerGroup * kernelDim,
                                        rowStride: kernelDim, accumulate: true)
                }
            }
        case .padded:
            let plane = paddedHeight * paddedWidth
            // The output gradient laid out with the padded input's row pitch, spare columns zero,
            // so that column n of it meets column n of the shifted padded rows.
            let pitch = paddedWidth
            let columns = (outputHeight - 1) * pitch + outputWidth
            let (outH, outW) = (outputHeight, outputWidth)
            WorkspacePool.shared.withBuffer(groups * g.channels * plane) { padded in
                padCopy(input, padded, channels: groups * g.channels, transform: transform)
                WorkspacePool.shared.withBuffer(outputsPerGroup * columns) { spread in
                    for group in 0..<groups {
                        let dy = outputDiff + group * outputsPerGroup * outSpatial
                        KernelThreads.parallelForEach(outputsPerGroup) { m in
                            let row = spread + m * columns
                            for y in 0..<outH {
                                (row + y * pitch).update(from: dy + m * outSpatial + y * outW, count: outW)
                                if y < outH - 1 { (row + y * pitch + outW).update(repeating: 0, count: pitch - outW) }
                            }
                        }
                        PackedMatrix.withTemporary(rows: outputsPerGroup, columns: columns) { packedDy in
                            packedDy.pack(spread, rowStride: columns, columnStride: 1)
                            offsets.withUnsafeBufferPointer { offsets in
                                PackedGemm.multiply(packedDy, GemmRows(base: padded + group * g.channels * plane, offsets: offsets.baseAddress!).asColumns,
                                                    columns: kernelDim, into: weightDiff + group * outputsPerGroup * kernelDim,
                                                    rowStride: kernelDim, accumulate: true)
                            }
                        }
                    }
                }
            }
        case .columns:
            WorkspacePool.shared.withBuffer(kernelDim * outSpatial) { columns in
                for group in 0..<groups {
                    Im2col.im2col(g, image: input + group * g.channels * inputPlane, columns: columns)
                    PackedMatrix.withTemporary(rows: outputsPerGroup, columns: outSpatial) { dy in
                        dy.pack(outputDiff + group * outputsPerGroup * outSpatial, rowStride: outSpatial, columnStride: 1)
                        PackedGemm.multiply(dy, GemmRows(base: UnsafePointer(columns), stride: outSpatial).asColumns,
                                            columns: kernelDim, into: weightDiff + group * outputsPerGroup * kernelDim,
                                            rowStride: kernelDim, accumulate: true)
                    }
                }
            }
        }
    }
}
