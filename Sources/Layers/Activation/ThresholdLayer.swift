import CaffeProto
import Kernels
import Runtime

/// Caffe's Threshold: y = 1 if x > threshold else 0 (strictly greater;
/// src/caffe/layers/threshold_layer.cpp). It has no backward pass (Caffe: NOT_IMPLEMENTED).
final class ThresholdLayer: NeuronLayer {
    override class var caffeType: String { "Threshold" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, threshold = parameter.thresholdParam.threshold
        KernelThreads.parallelFor(bottom[0].count, minimumPerChunk: 1 << 15) { range in
            for i in range { y[i] = x[i] > threshold ? 1 : 0 }
        }
    }
}
