import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's SoftmaxWithLoss (src/caffe/layers/softmax_loss_layer.cpp): softmax along
/// `softmax_param.axis`, then -log p[label] (p clamped at FLT_MIN) summed over non-ignored
/// positions and divided by the normalizer. The loss top is unweighted; the loss weight (top
/// diff) scales only the gradient; the label gets no gradient.
///
/// The optional second top (the probabilities) is refused: in this Caffe fork it always aborts
/// (SetLossWeights with 2 tops and 1 weight, or the internal Softmax with 2 weights).
final class SoftmaxWithLossLayer: LossLayer {
    override class var caffeType: String { "SoftmaxWithLoss" }

    private var outer = 0, inner = 0, channels = 0
    private var ignoreLabel: Int?
    private var mode: Caffe_LossParameter.NormalizationMode = .valid
    private let probabilities = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try super.layerSetUp(bottom: bottom, top: top)
        ignoreLabel = parameter.lossParam.hasIgnoreLabel ? Int(parameter.lossParam.ignoreLabel) : nil
        mode = normalizationMode
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        let axis = try axisIndex(parameter.softmaxParam.axis, of: bottom[0], parameter: "softmax_param.axis")
        outer = bottom[0].count(from: 0, to: axis)
        inner = bottom[0].count(from: axis + 1)
        channels = bottom[0].shape[axis]
        guard outer * inner == bottom[1].count else {
            throw error("the number of labels must match the number of predictions: with softmax axis \(axis), predictions \(bottom[0].shape) need \(outer * inner) labels, got \(bottom[1].count) (shape \(bottom[1].shape))")
        }
        probabilities.resize(bottom[0].count)
    }

    private func label(_ labels: UnsafePointer<Float>, _ i: Int, _ j: Int) throws -> Int? {
        guard let value = integerLabel(labels[i * inner + j]) else {
            throw error("label \(labels[i * inner + j]) at position \(i * inner + j) is not a class index")
        }
        if let ignoreLabel, value == ignoreLabel { return nil }
        guard value >= 0, value < channels else {
            throw error("label \(labels[i * inner + j]) at position \(i * inner + j) is outside 0..<\(channels)")
        }
        return value
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let p = probabilities.pointer
        SoftmaxLayer.softmax(input: bottom[0].data, output: p, outer: outer, channels: channels, inner: inner)
        let labels = bottom[1].data
        let dim = channels * inner
        var loss = 0.0
        var count = 0
        for i in 0..<outer {
            for j in 0..<inner {
                guard let label = try label(labels, i, j) else { continue }
                loss -= Double(logf(max(p[i * dim + label * inner + j], Float.leastNormalMagnitude)))
                count += 1
            }
        }
        let normalizer = LossLayer.normalizer(mode, outer: outer, inner: inner, validCount: count)
        top[0].data[0] = Float(loss) / normalizer
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[1] { throw error("cannot backpropagate to the label input (bottom 1)") }
        guard propagateDown[0] else { return }
        let dx = bottom[0].diff
        let p = probabilities.pointer
        Elementwise.copy(bottom[0].count, p, dx)
        let labels = bottom[1].data
        let dim = channels * inner
        var count = 0
        for i in 0..<outer {
            for j in 0..<inner {
                if let label = try label(labels, i, j) {
                    dx[i * dim + label * inner + j] -= 1
                    count += 1
                } else {
                    for c in 0..<channels { dx[i * dim + c * inner + j] = 0 }
                }
            }
        }
        let normalizer = LossLayer.normalizer(mode, outer: outer, inner: inner, validCount: count)
        BLAS.scale(bottom[0].count, top[0].diff[0] / normalizer, dx)
    }
}
