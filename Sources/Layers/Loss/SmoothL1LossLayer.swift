import CaffeProto
import Kernels
import Runtime

/// The SSD fork's SmoothL1Loss (src/caffe/layers/smooth_L1_loss_layer.cpp, from Fast R-CNN):
/// `d = prediction - target`, loss `Σ (0.5 d² if |d| < 1 else |d| - 0.5) / num` where `num` is
/// the first axis (the batch), not the element count. There is no sigma (the transition is fixed
/// at 1). The loss top is not multiplied by `loss_weight`; the gradients are:
/// `dprediction = f'(d) · w / num`, `dtarget = -f'(d) · w / num`, `f'(d) = d` if `|d| < 1`
/// else `sign(d)`. Both bottoms may receive gradients (force_backward included).
///
/// The coded third "weights" bottom is refused: in Caffe it can never run, because LossLayer's
/// `ExactNumBottomBlobs() == 2` aborts the setup first.
final class SmoothL1LossLayer: LossLayer {
    override class var caffeType: String { "SmoothL1Loss" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 2, maxBottoms: 3, exactTops: 1) }

    /// `d = b0 - b1` from the forward (Caffe's `diff_`).
    private let difference = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        if bottom.count == 3 {
            throw error("takes 2 bottom blobs (prediction, target), got 3: the third \"weights\" bottom is not supported (Caffe aborts at setup: LossLayer's ExactNumBottomBlobs is 2)")
        }
        try super.layerSetUp(bottom: bottom, top: top)
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        let a = bottom[0], b = bottom[1]
        // SmoothL1Loss checks channels, height and width (legacy dims, which Caffe refuses
        // beyond 4 axes); LossLayer has checked the first axis.
        guard a.numAxes <= 4, b.numAxes <= 4 else {
            throw error("the bottoms must have at most 4 axes (Caffe's legacy num/channels/height/width), got \(a.shape) and \(b.shape)")
        }
        guard a.channels == b.channels, a.height == b.height, a.width == b.width else {
            throw error("the prediction \(a.shape) and target \(b.shape) must have the same channels, height and width")
        }
        difference.resize(a.count)
    }

    /// SmoothL1Loss allows a forced gradient into both bottoms (the target too).
    override func allowForceBackward(bottomIndex: Int) -> Bool { true }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let sum = LossMath.smoothL1(bottom[0].count, bottom[0].data, bottom[1].data, difference: difference.pointer)
        top[0].data[0] = Float(sum / Double(bottom[0].num))
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let count = bottom[0].count
        guard difference.count == count else { throw error("backward without a forward of the same shape") }
        LossMath.smoothL1Derivative(count, difference.pointer)
        for i in 0..<2 where propagateDown[i] {
            let sign: Float = i == 0 ? 1 : -1
            let alpha = sign * top[0].diff[0] / Float(bottom[i].num)
            let d = difference.pointer, dx = bottom[i].diff
            for k in 0..<count { dx[k] = alpha * d[k] }
        }
    }
}
