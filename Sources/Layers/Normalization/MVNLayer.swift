import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's MVN, mean-variance normalization (src/caffe/layers/mvn_layer.cpp), per (item,
/// channel), or per item with `across_channels`: y = x − mean, then with `normalize_variance`
/// (default true) y /= (√var + eps). Quirks kept: eps is added to the standard deviation, not the
/// variance; the top is always 4-D (N, C, H, W) (a (N, C) bottom gives (N, C, 1, 1)); the
/// backward is Caffe's formula (dy − mean(dy) − y·mean(dy·y)) / (√var + eps), exact only for eps 0.
/// The row sums are cblas_sgemv products with a ones vector, as Caffe's, so the rounding is its.
final class MVNLayer: Layer {
    override class var caffeType: String { "MVN" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var rows = 0, dim = 0
    /// Per row: the mean, then (normalizing) √var + eps, used by the backward pass.
    private let mean = ScratchBuffer<Float>()
    private let deviation = ScratchBuffer<Float>()
    private let ones = ScratchBuffer<Float>()
    /// Element-wise scratch (squares, products).
    private let temporary = ScratchBuffer<Float>()

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // Blob::LegacyShape: num/channels/height/width need at most 4 axes.
        guard bottom[0].numAxes <= 4 else {
            throw error("the bottom must have at most 4 axes (num, channels, height, width), got shape \(bottom[0].shape)")
        }
        let b = bottom[0]
        try reshapeBlob(top[0], [b.num, b.channels, b.height, b.width])
        rows = parameter.mvnParam.acrossChannels ? b.num : b.num * b.channels
        dim = rows == 0 ? 0 : b.count / rows
        mean.resize(max(rows, 1))
        deviation.resize(max(rows, 1))
        ones.resize(max(dim, 1))
        ones.pointer.update(repeating: 1, count: max(dim, 1))
        temporary.resize(max(b.count, 1))
    }

    /// y[r] = alpha · Σ_j a[r, j] (Caffe's caffe_cpu_gemv with the sum multiplier).
    private func rowSums(_ a: UnsafePointer<Float>, alpha: Float, into y: UnsafeMutablePointer<Float>) {
        BLAS.gemv(.none, m: rows, n: dim, alpha: alpha, a: a, x: ones.pointer, beta: 0, y: y)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard rows > 0, dim > 0 else { return }
        let x = bottom[0].data, y = top[0].data, m = mean.pointer, s = deviation.pointer, t = temporary.pointer
        let (rows, dim, eps) = (self.rows, self.dim, parameter.mvnParam.eps)
        // mvn_layer.cpp: `1. / dim` is a double turned into the float alpha.
        let inverseDim = Float(1.0 / Double(dim))
        rowSums(x, alpha: inverseDim, into: m)
        for r in 0..<rows {
            let negative = -m[r]
            for j in 0..<dim { y[r * dim + j] = x[r * dim + j] + negative }
        }
        guard parameter.mvnParam.normalizeVariance else { return }
        let count = rows * dim
        for i in 0..<count { t[i] = powf(y[i], 2) }
        rowSums(t, alpha: inverseDim, into: s)
        for r in 0..<rows { s[r] = powf(s[r], 0.5) + eps }
        for r in 0..<rows {
            let std = s[r]
            for j in 0..<dim { y[r * dim + j] = y[r * dim + j] / std }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0], rows > 0, dim > 0 else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff, s = deviation.pointer
        let m = mean.pointer, t = temporary.pointer
        let (rows, dim) = (self.rows, self.dim)
        if parameter.mvnParam.normalizeVariance {
            let count = rows * dim
            // Caffe: sums of y·dy, times y, plus the sums of dy, then dy − (1/dim)·that, / (√var + eps).
            for i in 0..<count { t[i] = y[i] * dy[i] }
            rowSums(t, alpha: 1, into: m)
            for r in 0..<rows {
                for j in 0..<dim { t[r * dim + j] = y[r * dim + j] * m[r] }
            }
            rowSums(dy, alpha: 1, into: m)
            for r in 0..<rows {
                for j in 0..<dim { t[r * dim + j] = m[r] + t[r * dim + j] }
            }
            // caffe_cpu_axpby(1, top_diff, -1/dim, bottom_diff).
            BLAS.axpby(count, 1, dy, Float(-1.0 / Double(dim)), t)
            for r in 0..<rows {
                let std = s[r]
                for j in 0..<dim { dx[r * dim + j] = t[r * dim + j] / std }
            }
        } else {
            rowSums(dy, alpha: Float(1.0 / Double(dim)), into: m)
            for r in 0..<rows {
                let negative = -m[r]
                for j in 0..<dim { dx[r * dim + j] = dy[r * dim + j] + negative }
            }
        }
    }
}
