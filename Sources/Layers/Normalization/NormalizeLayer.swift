import CaffeProto
import Foundation
import Kernels
import Runtime

/// SSD's Normalize (src/caffe/layers/normalize_layer.cpp): L2 normalisation with a learned scale,
/// norm = sqrt(Σx² + eps) over channels per position (or over the whole sample with
/// `across_spatial`), y = x / norm · scale[c] (one scale with `channel_shared`).
///
/// Quirk kept (Backward_cpu): dx = scale[c] · (dy - x · Σ_k(x_k·dy_k) / norm²) / norm, i.e. the
/// channel scale multiplies the whole bracket; this is the true gradient only when all scales are
/// equal. The net option `LayerOptions.exactNormalizeGradient` (off by default) gives the exact
/// gradient dx = scale[c]·dy/norm - x·Σ_k(scale[k]·x_k·dy_k)/norm³ instead. Scale diff = Σ(y·dy)/scale.
final class NormalizeLayer: Layer {
    override class var caffeType: String { "Normalize" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var acrossSpatial = true
    private var channelShared = true
    private var eps: Float = 1e-10
    private var num = 0, channels = 0, spatial = 0
    private let norms = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes >= 2 else { throw error("the bottom must have at least 2 axes, got \(bottom[0].shape)") }
        guard bottom[0].numAxes <= 4 else { throw error("the bottom must have at most 4 axes (N, C, H, W), got \(bottom[0].shape)") }
        let p = parameter.normParam
        acrossSpatial = p.acrossSpatial
        channelShared = p.channelShared
        eps = p.eps
        let channels = bottom[0].channels
        if blobs.isEmpty {
            let scale = try makeBlob(channelShared ? [] : [channels], what: "scale")
            try fill(scale, with: p.hasScaleFiller ? p.scaleFiller : constantFiller(1), what: "scale_filler")
            blobs = [scale]
        }
        guard blobs.count == 1 else { throw error("has \(blobs.count) blobs, expected 1 (the scale)") }
        if channelShared {
            guard blobs[0].count == 1 else { throw error("channel_shared needs a scale of 1 value, the blob has \(blobs[0].count)") }
        } else {
            guard blobs[0].count == channels else { throw error("the scale has \(blobs[0].count) values for \(channels) channels") }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let input = bottom[0]
        guard input.numAxes >= 2, input.numAxes <= 4 else { throw error("the bottom must have 2 to 4 axes, got \(input.shape)") }
        guard input.channels == (channelShared ? input.channels : blobs[0].count) else {
            throw error("the bottom has \(input.channels) channels, the scale \(blobs[0].count)")
        }
        try reshapeBlob(top[0], input.shape)
        num = input.num
        channels = input.channels
        spatial = input.height * input.width
        norms.resize(acrossSpatial ? num : num * spatial)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (channels, spatial, eps) = (self.channels, self.spatial, Double(self.eps))
        let dim = channels * spatial
        let norms = self.norms.pointer
        let scales = blobs[0].data, shared = channelShared
        for n in 0..<num {
            let xn = x + n * dim, yn = y + n * dim
            if acrossSpatial {
                var sum = 0.0
                for i in 0..<dim { sum += Double(xn[i]) * Double(xn[i]) }
                let norm = Float((sum + eps).squareRoot())
                norms[n] = norm
                let inverse = Float(1.0 / Double(norm))
                for c in 0..<channels {
                    let factor = shared ? scales[0] : scales[c]
                    for s in 0..<spatial { yn[c * spatial + s] = xn[c * spatial + s] * inverse * factor }
                }
            } else {
                let nn = norms + n * spatial
                KernelThreads.parallelFor(spatial, minimumPerChunk: max(1, 2048 / max(1, channels))) { range in
                    for s in range {
                        var sum = 0.0
                        for c in 0..<channels { let v = Double(xn[c * spatial + s]); sum += v * v }
                        let norm = Float((sum + eps).squareRoot())
                        nn[s] = norm
                        for c in 0..<channels {
                            let factor = shared ? scales[0] : scales[c]
                            yn[c * spatial + s] = xn[c * spatial + s] / norm * factor
                        }
                    }
                }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, dy = top[0].diff, dx = bottom[0].diff
        let (channels, spatial) = (self.channels, self.spatial)
        let dim = channels * spatial
        let norms = self.norms.pointer
        let scales = blobs[0].data, shared = channelShared
        if parameterPropagateDown[0] {
            let scaleDiff = blobs[0].diff
            if shared {
                var sum = 0.0
                for i in 0..<(num * dim) { sum += Double(y[i]) * Double(dy[i]) }
                scaleDiff[0] += Float(sum) / scales[0]
            } else {
                for c in 0..<channels {
                    var total: Float = 0
                    for n in 0..<num {
                        var sum = 0.0
                        let offset = n * dim + c * spatial
                        for s in 0..<spatial { sum += Double(y[offset + s]) * Double(dy[offset + s]) }
                        // Caffe divides each sample's sum by the scale before adding it up.
                        total += Float(sum) / scales[c]
                    }
                    scaleDiff[c] += total
                }
            }
        }
        guard propagateDown[0] else { return }
        let analytic = options.exactNormalizeGradient
        for n in 0..<num {
            let xn = x + n * dim, dyn = dy + n * dim, dxn = dx + n * dim
            if acrossSpatial {
                let norm = Double(norms[n])
                var dot = 0.0, weightedDot = 0.0
                for c in 0..<channels {
                    let factor = Double(shared ? scales[0] : scales[c])
                    for s in 0..<spatial {
                        let i = c * spatial + s
                        dot += Double(xn[i]) * Double(dyn[i])
                        weightedDot += factor * Double(xn[i]) * Double(dyn[i])
                    }
                }
                for c in 0..<channels {
                    let factor = Double(shared ? scales[0] : scales[c])
                    for s in 0..<spatial {
                        let i = c * spatial + s
                        if analytic {
                            dxn[i] = Float(factor * Double(dyn[i]) / norm - Double(xn[i]) * weightedDot / (norm * norm * norm))
                        } else {
                            dxn[i] = Float(factor * (Double(dyn[i]) - Double(xn[i]) * dot / (norm * norm)) / norm)
                        }
                    }
                }
            } else {
                let nn = norms + n * spatial
                KernelThreads.parallelFor(spatial, minimumPerChunk: max(1, 2048 / max(1, channels))) { range in
                    for s in range {
                        let norm = Double(nn[s])
                        var dot = 0.0, weightedDot = 0.0
                        for c in 0..<channels {
                            let i = c * spatial + s
                            let product = Double(xn[i]) * Double(dyn[i])
                            dot += product
                            weightedDot += Double(shared ? scales[0] : scales[c]) * product
                        }
                        for c in 0..<channels {
                            let i = c * spatial + s
                            let factor = Double(shared ? scales[0] : scales[c])
                            if analytic {
                                dxn[i] = Float(factor * Double(dyn[i]) / norm - Double(xn[i]) * weightedDot / (norm * norm * norm))
                            } else {
                                dxn[i] = Float(factor * (Double(dyn[i]) - Double(xn[i]) * dot / (norm * norm)) / norm)
                            }
                        }
                    }
                }
            }
        }
    }
}
