import CaffeProto
import Foundation
import Kernels
import Runtime

/// Caffe's Power: y = (shift + scale·x)^power (src/caffe/layers/power_layer.cpp). Quirks kept:
/// with scale·power == 0 the output is the constant shift^power (1 when power is 0) and dx = 0;
/// with shift 0 (and power not 1 or 2) dx = dy·power·y/x, which is NaN at x == 0.
final class PowerLayer: NeuronLayer {
    override class var caffeType: String { "Power" }

    private var power: Float = 1, scale: Float = 1, shift: Float = 0, diffScale: Float = 1

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.powerParam
        (power, scale, shift) = (p.power, p.scale, p.shift)
        diffScale = power * scale
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        let y = top[0].data
        if diffScale == 0 {
            let value: Float = power == 0 ? 1 : powf(shift, power)
            y.update(repeating: value, count: count)
            return
        }
        let x = bottom[0].data
        let (power, scale, shift) = (self.power, self.scale, self.shift)
        KernelThreads.parallelFor(count, minimumPerChunk: 1 << 13) { range in
            for i in range {
                var v = x[i]
                if scale != 1 { v *= scale }
                if shift != 0 { v += shift }
                if power != 1 { v = powf(v, power) }
                y[i] = v
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let count = bottom[0].count
        let dx = bottom[0].diff, dy = top[0].diff
        if diffScale == 0 || power == 1 {
            dx.update(repeating: diffScale, count: count)
        } else {
            let x = bottom[0].data, y = top[0].data
            let (power, scale, shift, diffScale) = (self.power, self.scale, self.shift, self.diffScale)
            KernelThreads.parallelFor(count, minimumPerChunk: 1 << 14) { range in
                for i in range {
                    if power == 2 {
                        // d/dx (shift + scale x)^2 = 2 scale (shift + scale x), computed as Caffe does.
                        var d = diffScale * scale * x[i]
                        if shift != 0 { d += diffScale * shift }
                        dx[i] = d
                    } else if shift == 0 {
                        dx[i] = (y[i] / x[i]) * power
                    } else {
                        var base = x[i]
                        if scale != 1 { base *= scale }
                        if shift != 0 { base += shift }
                        var d = y[i] / base
                        if diffScale != 1 { d *= diffScale }
                        dx[i] = d
                    }
                }
            }
        }
        if diffScale != 0 {
            Elementwise.multiply(count, dy, dx, dx)
        }
    }
}
