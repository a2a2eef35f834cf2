import CaffeProto
import Kernels
import Runtime

/// Caffe's HingeLoss (src/caffe/layers/hinge_loss_layer.cpp), one-vs-all: with m_j = max(0, 1 +
/// x_j) for j ≠ label and max(0, 1 − x_label), the loss is Σ m / N (L1, default) or Σ m² / N (L2),
/// N = the first axis. Gradient: ±[m > 0]·w/N (L1) or ±2m·w/N (L2), negative for the label.
/// Caffe keeps the margins in the bottom diff between forward and backward; a buffer here.
final class HingeLossLayer: LossLayer {
    override class var caffeType: String { "HingeLoss" }

    private var margins: [Float] = []

    /// The label of every item, checked (Caffe indexes without a check).
    private func labels(_ bottom: [Blob]) throws -> [Int] {
        let num = bottom[0].num, dim = num == 0 ? 0 : bottom[0].count / num
        return try (0..<num).map { i in
            guard let label = integerLabel(bottom[1].data[i]), label >= 0, label < dim else {
                throw error("label \(i) is \(bottom[1].data[i]), expected an integer in 0..<\(dim)")
            }
            return label
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let num = bottom[0].num, count = bottom[0].count
        let dim = num == 0 ? 0 : count / num
        let x = bottom[0].data
        margins = Array(UnsafeBufferPointer(start: x, count: count))
        for (i, label) in try labels(bottom).enumerated() { margins[i * dim + label] *= -1 }
        for j in 0..<count { margins[j] = max(0, 1 + margins[j]) }
        // hinge_loss_layer.cpp: caffe_cpu_asum (L1) or caffe_cpu_dot (L2) over the margins (BLAS.asum/dot).
        let sum = margins.withUnsafeBufferPointer { m -> Float in
            guard let base = m.baseAddress else { return 0 }
            return parameter.hingeLossParam.norm == .l2 ? BLAS.dot(count, base, base) : BLAS.asum(count, base)
        }
        top[0].data[0] = sum / Float(num)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] { throw error("cannot backpropagate to label inputs") }
        guard propagateDown[0] else { return }
        let num = bottom[0].num, count = bottom[0].count
        let dim = num == 0 ? 0 : count / num
        let dx = bottom[0].diff
        for j in 0..<count { dx[j] = margins[j] }
        for (i, label) in try labels(bottom).enumerated() { dx[i * dim + label] *= -1 }
        let weight = top[0].diff[0]
        if parameter.hingeLossParam.norm == .l2 {
            let scale = weight * 2 / Float(num)
            for j in 0..<count { dx[j] *= scale }
        } else {
            let scale = weight / Float(num)
            for j in 0..<count { dx[j] = (dx[j] > 0 ? 1 : (dx[j] < 0 ? -1 : 0)) * scale }
        }
    }
}
