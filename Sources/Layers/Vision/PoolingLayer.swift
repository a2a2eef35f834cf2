import CaffeProto
import Kernels
import Runtime

/// Caffe's Pooling, MAX and AVE (src/caffe/layers/pooling_layer.cpp). Quirks kept: the output
/// size rounds UP (ceil) and, with padding, a last window starting at or past H + pad is dropped;
/// AVE divides by the window clipped to H + pad / W + pad (padded cells count); MAX takes the
/// first maximum; the optional second top is the argmax index h·W + w.
final class PoolingLayer: Layer {
    override class var caffeType: String { "Pooling" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 1, minTops: 1, maxTops: isMax ? 2 : 1) }

    private var isMax: Bool { parameter.poolingParam.pool == .max }
    private var globalPooling = false
    private var kernelH = 0, kernelW = 0, strideH = 1, strideW = 1, padH = 0, padW = 0
    private var geometry = PoolingGeometry(height: 0, width: 0, kernelH: 1, kernelW: 1, padH: 0, padW: 0, strideH: 1, strideW: 1, pooledHeight: 0, pooledWidth: 0)
    private var planes = 0
    private let argmax = ScratchBuffer<Int32>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.poolingParam
        guard p.pool != .stochastic else { throw error("STOCHASTIC pooling is not supported") }
        globalPooling = p.globalPooling
        if globalPooling {
            guard !(p.hasKernelSize || p.hasKernelH || p.hasKernelW) else {
                throw error("global_pooling takes its kernel from the bottom; do not give kernel_size/kernel_h/kernel_w")
            }
        } else {
            guard p.hasKernelSize != (p.hasKernelH && p.hasKernelW) else {
                throw error("give kernel_size, or kernel_h and kernel_w (both), not both forms")
            }
        }
        guard (!p.hasPad && p.hasPadH && p.hasPadW) || (!p.hasPadH && !p.hasPadW) else {
            throw error("give pad, or pad_h and pad_w (both)")
        }
        guard (!p.hasStride && p.hasStrideH && p.hasStrideW) || (!p.hasStrideH && !p.hasStrideW) else {
            throw error("give stride, or stride_h and stride_w (both)")
        }
        guard bottom[0].numAxes == 4 else {
            throw error("the bottom must have 4 axes (num, channels, height, width), got shape \(bottom[0].shape)")
        }
        if globalPooling {
            (kernelH, kernelW) = (bottom[0].height, bottom[0].width)
        } else if p.hasKernelSize {
            (kernelH, kernelW) = (Int(p.kernelSize), Int(p.kernelSize))
        } else {
            (kernelH, kernelW) = (Int(p.kernelH), Int(p.kernelW))
        }
        guard kernelH > 0, kernelW > 0 else { throw error("kernel dimensions must be positive, got \(kernelH)x\(kernelW)") }
        (padH, padW) = p.hasPadH ? (Int(p.padH), Int(p.padW)) : (Int(p.pad), Int(p.pad))
        (strideH, strideW) = p.hasStrideH ? (Int(p.strideH), Int(p.strideW)) : (Int(p.stride), Int(p.stride))
        guard strideH > 0, strideW > 0 else { throw error("stride must be positive, got \(strideH)x\(strideW)") }
        if globalPooling && (padH != 0 || padW != 0 || strideH != 1 || strideW != 1) {
            throw error("global_pooling allows only pad 0 and stride 1")
        }
        if !globalPooling && (padH >= kernelH || padW >= kernelW) {
            throw error("pad (\(padH)x\(padW)) must be smaller than the kernel (\(kernelH)x\(kernelW))")
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard input.numAxes == 4 else {
            throw error("the bottom must have 4 axes (num, channels, height, width), got shape \(input.shape)")
        }
        let height = input.height, width = input.width
        if globalPooling { (kernelH, kernelW) = (height, width) }
        // pooling_layer.cpp Reshape: ceil((H + 2p - k) / s) + 1, computed in float.
        var pooledH = Int((Float(height + 2 * padH - kernelH) / Float(strideH)).rounded(.up)) + 1
        var pooledW = Int((Float(width + 2 * padW - kernelW) / Float(strideW)).rounded(.up)) + 1
        if padH != 0 || padW != 0 {
            // The last window must start strictly inside the image, not in the padding.
            if (pooledH - 1) * strideH >= height + padH { pooledH -= 1 }
            if (pooledW - 1) * strideW >= width + padW { pooledW -= 1 }
        }
        guard pooledH > 0, pooledW > 0, (pooledH - 1) * strideH < height + padH, (pooledW - 1) * strideW < width + padW else {
            throw error("a \(height)x\(width) input is too small for kernel \(kernelH)x\(kernelW) with pad \(padH)x\(padW)")
        }
        geometry = PoolingGeometry(height: height, width: width, kernelH: kernelH, kernelW: kernelW, padH: padH, padW: padW,
                                   strideH: strideH, strideW: strideW, pooledHeight: pooledH, pooledWidth: pooledW)
        planes = input.num * input.channels
        try reshapeBlob(top[0], [input.num, input.channels, pooledH, pooledW])
        if top.count > 1 { try reshapeBlob(top[1], top[0].shape, what: "mask top") }
        if isMax { argmax.resize(top[0].count) }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        if isMax {
            Pooling.maxForward(geometry, planes: planes, input: bottom[0].data, output: top[0].data, argmax: argmax.pointer)
            if top.count > 1 {
                let mask = top[1].data
                for i in 0..<top[1].count { mask[i] = Float(argmax.pointer[i]) }
            }
        } else {
            Pooling.averageForward(geometry, planes: planes, input: bottom[0].data, output: top[0].data)
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        if isMax {
            Pooling.maxBackward(geometry, planes: planes, outputDiff: top[0].diff, argmax: argmax.pointer, inputDiff: bottom[0].diff)
        } else {
            Pooling.averageBackward(geometry, planes: planes, outputDiff: top[0].diff, inputDiff: bottom[0].diff)
        }
    }
}
