import CaffeProto
import Kernels
import Runtime

/// Caffe's Dropout (src/caffe/layers/dropout_layer.cpp), inverted dropout: in TRAIN each value is
/// kept with probability 1 - ratio and scaled by 1/(1 - ratio) (computed as Caffe, in double then
/// float); the mask is reused by the backward pass. In TEST it is the identity.
final class DropoutLayer: Layer {
    override class var caffeType: String { "Dropout" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var threshold: Float = 0.5
    private var scale: Float = 2
    private let mask = ScratchBuffer<UInt8>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        threshold = parameter.dropoutParam.dropoutRatio
        guard threshold >= 0, threshold < 1 else {
            throw error("dropout_ratio must be in [0, 1), got \(threshold)")
        }
        scale = Float(1.0 / (1.0 - Double(threshold)))
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try reshapeBlob(top[0], bottom[0].shape)
        mask.resize(bottom[0].count)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        let x = bottom[0].data, y = top[0].data
        guard phase == .train else {
            Elementwise.copy(count, x, y)
            return
        }
        let keep = 1.0 - Double(threshold)
        let m = mask.pointer
        for i in 0..<count { m[i] = random.bernoulli(keep) ? 1 : 0 }
        let scale = self.scale
        for i in 0..<count { y[i] = x[i] * Float(m[i]) * scale }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0] else { return }
        let count = bottom[0].count
        let dy = top[0].diff, dx = bottom[0].diff
        guard phase == .train else {
            Elementwise.copy(count, dy, dx)
            return
        }
        let m = mask.pointer
        let scale = self.scale
        for i in 0..<count { dx[i] = dy[i] * Float(m[i]) * scale }
    }
}
