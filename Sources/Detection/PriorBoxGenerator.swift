import Foundation

/// The parameters of a PriorBox layer (`PriorBoxParameter`); optionals are the fields' `has_`.
public struct PriorBoxSettings: Equatable, Sendable {
    public var minSizes: [Float]
    public var maxSizes: [Float]
    public var aspectRatios: [Float]
    public var flip: Bool
    public var clip: Bool
    public var variances: [Float]
    public var imageSize: Int?
    public var imageHeight: Int?
    public var imageWidth: Int?
    public var step: Float?
    public var stepHeight: Float?
    public var stepWidth: Float?
    public var offset: Float

    /// Defaults are caffe.proto's (flip true, clip false, offset 0.5, variance 0.1 when none).
    public init(minSizes: [Float], maxSizes: [Float] = [], aspectRatios: [Float] = [], flip: Bool = true,
                clip: Bool = false, variances: [Float] = [], imageSize: Int? = nil, imageHeight: Int? = nil,
                imageWidth: Int? = nil, step: Float? = nil, stepHeight: Float? = nil, stepWidth: Float? = nil,
                offset: Float = 0.5) {
        self.minSizes = minSizes
        self.maxSizes = maxSizes
        self.aspectRatios = aspectRatios
        self.flip = flip
        self.clip = clip
        self.variances = variances
        self.imageSize = imageSize
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
        self.step = step
        self.stepHeight = stepHeight
        self.stepWidth = stepWidth
        self.offset = offset
    }
}

/// `PriorBoxLayer` as a value: the prior boxes of one feature map.
///
/// Quirks kept (src/caffe/layers/prior_box_layer.cpp):
/// - min and max sizes are truncated to integers before use (`int min_size_ = ...`).
/// - Aspect ratios start with 1; a ratio within 1e-6 of one already present is dropped (also a
///   ratio equal to an earlier flipped `1/r`); with `flip` each new `r` is followed by the
///   float of `1./r`.
/// - Per cell and per min size: the min box, the `sqrt(min * max)` box (if max sizes), then the
///   other ratios in stored order. Widths are float (`min * sqrtf(ar)`), the corners are
///   computed in double and stored as float; the cell centre is `(w + offset) * step` in float,
///   with `step = img / layer` as a float unless given.
/// - `clip` clamps every coordinate to `[0, 1]` after all boxes are computed.
public struct PriorBoxGenerator: Equatable, Sendable {
    public let settings: PriorBoxSettings
    /// The truncated sizes.
    public let minSizes: [Int]
    public let maxSizes: [Int]
    /// The aspect ratios after de-duplication and flipping, 1 first.
    public let aspectRatios: [Float]
    /// Priors per feature-map cell.
    public let priorsPerCell: Int
    /// One or four variances.
    public let variances: [Float]
    /// `img_h_`, `img_w_`: 0 when the image size comes from the second bottom.
    public let fixedImageHeight: Int
    public let fixedImageWidth: Int
    /// `step_h_`, `step_w_`: 0 when the step is derived from the sizes.
    public let fixedStepHeight: Float
    public let fixedStepWidth: Float

    /// Validates the settings as LayerSetUp does; each Caffe CHECK is an error here.
    public init(settings: PriorBoxSettings) throws {
        guard !settings.minSizes.isEmpty else { throw DetectionError("PriorBox: must provide min_size") }
        var minSizes: [Int] = []
        for size in settings.minSizes {
            guard size > 0 else { throw DetectionError("PriorBox: min_size \(size) must be positive") }
            guard size < 2_147_483_648 else { throw DetectionError("PriorBox: min_size \(size) is too large") }
            minSizes.append(Int(size))
        }
        var ratios: [Float] = [1]
        for ar in settings.aspectRatios {
            // fabs(float - float) compared with the double 1e-6.
            if ratios.contains(where: { Double(abs(ar - $0)) < 1e-6 }) { continue }
            ratios.append(ar)
            if settings.flip { ratios.append(Float(1.0 / Double(ar))) }
        }
        var priors = ratios.count * minSizes.count
        var maxSizes: [Int] = []
        if !settings.maxSizes.isEmpty {
            guard settings.maxSizes.count == settings.minSizes.count else {
                throw DetectionError("PriorBox: \(settings.maxSizes.count) max_size values for \(settings.minSizes.count) min_size values, expected as many")
            }
            for (i, size) in settings.maxSizes.enumerated() {
                guard size > settings.minSizes[i] else {
                    throw DetectionError("PriorBox: max_size \(size) must be greater than min_size \(settings.minSizes[i])")
                }
                guard size < 2_147_483_648 else { throw DetectionError("PriorBox: max_size \(size) is too large") }
                maxSizes.append(Int(size))
                priors += 1
            }
        }
        var variances: [Float]
        if settings.variances.count > 1 {
            guard settings.variances.count == 4 else {
                throw DetectionError("PriorBox: \(settings.variances.count) variance values, expected 1 or 4")
            }
            variances = settings.variances
        } else if settings.variances.count == 1 {
            variances = settings.variances
        } else {
            variances = [0.1]
        }
        for v in variances where !(v > 0) { throw DetectionError("PriorBox: variance \(v) must be positive") }

        var imgH = 0, imgW = 0
        if settings.imageHeight != nil || settings.imageWidth != nil {
            guard settings.imageSize == nil else {
                throw DetectionError("PriorBox: either img_size or img_h/img_w should be specified; not both")
            }
            imgH = settings.imageHeight ?? 0
            imgW = settings.imageWidth ?? 0
            guard imgH > 0 else { throw DetectionError("PriorBox: img_h is \(imgH), expected > 0") }
            guard imgW > 0 else { throw DetectionError("PriorBox: img_w is \(imgW), expected > 0") }
        } else if let size = settings.imageSize {
            guard size > 0 else { throw DetectionError("PriorBox: img_size is \(size), expected > 0") }
            imgH = size
            imgW = size
        }
        var stepH: Float = 0, stepW: Float = 0
        if settings.stepHeight != nil || settings.stepWidth != nil {
            guard settings.step == nil else {
                throw DetectionError("PriorBox: either step or step_h/step_w should be specified; not both")
            }
            stepH = settings.stepHeight ?? 0
            stepW = settings.stepWidth ?? 0
            guard stepH > 0 else { throw DetectionError("PriorBox: step_h is \(stepH), expected > 0") }
            guard stepW > 0 else { throw DetectionError("PriorBox: step_w is \(stepW), expected > 0") }
        } else if let step = settings.step {
            guard step > 0 else { throw DetectionError("PriorBox: step is \(step), expected > 0") }
            stepH = step
            stepW = step
        }
        self.settings = settings
        self.minSizes = minSizes
        self.maxSizes = maxSizes
        self.aspectRatios = ratios
        self.priorsPerCell = priors
        self.variances = variances
        self.fixedImageHeight = imgH
        self.fixedImageWidth = imgW
        self.fixedStepHeight = stepH
        self.fixedStepWidth = stepW
    }

