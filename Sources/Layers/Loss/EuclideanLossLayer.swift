import CaffeProto
import Kernels
import Runtime

/// Caffe's EuclideanLoss (src/caffe/layers/euclidean_loss_layer.cpp): Σ(a - b)² / (2·N); both
/// bottoms get a gradient (force_backward may reach the target too).
final class EuclideanLossLayer: LossLayer {
    override class var caffeType: String { "EuclideanLoss" }
    private let difference = ScratchBuffer<Float>()

    override func allowForceBackward(bottomIndex: Int) -> Bool { true }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        guard bottom[0].count(from: 1) == bottom[1].count(from: 1) else {
            throw error("the inputs must have the same dimension: \(bottom[0].shape) vs \(bottom[1].shape)")
        }
        difference.resize(bottom[0].count)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        let d = difference.pointer
        Elementwise.subtract(count, bottom[0].data, bottom[1].data, d)
        var sum = 0.0
        for i in 0..<count { sum += Double(d[i]) * Double(d[i]) }
        top[0].data[0] = Float(sum) / Float(bottom[0].dim(0)) / 2
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        for i in 0..<2 where propagateDown[i] {
            let sign: Float = i == 0 ? 1 : -1
            let alpha = sign * top[0].diff[0] / Float(bottom[i].dim(0))
            Elementwise.scaled(bottom[i].count, alpha, difference.pointer, bottom[i].diff)
        }
    }
}
