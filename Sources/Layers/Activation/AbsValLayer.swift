import CaffeProto
import Kernels
import Runtime

/// Caffe's AbsVal: y = |x|, dx = sign(x)·dy with sign(0) = 0 (src/caffe/layers/absval_layer.cpp).
/// In-place use is refused, as Caffe's LayerSetUp does (the backward needs x).
final class AbsValLayer: NeuronLayer {
    override class var caffeType: String { "AbsVal" }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        // absval_layer.cpp LayerSetUp: CHECK_NE(top[0], bottom[0]).
        guard top[0] !== bottom[0], !top[0].sharesData(with: bottom[0]) else {
            throw error("does not allow in-place computation (the top must be a different blob from the bottom)")
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range { y[i] = abs(x[i]) }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dx = bottom[0].diff, dy = top[0].diff
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                // math_functions.hpp caffe_cpu_sign: (0 < x) - (x < 0), so 0 at x == 0.
                let sign: Float = x[i] > 0 ? 1 : (x[i] < 0 ? -1 : 0)
                dx[i] = sign * dy[i]
            }
        }
    }
}
