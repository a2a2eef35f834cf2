import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's MVN, mean-variance normalization (src/caffe/layers/mvn_layer.cpp), per (item,
/// channel), or per item with `across_channels`: y = x − mean, then with `normalize_variance`
/// (default true) y /= (√var + eps). Quirks kept: eps is added to the standard deviation, not the
/// variance; the top is always 4-D (N, C, H, W) (a (N, C) bottom gives (N, C, 1, 1)); the
/// backward is Caffe's formula (dy − mean(dy) − y·mean(dy·y)) / (√var + eps), exact only for eps 0.
final class MVNLayer: Layer {
    override class var caffeType: String { "MVN" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var rows = 0, dim = 0
    /// √var + eps of every row (used by the backward pass).
    private let deviation = ScratchBuffer<Float>()

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // Blob::LegacyShape: num/channels/height/width need at most 4 axes.
        guard bottom[0].numAxes <= 4 else {
            throw error("the bottom must have at most 4 axes (num, channels, height, width), got shape \(bottom[0].shape)")
        }
        let b = bottom[0]
        try reshapeBlob(top[0], [b.num, b.channels, b.height, b.width])
        rows = parameter.mvnParam.acrossChannels ? b.num : b.num * b.channels
        dim = rows == 0 ? 0 : b.count / rows
        deviation.resize(max(rows, 1))
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, s = deviation.pointer
        let (dim, eps) = (self.dim, parameter.mvnParam.eps)
        let normalize = parameter.mvnParam.normalizeVariance
        let inverseDim = Float(1.0 / Double(dim))
        KernelThreads.parallelFor(rows, minimumPerChunk: max(1, 8192 / max(dim, 1))) { range in
            for r in range {
                let input = x + r * dim, output = y + r * dim
                var sum = 0.0
                for j in 0..<dim { sum += Double(input[j]) }
                let mean = Float(sum) * inverseDim
                for j in 0..<dim { output[j] = input[j] + -mean }
                guard normalize else { continue }
                var squares = 0.0
                for j in 0..<dim { squares += Double(output[j] * output[j]) }
                let variance = Float(squares) * inverseDim
                // mvn_layer.cpp Forward_cpu: powx(variance, 0.5) then add_scalar(eps).
                let std = powf(variance, 0.5) + eps
                s[r] = std
                for j in 0..<dim { output[j] /= std }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff, s = deviation.pointer
        let dim = self.dim
        let normalize = parameter.mvnParam.normalizeVariance
        let inverseDim = Float(1.0 / Double(dim))
        let minusInverseDim = Float(-1.0 / Double(dim))
        KernelThreads.parallelFor(rows, minimumPerChunk: max(1, 8192 / max(dim, 1))) { range in
            for r in range {
                let output = y + r * dim, dOutput = dy + r * dim, dInput = dx + r * dim
                if normalize {
                    var productSum = 0.0, diffSum = 0.0
                    for j in 0..<dim {
                        productSum += Double(output[j] * dOutput[j])
                        diffSum += Double(dOutput[j])
                    }
                    let (m1, m2) = (Float(productSum), Float(diffSum))
                    for j in 0..<dim {
                        let combined = output[j] * m1 + m2
                        dInput[j] = (dOutput[j] + minusInverseDim * combined) / s[r]
                    }
                } else {
                    var diffSum = 0.0
                    for j in 0..<dim { diffSum += Double(dOutput[j]) }
                    let mean = Float(diffSum) * inverseDim
                    for j in 0..<dim { dInput[j] = dOutput[j] + -mean }
                }
            }
        }
    }
}