    /// Values in the top blob (1, 2, layerHeight * layerWidth * priorsPerCell * 4).
    public func outputCount(layerHeight: Int, layerWidth: Int) -> Int {
        2 * layerHeight * layerWidth * priorsPerCell * 4
    }

    /// The top blob: boxes `[xmin, ymin, xmax, ymax]` per prior, then the variances.
    /// `imageHeight`/`imageWidth` are the second bottom's, used unless img_size/img_h/img_w
    /// are set. Throws for an empty feature map (Caffe: CHECK in Reshape) or image.
    public func generate(layerHeight: Int, layerWidth: Int, imageHeight: Int, imageWidth: Int) throws -> [Float] {
        let count = outputCount(layerHeight: layerHeight, layerWidth: layerWidth)
        guard layerHeight > 0, layerWidth > 0 else {
            throw DetectionError("PriorBox: feature map is \(layerHeight)x\(layerWidth), expected a non-empty map")
        }
        var out = [Float](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            try generate(layerHeight: layerHeight, layerWidth: layerWidth, imageHeight: imageHeight,
                         imageWidth: imageWidth, into: base)
        }
        return out
    }

    /// Writes the top blob into `top`, which must hold `outputCount(...)` floats.
    public func generate(layerHeight: Int, layerWidth: Int, imageHeight: Int, imageWidth: Int,
                         into top: UnsafeMutablePointer<Float>) throws {
        var imgW = fixedImageWidth, imgH = fixedImageHeight
        if imgH == 0 || imgW == 0 {
            imgW = imageWidth
            imgH = imageHeight
        }
        guard imgW > 0, imgH > 0 else {
            throw DetectionError("PriorBox: image is \(imgH)x\(imgW), expected a positive size")
        }
        var stepW = fixedStepWidth, stepH = fixedStepHeight
        if stepW == 0 || stepH == 0 {
            stepW = Float(imgW) / Float(layerWidth)
            stepH = Float(imgH) / Float(layerHeight)
        }
        let dim = layerHeight * layerWidth * priorsPerCell * 4
        let dImgW = Double(imgW), dImgH = Double(imgH)
        var idx = 0
        @inline(__always) func put(_ cx: Float, _ cy: Float, _ bw: Float, _ bh: Float) {
            top[idx] = Float((Double(cx) - Double(bw) / 2) / dImgW)
            top[idx + 1] = Float((Double(cy) - Double(bh) / 2) / dImgH)
            top[idx + 2] = Float((Double(cx) + Double(bw) / 2) / dImgW)
            top[idx + 3] = Float((Double(cy) + Double(bh) / 2) / dImgH)
            idx += 4
        }
        for h in 0..<layerHeight {
            for w in 0..<layerWidth {
                let cx = (Float(w) + settings.offset) * stepW
                let cy = (Float(h) + settings.offset) * stepH
                for s in 0..<minSizes.count {
                    let minSize = minSizes[s]
                    put(cx, cy, Float(minSize), Float(minSize))
                    if !maxSizes.isEmpty {
                        let side = Float(Double(minSize * maxSizes[s]).squareRoot())
                        put(cx, cy, side, side)
                    }
                    for ar in aspectRatios where !(abs(Double(ar) - 1) < 1e-6) {
                        let root = ar.squareRoot()
                        put(cx, cy, Float(minSize) * root, Float(minSize) / root)
                    }
                }
            }
        }
        if settings.clip {
            for d in 0..<dim { top[d] = min(max(top[d], 0), 1) }
        }
        let variancesTop = top + dim
        if variances.count == 1 {
            for d in 0..<dim { variancesTop[d] = variances[0] }
        } else {
            for d in 0..<dim { variancesTop[d] = variances[d % 4] }
        }
    }
}
