import CaffeProto
import Kernels
import Runtime

/// Shared machinery of Convolution and Deconvolution (src/caffe/layers/base_conv_layer.cpp):
/// parameter parsing, the weight/bias blobs, and the three products every pass is made of. Only
/// 2-D spatial convolutions are supported (the channel axis followed by two spatial axes).
class BaseConvolutionLayer: Layer {
    /// Deconvolution swaps the roles of input and output (Caffe's `reverse_dimensions`).
    var reverseDimensions: Bool { false }

    var kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, padH = 0, padW = 0, dilationH = 1, dilationW = 1
    var channelAxis = 1
    var channels = 0
    var numOutput = 0
    var group = 1
    var biasTerm = true
    var is1x1 = false
    var convOutChannels = 0
    var convInChannels = 0
    // Set by reshape:
    var num = 0
    var bottomDim = 0
    var topDim = 0
    var outputSpatial: [Int] = []
    var geometry = ConvolutionGeometry(channels: 0, height: 0, width: 0, kernelH: 1, kernelW: 1, padH: 0, padW: 0, strideH: 1, strideW: 1, dilationH: 1, dilationW: 1)
    var kernelDim = 0
    var weightOffset = 0
    var colOffset = 0
    var outputOffset = 0
    var convOutSpatialDim = 0
    var outSpatialDim = 0

    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, minTops: 1, equalBottomsAndTops: true) }

    /// Values given per spatial axis (once for both, or once per axis), as Caffe reads
    /// kernel_size/stride/pad/dilation.
    private func perAxis(_ values: [UInt32], name: String, default value: Int) throws -> (Int, Int) {
        switch values.count {
        case 0: return (value, value)
        case 1: return (Int(values[0]), Int(values[0]))
        case 2: return (Int(values[0]), Int(values[1]))
        default: throw error("\(name) must be given once, or once per spatial dimension (2), not \(values.count) times")
        }
    }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.convolutionParam
        channelAxis = try axisIndex(p.axis, of: bottom[0], parameter: "convolution_param.axis")
        let spatialAxes = bottom[0].numAxes - channelAxis - 1
        guard spatialAxes == 2 else {
            throw error("only 2-D convolutions are supported: the bottom \(bottom[0].shape) has \(spatialAxes) spatial axes after axis \(channelAxis)")
        }
        if p.hasKernelH || p.hasKernelW {
            guard p.kernelSize.isEmpty else { throw error("give either kernel_size or kernel_h/kernel_w, not both") }
            guard p.hasKernelH && p.hasKernelW else { throw error("kernel_h and kernel_w must be given together") }
            (kernelH, kernelW) = (Int(p.kernelH), Int(p.kernelW))
        } else {
            guard !p.kernelSize.isEmpty else { throw error("kernel_size (or kernel_h and kernel_w) is required") }
            (kernelH, kernelW) = try perAxis(p.kernelSize, name: "kernel_size", default: 0)
        }
        guard kernelH > 0, kernelW > 0 else { throw error("kernel dimensions must be positive, got \(kernelH)x\(kernelW)") }
        if p.hasStrideH || p.hasStrideW {
            guard p.stride.isEmpty else { throw error("give either stride or stride_h/stride_w, not both") }
            (strideH, strideW) = (Int(p.strideH), Int(p.strideW))
        } else {
            (strideH, strideW) = try perAxis(p.stride, name: "stride", default: 1)
        }
        guard strideH > 0, strideW > 0 else { throw error("stride must be positive, got \(strideH)x\(strideW)") }
        if p.hasPadH || p.hasPadW {
            guard p.pad.isEmpty else { throw error("give either pad or pad_h/pad_w, not both") }
            (padH, padW) = (Int(p.padH), Int(p.padW))
        } else {
            (padH, padW) = try perAxis(p.pad, name: "pad", default: 0)
        }
        (dilationH, dilationW) = try perAxis(p.dilation, name: "dilation", default: 1)
        guard dilationH > 0, dilationW > 0 else { throw error("dilation must be positive, got \(dilationH)x\(dilationW)") }
        // Caffe reads these uint32 fields into int (base_conv_layer.cpp); larger values are nonsense.
        for (name, value) in [("kernel", max(kernelH, kernelW)), ("stride", max(strideH, strideW)), ("pad", max(padH, padW)),
                              ("dilation", max(dilationH, dilationW))] where value > Int(Int32.max) {
            throw error("\(name) \(value) is larger than 2147483647")
        }
        is1x1 = kernelH == 1 && kernelW == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0
        channels = bottom[0].shape[channelAxis]
        numOutput = Int(p.numOutput)
        guard numOutput > 0 else { throw error("num_output must be positive, got \(numOutput)") }
        group = Int(p.group)
        guard group > 0 else { throw error("group must be positive") }
        guard channels % group == 0 else { throw error("the bottom's \(channels) channels are not a multiple of group \(group)") }
        guard numOutput % group == 0 else { throw error("num_output \(numOutput) is not a multiple of group \(group)") }
        (convOutChannels, convInChannels) = reverseDimensions ? (channels, numOutput) : (numOutput, channels)
        let weightShape = [convOutChannels, convInChannels / group, kernelH, kernelW]
        biasTerm = p.biasTerm
        if !blobs.isEmpty {
            guard blobs.count == (biasTerm ? 2 : 1) else {
                throw error("has \(blobs.count) blobs, expected \(biasTerm ? 2 : 1) (weights\(biasTerm ? " and bias" : ""))")
            }
            try expectBlobShape(0, weightShape, what: "weight")
            if biasTerm { try expectBlobShape(1, [numOutput], what: "bias") }
        } else {
            let weight = try makeBlob(weightShape, what: "weight")
            try fill(weight, with: p.weightFiller, what: "weight_filler")
            blobs = [weight]
            if biasTerm {
                let bias = try makeBlob([numOutput], what: "bias")
                try fill(bias, with: p.biasFiller, what: "bias_filler")
                blobs.append(bias)
            }
        }
        kernelDim = blobs[0].count(from: 1)
        weightOffset = convOutChannels * kernelDim / group
    }

    /// The spatial output size for the given input size: Convolution's rule (conv_layer.cpp
    /// `compute_output_shape`, integer division, i.e. rounded down); Deconvolution overrides it.
    func computeOutputShape(height: Int, width: Int) -> (Int, Int) {
        let extentH = dilationH * (kernelH - 1) + 1
        let extentW = dilationW * (kernelW - 1) + 1
        let h = height + 2 * padH - extentH
        let w = width + 2 * padW - extentW
        return (h < 0 ? 0 : h / strideH + 1, w < 0 ? 0 : w / strideW + 1)
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let first = bottom[0]
        guard first.numAxes == channelAxis + 3 else {
            throw error("the bottom's number of axes may not change (was \(channelAxis + 3), now \(first.numAxes))")
        }
        guard first.shape[channelAxis] == channels else {
            throw error("the bottom has \(first.shape[channelAxis]) channels, the weights expect \(channels)")
        }
        for (i, other) in bottom.enumerated().dropFirst() where other.shape != first.shape {
            throw error("all bottoms must have the same shape: bottom 0 is \(first.shape), bottom \(i) is \(other.shape)")
        }
        num = first.count(from: 0, to: channelAxis)
        let inH = first.shape[channelAxis + 1], inW = first.shape[channelAxis + 2]
        let (outH, outW) = computeOutputShape(height: inH, width: inW)
        guard outH > 0, outW > 0 else {
            throw error("the output would be \(outH)x\(outW) for a \(inH)x\(inW) input (kernel \(kernelH)x\(kernelW), stride \(strideH)x\(strideW), pad \(padH)x\(padW), dilation \(dilationH)x\(dilationW))")
        }
        outputSpatial = [outH, outW]
        let topShape = Array(first.shape[0..<channelAxis]) + [numOutput, outH, outW]
        for t in top { try reshapeBlob(t, topShape) }
        // The geometry of im2col: over the bottom for Convolution, over the top for Deconvolution.
        let (imageH, imageW) = reverseDimensions ? (outH, outW) : (inH, inW)
        geometry = ConvolutionGeometry(channels: convInChannels, height: imageH, width: imageW, kernelH: kernelH, kernelW: kernelW,
                                       padH: padH, padW: padW, strideH: strideH, strideW: strideW,
                                       dilationH: dilationH, dilationW: dilationW)
        convOutSpatialDim = reverseDimensions ? inH * inW : outH * outW
        guard geometry.outputHeight * geometry.outputWidth == convOutSpatialDim else {
            throw error("inconsistent geometry: im2col gives \(geometry.outputHeight)x\(geometry.outputWidth), expected \(convOutSpatialDim) positions")
        }
        colOffset = kernelDim * convOutSpatialDim
        outputOffset = convOutChannels * convOutSpatialDim / group
        outSpatialDim = outH * outW
        bottomDim = first.count(from: channelAxis)
        topDim = top[0].count(from: channelAxis)
        do {
            try MemoryBudget.check(count: MemoryBudget.product([kernelDim, group, convOutSpatialDim]), elementSize: MemoryLayout<Float>.stride,
                                   what: "the im2col buffer (\(kernelDim) x \(group) x \(convOutSpatialDim) values)")
        } catch let budget {
            throw error("\(budget)")
        }
    }

    var columnCount: Int { kernelDim * group * convOutSpatialDim }

    // MARK: The packed-GEMM path (Kernels' PackedGemm, AVX-512)

    /// How one image runs on the packed kernels, for the current geometry.
    private var cachedPlan: ConvolutionPlan?
    /// The weights packed per group, and the stamps of the blobs they were made from.
    private var packedWeights: [PackedMatrix] = []
    private var packedStamps: [BlobStamp] = []

    /// Whether forward runs on the packed AVX-512 kernels (Convolution on a CPU that has them).
    var usesPackedGemm: Bool { PackedGemm.isAvailable && !reverseDimensions && kernelDim > 0 }

    /// The plan for the current geometry (rebuilt after a reshape changed it).
    var packedPlan: ConvolutionPlan {
        // Caffe's im2col geometry spans every input channel; the plan's is one group's.
        var perGroup = geometry
        perGroup.channels = geometry.channels / group
        if let cachedPlan, cachedPlan.geometry == perGroup, cachedPlan.groups == group { return cachedPlan }
        let plan = ConvolutionPlan(geometry: perGroup, groups: group)
        cachedPlan = plan
        return plan
    }

    /// The weights packed per group; repacked when any blob in `stamps` changed since the last
    /// packing. `prepare` calls its argument with the (O x kernelDim) row-major weights to pack
    /// (the blob itself, or folded weights).
    func packed(stamps: [BlobStamp], prepare: ((UnsafePointer<Float>) -> Void) -> Void) -> [PackedMatrix] {
        if stamps == packedStamps && packedWeights.count == group { return packedWeights }
        let rows = convOutChannels / group
        // Repack into the same memory when the shape is unchanged (training repacks every step).
        let reusable = packedWeights.count == group && packedWeights.allSatisfy { $0.rows == rows && $0.columns == kernelDim }
        let matrices = reusable ? packedWeights : (0..<group).map { _ in PackedMatrix(rows: rows, columns: kernelDim) }
        prepare { weights in
            for (g, matrix) in matrices.enumerated() {
                matrix.pack(weights + g * weightOffset, rowStride: kernelDim, columnStride: 1)
            }
        }
        packedWeights = matrices
        packedStamps = stamps
        return packedWeights
    }

    /// output = W · im2col(input), per group (Caffe's `forward_cpu_gemm`).
    func forwardGemm(_ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>) {
        withColumns(of: input) { col in
            for g in 0..<self.group {
                BLAS.gemm(.none, .none, m: self.convOutChannels / self.group, n: self.convOutSpatialDim, k: self.kernelDim,
                          alpha: 1, a: weights + g * self.weightOffset, b: col + g * self.colOffset,
                          beta: 0, c: output + g * self.outputOffset)
            }
        }
    }

    /// Calls `body` with im2col(input), or with the input itself for a 1x1 convolution (whose
    /// column matrix is the input, as Caffe's `is_1x1_` shortcut).
    private func withColumns(of input: UnsafePointer<Float>, _ body: (UnsafePointer<Float>) -> Void) {
        if is1x1 {
            body(input)
        } else {
            WorkspacePool.shared.withBuffer(columnCount) { col in
                Im2col.im2col(geometry, image: input, columns: col)
                body(UnsafePointer(col))
            }
        }
    }

    /// inputDiff = col2im(Wᵀ · outputDiff) (Caffe's `backward_cpu_gemm`); overwrites inputDiff.
    func backwardGemm(_ outputDiff: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ inputDiff: UnsafeMutablePointer<Float>) {
        let run: (UnsafeMutablePointer<Float>) -> Void = { col in
            for g in 0..<self.group {
                BLAS.gemm(.transpose, .none, m: self.kernelDim, n: self.convOutSpatialDim, k: self.convOutChannels / self.group,
                          alpha: 1, a: weights + g * self.weightOffset, b: outputDiff + g * self.outputOffset,
                          beta: 0, c: col + g * self.colOffset)
            }
        }
        if is1x1 {
            run(inputDiff)
        } else {
            WorkspacePool.shared.withBuffer(columnCount) { col in
                run(col)
                Im2col.col2im(geometry, columns: col, image: inputDiff)
            }
        }
    }

    /// weightDiff += outputDiff · im2col(input)ᵀ (Caffe's `weight_cpu_gemm`).
    func weightGemm(_ input: UnsafePointer<Float>, _ outputDiff: UnsafePointer<Float>, _ weightDiff: UnsafeMutablePointer<Float>) {
        withColumns(of: input) { col in
            for g in 0..<self.group {
                BLAS.gemm(.none, .transpose, m: self.convOutChannels / self.group, n: self.kernelDim, k: self.convOutSpatialDim,
                          alpha: 1, a: outputDiff + g * self.outputOffset, b: col + g * self.colOffset,
                          beta: 1, c: weightDiff + g * self.weightOffset)
            }
        }
    }

    /// output[c, s] += bias[c] over the top's spatial positions.
    func biasForward(_ output: UnsafeMutablePointer<Float>, _ bias: UnsafePointer<Float>) {
        let spatial = outSpatialDim
        for c in 0..<numOutput {
            let row = output + c * spatial
            let value = bias[c]
            for s in 0..<spatial { row[s] += value }
        }
    }

    /// biasDiff[c] += Σ_s outputDiff[c, s].
    func biasBackward(_ biasDiff: UnsafeMutablePointer<Float>, _ outputDiff: UnsafePointer<Float>) {
        let spatial = outSpatialDim
        for c in 0..<numOutput {
            let row = outputDiff + c * spatial
            var sum = 0.0
            for s in 0..<spatial { sum += Double(row[s]) }
            biasDiff[c] += Float(sum)
        }
    }
}
