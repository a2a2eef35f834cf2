import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's Sigmoid: y = 1 / (1 + exp(-x)), dx = dy · y · (1 - y) (src/caffe/layers/sigmoid_layer.cpp).
final class SigmoidLayer: NeuronLayer {
    override class var caffeType: String { "Sigmoid" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 13) { range in
            for i in range { y[i] = Float(1 / (1 + Foundation.exp(-Double(x[i])))) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                let s = y[i]
                dx[i] = dy[i] * s * (1 - s)
            }
        }
    }
}
