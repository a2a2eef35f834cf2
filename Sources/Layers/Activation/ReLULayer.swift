import CaffeProto
import Kernels
import Runtime

/// Caffe's ReLU with `negative_slope` (src/caffe/layers/relu_layer.cpp). At exactly x == 0 the
/// gradient is negative_slope (the `x <= 0` branch). Works in place.
final class ReLULayer: NeuronLayer {
    override class var caffeType: String { "ReLU" }
    private var slope: Float = 0

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        slope = parameter.reluParam.negativeSlope
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, slope = self.slope
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                let v = x[i]
                y[i] = max(v, 0) + slope * min(v, 0)
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let x = bottom[0].data, dy = top[0].diff, dx = bottom[0].diff, slope = self.slope
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range {
                dx[i] = dy[i] * (x[i] > 0 ? 1 : slope)
            }
        }
    }
}

extension ReLULayer: RectifierLayer {
    var negativeSlope: Float { slope }
}
