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

    /// CrossChannelForward_cpu: a running sum over channels, per pixel: the first channel adds
    /// the n padded squares scaled by α/n, each next channel adds its head and subtracts its tail
    /// (so the float rounding is Caffe's).
    private func acrossChannelsForward(_ bottom: Blob, _ top: Blob) {
        let (num, channels, spatial) = (bottom.dim(0), bottom.dim(1), bottom.count(from: 2))
        let x = bottom.data, y = top.data, s = scale.pointer
        let (size, prePad, k, beta) = (self.size, self.prePad, self.k, self.beta)
        let alphaOverSize = alpha / Float(size)
        KernelThreads.parallelFor(num * spatial, minimumPerChunk: 256) { range in
            for index in range {
                let n = index / spatial, pixel = index % spatial
                let base = n * channels * spatial + pixel
                // The square of padded channel c (channel c - prePad, zero outside).
                func square(_ c: Int) -> Float {
                    let channel = c - prePad
                    guard channel >= 0, channel < channels else { return 0 }
                    let v = x[base + channel * spatial]
                    return v * v
                }
                var running = k
                for c in 0..<size { running += alphaOverSize * square(c) }
                s[base] = running
                for c in 1..<max(channels, 1) {
                    running += alphaOverSize * square(c + size - 1)
                    running += -alphaOverSize * square(c - 1)
                    s[base + c * spatial] = running
                }
                for c in 0..<channels {
                    let i = base + c * spatial
                    y[i] = powf(s[i], -beta) * x[i]
                }
            }
        }
    }

    /// CrossChannelBackward_cpu: dx = dy·s^-β − (2αβ/n)·x·Σ (dy·y/s) over the window, with the
    /// ratios summed as a running sum in Caffe's order.
    private func acrossChannelsBackward(_ top: Blob, _ bottom: Blob) {
        let (num, channels, spatial) = (bottom.dim(0), bottom.dim(1), bottom.count(from: 2))
        let x = bottom.data, dx = bottom.diff, y = top.data, dy = top.diff, s = scale.pointer
        let (size, prePad, beta) = (self.size, self.prePad, self.beta)
        // lrn_layer.cpp: `Dtype cache_ratio_value = 2. * alpha_ * beta_ / size_;` is computed in double.
        let cacheRatio = Float(2.0 * Double(alpha) * Double(beta) / Double(size))
        KernelThreads.parallelFor(num * spatial, minimumPerChunk: 256) { range in
            for index in range {
                let n = index / spatial, pixel = index % spatial
                let base = n * channels * spatial + pixel
                func ratio(_ c: Int) -> Float {
                    let channel = c - prePad
                    guard channel >= 0, channel < channels else { return 0 }
                    let i = base + channel * spatial
                    return (dy[i] * y[i]) / s[i]
                }
                for c in 0..<channels {
                    let i = base + c * spatial
                    dx[i] = dy[i] * powf(s[i], -beta)
                }
                var accumulated: Float = 0
                for c in 0..<(size - 1) { accumulated += ratio(c) }
                for c in 0..<channels {
                    accumulated += ratio(c + size - 1)
                    let i = base + c * spatial
                    dx[i] += -cacheRatio * (x[i] * accumulated)
                    accumulated += -ratio(c)
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
                        y[i] = x[i] * denominator
                    }
                }
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
