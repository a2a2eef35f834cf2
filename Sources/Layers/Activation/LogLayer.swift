import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's Log: y = log_base(shift + scale·x), natural log when `base` is -1 (the default)
/// (src/caffe/layers/log_layer.cpp). Computed as Caffe does: ln(shift + scale·x)·(1/ln(base));
/// dx = dy·(scale/ln(base))/(shift + scale·x), the reciprocal taken with powf(v, -1).
final class LogLayer: NeuronLayer {
    override class var caffeType: String { "Log" }

    private var baseScale: Float = 1, inputScale: Float = 1, inputShift: Float = 0, backwardScale: Float = 1

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.logParam
        // log_layer.cpp LayerSetUp: CHECK_GT(base, 0) unless base is -1; log(base) and
        // 1/log(base) must be finite (so base 1 is refused).
        guard p.base == -1 || p.base > 0 else {
            throw error("log_param.base is \(p.base), expected -1 (for e) or a strictly positive number")
        }
        let logBase: Float = p.base == -1 ? 1 : logf(p.base)
        baseScale = 1 / logBase
        guard logBase.isFinite, baseScale.isFinite else {
            throw error("log_param.base \(p.base) gives log(base) = \(logBase), whose inverse is not finite")
        }
        (inputScale, inputShift) = (p.scale, p.shift)
        backwardScale = inputScale / logBase
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data
        let (scale, shift, baseScale) = (inputScale, inputShift, self.baseScale)
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 13) { range in
            for i in range {
                var v = x[i]
                if scale != 1 { v *= scale }
                if shift != 0 { v += shift }
                v = logf(v)
                if baseScale != 1 { v *= baseScale }
                y[i] = v
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dy = top[0].diff, dx = bottom[0].diff
        let (scale, shift, backwardScale) = (inputScale, inputShift, self.backwardScale)
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 13) { range in
            for i in range {
                var v = x[i]
                if scale != 1 { v *= scale }
                if shift != 0 { v += shift }
                v = powf(v, -1)
                if backwardScale != 1 { v *= backwardScale }
                dx[i] = dy[i] * v
            }
        }
    }
}
