import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's BNLL (binomial normal log likelihood, softplus): y = x + log(1 + e^-x) for x > 0,
/// log(1 + e^x) otherwise; dx = dy·e/(e + 1) with e = exp(min(x, 50))
/// (src/caffe/layers/bnll_layer.cpp, kBNLL_THRESHOLD).
final class BNLLLayer: NeuronLayer {
    override class var caffeType: String { "BNLL" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 12) { range in
            for i in range {
                // bnll_layer.cpp: exp of the float, then 1. + … and log in double.
                let v = x[i]
                y[i] = v > 0 ? Float(Double(v) + Foundation.log(1 + Double(expf(-v)))) : Float(Foundation.log(1 + Double(expf(v))))
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dx = bottom[0].diff, dy = top[0].diff
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 12) { range in
            for i in range {
                let e = expf(min(x[i], 50))
                dx[i] = Float(Double(dy[i] * e) / (Double(e) + 1))
            }
        }
    }
}
