import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's LRN, local response normalization (src/caffe/layers/lrn_layer.cpp), on (N, C, H, W):
///
/// - ACROSS_CHANNELS: y = x · s^-β with s = k + α/n · Σ x² over the n channels centred on the
///   channel (zeros beyond the edges).
/// - WITHIN_CHANNEL: y = x · (1 + α · avg(x²))^-β over the n×n window centred on the pixel.
///   Caffe builds it from Split + Power(2) + Pooling(AVE, pad (n-1)/2) + Power(-β, α, 1) +
///   Eltwise(PROD); it is computed here directly with the same operations in the same order. `k`
///   is not used in this mode, and the average always divides by n² (the window clipped to
///   H + pad is never smaller with stride 1), so border pixels count the padding as zeros.
final class LRNLayer: Layer {
    override class var caffeType: String { "LRN" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var size = 5, prePad = 2
    private var alpha: Float = 1, beta: Float = 0.75, k: Float = 1
    private var acrossChannels = true
    /// ACROSS_CHANNELS: the scale s of every element. WITHIN_CHANNEL: (1 + α·avg)^-β.
    private let scale = ScratchBuffer<Float>()
    /// WITHIN_CHANNEL: the pooled average of x² (needed by the backward pass).
    private let pooled = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.lrnParam
        size = Int(p.localSize)
        // lrn_layer.cpp LayerSetUp: CHECK_EQ(size_ % 2, 1).
        guard size > 0, size % 2 == 1 else {
            throw error("lrn_param.local_size is \(size), expected a positive odd number (Caffe supports only odd sizes)")
        }
        prePad = (size - 1) / 2
        (alpha, beta, k) = (p.alpha, p.beta, p.k)
        acrossChannels = p.normRegion == .acrossChannels
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // lrn_layer.cpp Reshape: CHECK_EQ(4, bottom[0]->num_axes()).
        guard bottom[0].numAxes == 4 else {
            throw error("the bottom must have 4 axes (num, channels, height, width), got shape \(bottom[0].shape)")
        }
        try reshapeBlob(top[0], bottom[0].shape)
        scale.resize(bottom[0].count)
        if !acrossChannels { pooled.resize(bottom[0].count) }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].count > 0 else { return }
        if acrossChannels { acrossChannelsForward(bottom[0], top[0]) } else { withinChannelForward(bottom[0], top[0]) }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0], bottom[0].count > 0 else { return }
        if acrossChannels { acrossChannelsBackward(top[0], bottom[0]) } else { withinChannelBackward(top[0], bottom[0]) }
    }

    // MARK: ACROSS_CHANNELS

    /// CrossChannelForward_cpu, plane by plane with Caffe's operations (cblas_saxpy included, so
    /// the rounding is Caffe's): the first channel's scale is k plus the n padded squares times
    /// α/n, each next channel copies the previous one, adds its head and subtracts its tail; then
    /// y = s^-β · x. Images run in parallel, each with its own padded buffer.
    private func acrossChannelsForward(_ bottom: Blob, _ top: Blob) {
        let (num, channels, plane) = (bottom.dim(0), bottom.dim(1), bottom.count(from: 2))
        let x = UnsafePointer(bottom.data), s = scale.pointer
        let (size, prePad, k) = (self.size, self.prePad, self.k)
        let alphaOverSize = alpha / Float(size)
        let imageCount = channels * plane
        KernelThreads.configureBLAS()
        KernelThreads.parallelFor(num, minimumPerChunk: 1) { images in
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: (channels + size - 1) * plane)
            defer { padded.deallocate() }
            padded.update(repeating: 0, count: (channels + size - 1) * plane)
            for n in images {
                let image = x + n * imageCount, scales = s + n * imageCount
                let squares = padded + prePad * plane
                for i in 0..<imageCount { squares[i] = image[i] * image[i] }
                scales.update(repeating: k, count: plane)
                for c in 0..<size { BLAS.axpy(plane, alphaOverSize, padded + c * plane, scales) }
                for c in 1..<max(channels, 1) {
                    let current = scales + c * plane
                    current.update(from: current - plane, count: plane)
                    BLAS.axpy(plane, alphaOverSize, padded + (c + size - 1) * plane, current)
                    BLAS.axpy(plane, -alphaOverSize, padded + (c - 1) * plane, current)
                }
            }
        }
        let count = bottom.count
        Elementwise.power(count, s, -beta, top.data)
        Elementwise.multiply(count, top.data, x, top.data)
    }

    /// CrossChannelBackward_cpu, plane by plane as Caffe: dx = dy·s^-β, then per channel
    /// dx −= (2αβ/n)·x·Σ (dy·y/s) over the window, the ratios summed as a running sum.
    private func acrossChannelsBackward(_ top: Blob, _ bottom: Blob) {
        let (num, channels, plane) = (bottom.dim(0), bottom.dim(1), bottom.count(from: 2))
        let x = UnsafePointer(bottom.data), dx = bottom.diff, y = UnsafePointer(top.data), dy = UnsafePointer(top.diff)
        let s = UnsafePointer(scale.pointer)
        let (size, prePad) = (self.size, self.prePad)
        // lrn_layer.cpp: `Dtype cache_ratio_value = 2. * alpha_ * beta_ / size_;` is computed in double.
        let cacheRatio = Float(2.0 * Double(alpha) * Double(beta) / Double(size))
        let count = bottom.count, imageCount = channels * plane
        Elementwise.power(count, s, -beta, dx)
        Elementwise.multiply(count, dy, dx, dx)
        KernelThreads.configureBLAS()
        KernelThreads.parallelFor(num, minimumPerChunk: 1) { images in
            let paddedCount = (channels + size - 1) * plane
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: paddedCount + 2 * plane)
            defer { padded.deallocate() }
            padded.update(repeating: 0, count: paddedCount)
            let accumulated = padded + paddedCount, product = accumulated + plane
            for n in images {
                let offset = n * imageCount
                let ratios = padded + prePad * plane
                for i in 0..<imageCount { ratios[i] = dy[offset + i] * y[offset + i] }
                for i in 0..<imageCount { ratios[i] = ratios[i] / s[offset + i] }
                accumulated.update(repeating: 0, count: plane)
                for c in 0..<(size - 1) { BLAS.axpy(plane, 1, padded + c * plane, accumulated) }
                for c in 0..<channels {
                    BLAS.axpy(plane, 1, padded + (c + size - 1) * plane, accumulated)
                    let channelOffset = offset + c * plane
                    for i in 0..<plane { product[i] = x[channelOffset + i] * accumulated[i] }
                    BLAS.axpy(plane, -cacheRatio, product, dx + channelOffset)
                    BLAS.axpy(plane, -1, padded + c * plane, accumulated)
                }
            }
        }
    }

    // MARK: WITHIN_CHANNEL

    /// The window of output row (or column) `h` of Caffe's internal AVE pooling (stride 1, pad
    /// prePad), clipped to the image.
    private static func window(_ h: Int, prePad: Int, size: Int, extent: Int) -> Range<Int> {
        let start = h - prePad
        return max(start, 0)..<min(start + size, extent)
    }

    /// WithinChannelForward: x² (Power 2), summed over the window row by row and divided by
    /// the padded window n² (pooling_layer.cpp AVE), then (1 + α·avg)^-β (Power), times x (Eltwise PROD).
    private func withinChannelForward(_ bottom: Blob, _ top: Blob) {
        let planes = bottom.count(from: 0, to: 2), (height, width) = (bottom.dim(2), bottom.dim(3))
        let x = bottom.data, y = top.data, p = pooled.pointer, s = scale.pointer
        let (size, prePad, alpha, beta) = (self.size, self.prePad, self.alpha, self.beta)
        let poolSize = Float(size * size)
        // power_layer.cpp Forward_cpu: with scale·power == 0 the output is the constant 1.
        let constant = alpha * beta == 0
        KernelThreads.parallelFor(planes, minimumPerChunk: 1) { range in
            for plane in range {
                let offset = plane * height * width
                for h in 0..<height {
                    let rows = Self.window(h, prePad: prePad, size: size, extent: height)
                    for w in 0..<width {
                        let columns = Self.window(w, prePad: prePad, size: size, extent: width)
                        var sum: Float = 0
                        for hh in rows {
                            for ww in columns {
                                let v = x[offset + hh * width + ww]
                                sum += v * v
                            }
                        }
                        let i = offset + h * width + w
                        let average = sum / poolSize
                        p[i] = average
                        var denominator: Float = 1
                        if !constant {
                            var base = average
                            if alpha != 1 { base *= alpha }
                            base += 1
                            denominator = -beta == 1 ? base : powf(base, -beta)
                        }
                        s[i] = denominator
                    }
                }
                // Eltwise PROD after the whole plane is pooled, so in-place use reads the inputs.
                for i in offset..<(offset + height * width) { y[i] = x[i] * s[i] }
            }
        }
    }

    /// WithinChannelBackward: the internal layers' backward passes in Caffe's order (Eltwise
    /// PROD, Power, Pooling AVE, Power 2, Split's sum), fused per plane.
    private func withinChannelBackward(_ top: Blob, _ bottom: Blob) {
        let planes = bottom.count(from: 0, to: 2), (height, width) = (bottom.dim(2), bottom.dim(3))
        let x = bottom.data, dx = bottom.diff, dy = top.diff, p = pooled.pointer, s = scale.pointer
        let (size, prePad, alpha, beta) = (self.size, self.prePad, self.alpha, self.beta)
        let poolSize = Float(size * size)
        let power = -beta, diffScale = power * alpha
        KernelThreads.parallelFor(planes, minimumPerChunk: 1) { range in
            let planeCount = height * width
            // d loss / d avg, then d loss / d x² accumulated over the windows.
            let dPooled = UnsafeMutablePointer<Float>.allocate(capacity: planeCount)
            let dSquare = UnsafeMutablePointer<Float>.allocate(capacity: planeCount)
            defer { dPooled.deallocate(); dSquare.deallocate() }
            for plane in range {
                let offset = plane * planeCount
                for j in 0..<planeCount {
                    let i = offset + j
                    let dDenominator = x[i] * dy[i]
                    // power_layer.cpp Backward_cpu with power -β, scale α, shift 1.
                    var d: Float
                    if diffScale == 0 || power == 1 {
                        d = diffScale
                    } else if power == 2 {
                        d = diffScale * alpha * p[i] + diffScale * 1
                    } else {
                        var base = p[i]
                        if alpha != 1 { base *= alpha }
                        base += 1
                        d = s[i] / base
                        if diffScale != 1 { d *= diffScale }
                    }
                    dPooled[j] = diffScale == 0 ? d : dDenominator * d
                }
                dSquare.update(repeating: 0, count: planeCount)
                for h in 0..<height {
                    let rows = Self.window(h, prePad: prePad, size: size, extent: height)
                    for w in 0..<width {
                        let columns = Self.window(w, prePad: prePad, size: size, extent: width)
                        let share = dPooled[h * width + w] / poolSize
                        for hh in rows {
                            for ww in columns { dSquare[hh * width + ww] += share }
                        }
                    }
                }
                for j in 0..<planeCount {
                    let i = offset + j
                    let fromProduct = dy[i] * s[i]
                    let fromSquare = dSquare[j] * (2 * x[i])
                    dx[i] = fromProduct + fromSquare
                }
            }
        }
    }
}
