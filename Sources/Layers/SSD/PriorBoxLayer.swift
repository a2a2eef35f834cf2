import CaffeProto
import Detection
import Runtime

/// Caffe's PriorBox (src/caffe/layers/prior_box_layer.cpp): the default boxes of one feature
/// map, as a (1, 2, H·W·priors·4) top holding the normalized corners of every prior and then
/// their variances. The boxes are `PriorBoxGenerator`'s (Detection), which keeps Caffe's quirks
/// (sizes truncated to integers, duplicate ratios dropped, float widths with double corners).
///
/// Bottoms: the feature map (only its height and width are read) and the image (only its height
/// and width, and only when neither `img_size` nor `img_h`/`img_w` is given). Values are never
/// read.
final class PriorBoxLayer: Layer {
    override class var caffeType: String { "PriorBox" }
    // Caffe declares `ExactBottomBlobs` (a misspelling Layer never calls), so the count is not
    // checked there: one bottom works when the image size is fixed, extra bottoms are ignored.
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, exactTops: 1) }

    private var generator: PriorBoxGenerator?

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.priorBoxParam
        let settings = PriorBoxSettings(
            minSizes: p.minSize, maxSizes: p.maxSize, aspectRatios: p.aspectRatio, flip: p.flip, clip: p.clip,
            variances: p.variance,
            imageSize: p.hasImgSize ? caffeInt(p.imgSize) : nil,
            imageHeight: p.hasImgH || p.hasImgW ? caffeInt(p.imgH) : nil,
            imageWidth: p.hasImgH || p.hasImgW ? caffeInt(p.imgW) : nil,
            step: p.hasStep ? p.step : nil,
            stepHeight: p.hasStepH || p.hasStepW ? p.stepH : nil,
            stepWidth: p.hasStepH || p.hasStepW ? p.stepW : nil,
            offset: p.offset)
        generator = try detectionStep { try PriorBoxGenerator(settings: settings) }
        if bottom.count < 2 && (generator?.fixedImageHeight ?? 0) == 0 {
            throw error("needs the image as a second bottom unless prior_box_param gives img_size or img_h/img_w")
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard let generator else { throw error("reshape before setup") }
        // Caffe reads width() and height(): the legacy dims 3 and 2 of the feature map.
        let height = bottom[0].height, width = bottom[0].width
        let (cells, overflow1) = height.multipliedReportingOverflow(by: width)
        let (values, overflow2) = cells.multipliedReportingOverflow(by: generator.priorsPerCell * 4)
        guard !overflow1, !overflow2, values > 0, values <= Int(Int32.max) else {
            throw error("a \(height)x\(width) feature map with \(generator.priorsPerCell) priors per cell gives \(overflow1 || overflow2 ? "too many" : "no") prior values (bottom shape \(bottom[0].shape))")
        }
        try reshapeBlob(top[0], [1, 2, values])
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let generator else { throw error("forward before setup") }
        let image = bottom.count > 1 ? bottom[1] : nil
        try detectionStep {
            try generator.generate(layerHeight: bottom[0].height, layerWidth: bottom[0].width,
                                   imageHeight: image?.height ?? 0, imageWidth: image?.width ?? 0, into: top[0].data)
        }
    }

    /// Caffe's Backward_cpu returns without touching the bottom diffs (the priors depend only on
    /// the bottoms' shapes), so a forced backward is not an error.
    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
