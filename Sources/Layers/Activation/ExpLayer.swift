import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's Exp: y = base^(shift + scale·x), base e when `base` is -1 (the default)
/// (src/caffe/layers/exp_layer.cpp). Computed as Caffe does: exp(inner·x)·outer with
/// inner = ln(base)·scale and outer = base^shift (1 when shift is 0); dx = dy·y·inner.
final class ExpLayer: NeuronLayer {
    override class var caffeType: String { "Exp" }

    private var innerScale: Float = 1, outerScale: Float = 1

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.expParam
        // exp_layer.cpp LayerSetUp: CHECK_GT(base, 0) unless base is -1, and a finite log(base).
        guard p.base == -1 || p.base > 0 else {
            throw error("exp_param.base is \(p.base), expected -1 (for e) or a strictly positive number")
        }
        let logBase: Float = p.base == -1 ? 1 : logf(p.base)
        guard logBase.isFinite else { throw error("exp_param.base \(p.base) has no finite logarithm") }
        innerScale = logBase * p.scale
        outerScale = p.shift == 0 ? 1 : (p.base != -1 ? powf(p.base, p.shift) : expf(p.shift))
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (inner, outer) = (innerScale, outerScale)
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 13) { range in
            for i in range {
                var v = inner == 1 ? expf(x[i]) : expf(inner * x[i])
                if outer != 1 { v *= outer }
                y[i] = v
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let y = top[0].data, dy = top[0].diff, dx = bottom[0].diff, inner = innerScale
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                var d = y[i] * dy[i]
                if inner != 1 { d *= inner }
                dx[i] = d
            }
        }
    }
}
