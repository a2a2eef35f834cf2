import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's BatchNorm (src/caffe/layers/batch_norm_layer.cpp). Blobs: running mean SUM, running
/// variance SUM, and the scale factor (blob 2). Quirks kept:
/// - `use_global_stats` defaults to (phase == TEST); an explicit value wins, so a TEST net with
///   `use_global_stats: false` uses batch statistics and updates the stored sums.
/// - Global mode uses blob0/blob2 and blob1/blob2 (0 when blob2 == 0: then y = x / sqrt(eps)).
/// - Batch mode normalises with the biased variance but stores the unbiased one:
///   blob2 = maf·blob2 + 1, blob0 = mean + maf·blob0, blob1 = m/(m-1)·var + maf·blob1.
/// - Global-mode backward is dy / sqrt(var + eps); the layer has no parameter gradients (its
///   three param specs get lr_mult 0).
final class BatchNormLayer: Layer {
    override class var caffeType: String { "BatchNorm" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var useGlobalStats = false
    private var movingAverageFraction: Float = 0.999
    private var eps: Float = 1e-5
    private var channels = 0
    private var num = 0
    private var spatial = 0
    private let mean = ScratchBuffer<Float>()
    private let std = ScratchBuffer<Float>()
    /// The normalised values of the last forward (later in-place layers overwrite the top).
    private let normalized = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.batchNormParam
        movingAverageFraction = p.movingAverageFraction
        useGlobalStats = p.hasUseGlobalStats ? p.useGlobalStats : phase == .test
        channels = bottom[0].numAxes == 1 ? 1 : bottom[0].dim(1)
        eps = p.eps
        if blobs.isEmpty {
            blobs = [try makeBlob([channels], what: "mean"), try makeBlob([channels], what: "variance"), try makeBlob([1], what: "scale factor")]
        } else {
            guard blobs.count == 3 else { throw error("has \(blobs.count) blobs, expected 3 (mean, variance, scale factor)") }
            try expectBlobShape(0, [channels], what: "mean")
            try expectBlobShape(1, [channels], what: "variance")
            guard blobs[2].count == 1 else { throw error("the scale factor blob has shape \(blobs[2].shape), expected [1]") }
        }
        // Caffe masks the statistics from the solver with lr_mult 0 param specs.
        for i in 0..<blobs.count {
            if parameter.param.count == i {
                var spec = Caffe_ParamSpec()
                spec.lrMult = 0
                parameter.param.append(spec)
            } else if parameter.param[i].lrMult != 0 {
                throw error("cannot configure batch normalization statistics as layer parameters (param \(i) has lr_mult \(parameter.param[i].lrMult); it must be 0)")
            }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        if input.numAxes >= 2 {
            guard input.dim(1) == channels else {
                throw error("the bottom has \(input.dim(1)) channels, the statistics \(channels)")
            }
        }
        try reshapeBlob(top[0], input.shape)
        num = input.numAxes == 0 ? 1 : input.dim(0)
        spatial = input.count / max(1, channels * num)
        mean.resize(channels)
        std.resize(channels)
        normalized.resize(input.count)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (num, channels, spatial) = (self.num, self.channels, self.spatial)
        let mean = self.mean.pointer, std = self.std.pointer
        let m = num * spatial
        if useGlobalStats {
            let factor = blobs[2].data[0]
            let scale: Float = factor == 0 ? 0 : 1 / factor
            for c in 0..<channels {
                mean[c] = scale * blobs[0].data[c]
                std[c] = (scale * blobs[1].data[c] + eps).squareRoot()
            }
        } else {
            let variance = self.std.pointer
            KernelThreads.parallelForEach(channels) { c in
                var sum = 0.0
                for n in 0..<num {
                    let row = x + (n * channels + c) * spatial
                    for s in 0..<spatial { sum += Double(row[s]) }
                }
                let mu = Float(sum / Double(m))
                var squares = 0.0
                for n in 0..<num {
                    let row = x + (n * channels + c) * spatial
                    for s in 0..<spatial {
                        let d = Double(row[s] - mu)
                        squares += d * d
                    }
                }
                mean[c] = mu
                variance[c] = Float(squares / Double(m))
            }
            // Running sums (Forward_cpu): factor, mean, and the unbiased variance.
            let maf = movingAverageFraction
            blobs[2].data[0] = blobs[2].data[0] * maf + 1
            let correction: Float = m > 1 ? Float(m) / Float(m - 1) : 1
            for c in 0..<channels {
                blobs[0].data[c] = mean[c] + maf * blobs[0].data[c]
                blobs[1].data[c] = correction * variance[c] + maf * blobs[1].data[c]
                std[c] = (variance[c] + eps).squareRoot()
            }
        }
        let normalized = self.normalized.pointer
        KernelThreads.parallelForEach(num * channels) { plane in
            let c = plane % channels
            let mu = mean[c], sigma = std[c]
            let offset = plane * spatial
            for s in 0..<spatial {
                let v = (x[offset + s] - mu) / sigma
                y[offset + s] = v
                normalized[offset + s] = v
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let dy = top[0].diff, dx = bottom[0].diff
        let (num, channels, spatial) = (self.num, self.channels, self.spatial)
        let std = self.std.pointer
        if useGlobalStats {
            KernelThreads.parallelForEach(num * channels) { plane in
                let sigma = std[plane % channels]
                let offset = plane * spatial
                for s in 0..<spatial { dx[offset + s] = dy[offset + s] / sigma }
            }
            return
        }
        // dx = (dy - mean(dy) - mean(dy·y)·y) / sqrt(var + eps), per channel over N and spatial.
        let y = normalized.pointer
        let m = Double(num * spatial)
        KernelThreads.parallelForEach(channels) { c in
            var sumDy = 0.0, sumDyY = 0.0
            for n in 0..<num {
                let offset = (n * channels + c) * spatial
                for s in 0..<spatial {
                    let g = Double(dy[offset + s])
                    sumDy += g
                    sumDyY += g * Double(y[offset + s])
                }
            }
            let meanDy = Float(sumDy / m), meanDyY = Float(sumDyY / m)
            let sigma = std[c]
            for n in 0..<num {
                let offset = (n * channels + c) * spatial
                for s in 0..<spatial {
                    let i = offset + s
                    dx[i] = (dy[i] - meanDy - meanDyY * y[i]) / sigma
                }
            }
        }
    }
}

extension BatchNormLayer: ChannelAffineLayer {
    /// With stored statistics the layer is y = (x - mean[c]) / std[c] (Forward_cpu's global mode).
    func isChannelAffine(channels: Int) -> Bool {
        useGlobalStats && channels == self.channels && blobs.count == 3
    }

    /// scale = 1/std, shift = -mean/std, with mean and std computed as `forward` computes them.
    func channelAffine(channels: Int) -> (scale: [Double], shift: [Double]) {
        let factor = blobs[2].readOnlyData[0]
        let inverse: Float = factor == 0 ? 0 : 1 / factor
        let sums = blobs[0].readOnlyData, squares = blobs[1].readOnlyData
        var scale = [Double](repeating: 1, count: channels), shift = [Double](repeating: 0, count: channels)
        for c in 0..<channels {
            let mean = inverse * sums[c]
            let std = (inverse * squares[c] + eps).squareRoot()
            scale[c] = 1 / Double(std)
            shift[c] = -Double(mean) / Double(std)
        }
        return (scale, shift)
    }

    var channelAffineStamps: [BlobStamp] { blobs.map(\.dataStamp) }
}
