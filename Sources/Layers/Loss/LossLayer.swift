import CaffeProto
import Runtime

/// Base of Caffe's loss layers (src/caffe/layers/loss_layer.cpp): two bottoms (predictions and
/// labels/targets) with the same first dimension, a scalar top 0 with loss_weight 1 unless given,
/// and no forced gradient into the label (bottom 1).
class LossLayer: Layer {
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 2, exactTops: 1) }

    override func allowForceBackward(bottomIndex: Int) -> Bool { bottomIndex != 1 }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        if parameter.lossWeight.isEmpty { parameter.lossWeight = [1] }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].dim(0) == bottom[1].dim(0) else {
            throw error("the data and label must have the same first dimension: \(bottom[0].shape) vs \(bottom[1].shape)")
        }
        try reshapeBlob(top[0], [])
    }

    /// Caffe's `LossLayer::GetNormalizer`: FULL = outer·inner, VALID = the valid count (outer·inner
    /// when -1), BATCH_SIZE = outer, NONE = 1; never below 1.
    static func normalizer(_ mode: Caffe_LossParameter.NormalizationMode, outer: Int, inner: Int, validCount: Int) -> Float {
        let value: Float
        switch mode {
        case .full: value = Float(outer * inner)
        case .valid: value = validCount == -1 ? Float(outer * inner) : Float(validCount)
        case .batchSize: value = Float(outer)
        case .none: value = 1
        }
        return max(1, value)
    }

    /// The normalization mode of `loss_param`: legacy `normalize` decides when `normalization` is
    /// absent (true = VALID, false = BATCH_SIZE).
    var normalizationMode: Caffe_LossParameter.NormalizationMode {
        let p = parameter.lossParam
        if !p.hasNormalization && p.hasNormalize {
            return p.normalize ? .valid : .batchSize
        }
        return p.normalization
    }
}
