import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's ELU: y = max(x, 0) + α·(exp(min(x, 0)) − 1); dx = dy for x > 0, dy·(α + y) for x ≤ 0
/// (src/caffe/layers/elu_layer.cpp; the gradient at exactly 0 is α, from the x ≤ 0 branch).
final class ELULayer: NeuronLayer {
    override class var caffeType: String { "ELU" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, alpha = parameter.eluParam.alpha
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 12) { range in
            for i in range { y[i] = max(x[i], 0) + alpha * (expf(min(x[i], 0)) - 1) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, y = top[0].data, dx = bottom[0].diff, dy = top[0].diff
        let alpha = parameter.eluParam.alpha
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 14) { range in
            for i in range { dx[i] = x[i] > 0 ? dy[i] : dy[i] * (alpha + y[i]) }
        }
    }
}
