import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's TanH: y = tanh(x), dx = dy · (1 - y²) (src/caffe/layers/tanh_layer.cpp).
final class TanHLayer: NeuronLayer {
    override class var caffeType: String { "TanH" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 13) { range in
            for i in range { y[i] = Float(Foundation.tanh(Double(x[i]))) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                let t = y[i]
                dx[i] = dy[i] * (1 - t * t)
            }
        }
    }
}
