import CaffeProto

/// Caffe's `ResizeParameter` as a value: target size, mode, interpolation choices, padding.
public struct ResizePolicy: Equatable, Sendable {
    public enum Mode: Equatable, Sendable { case warp, fitSmallSize, fitLargeSizeAndPad }

    public var height: Int
    public var width: Int
    public var mode: Mode
    /// One is drawn uniformly per image; empty means LINEAR without a draw.
    public var interpolations: [Interpolation]
    public var padMode: BorderMode
    /// `pad_value` (CONSTANT padding); empty means 0.
    public var padValues: [Float]
    public var heightScale: Int
    public var widthScale: Int

    public init(height: Int, width: Int, mode: Mode = .warp, interpolations: [Interpolation] = [.linear],
                padMode: BorderMode = .constant([0]), padValues: [Float] = [], heightScale: Int = 0, widthScale: Int = 0) {
        self.height = height
        self.width = width
        self.mode = mode
        self.interpolations = interpolations
        self.padMode = padMode
        self.padValues = padValues
        self.heightScale = heightScale
        self.widthScale = widthScale
    }

    /// From the proto; `prob` is ignored as in Caffe's ApplyResize (quirk: prob 0 still resizes).
    public init(_ p: Caffe_ResizeParameter, layer: String) throws {
        guard p.height > 0, p.width > 0 else {
            throw DataPipelineError(layer, "resize_param needs height > 0 and width > 0 (got \(p.height)x\(p.width))")
        }
        height = Int(p.height)
        width = Int(p.width)
        switch p.resizeMode {
        case .warp: mode = .warp
        case .fitSmallSize: mode = .fitSmallSize
        case .fitLargeSizeAndPad: mode = .fitLargeSizeAndPad
        }
        interpolations = p.interpMode.map {
            switch $0 {
            case .linear: return .linear
            case .area: return .area
            case .nearest: return .nearest
            case .cubic: return .cubic
            case .lanczos4: return .lanczos4
            }
        }
        padValues = p.padValue
        switch p.padMode {
        case .constant: padMode = .constant([])
        case .mirrored: padMode = .reflect101
        case .repeatNearest: padMode = .replicate
        }
        heightScale = Int(p.heightScale)
        widthScale = Int(p.widthScale)
    }

    /// `InferNewSize` (im_transforms.cpp): the image size after the resize.
    public func newSize(width oldWidth: Int, height oldHeight: Int) -> (width: Int, height: Int) {
        let origAspect = Float(oldWidth) / Float(oldHeight)
        let aspect = Float(width) / Float(height)
        switch mode {
        case .warp, .fitLargeSizeAndPad: return (width, height)
        case .fitSmallSize:
            if origAspect < aspect { return (width, Int(Float(width) / origAspect)) }
            return (Int(origAspect * Float(height)), height)
        }
    }

    /// `roll_weighted_die` over equal probabilities: one uniform draw per image when any
    /// interp_mode is listed (even a single one), none otherwise.
    public func drawInterpolation(_ rng: inout CaffeRandom) -> Interpolation {
        guard !interpolations.isEmpty else { return .linear }
        let n = interpolations.count
        let p = 1 / Float(n)
        var cumulative: [Float] = []
        var sum: Float = 0
        for _ in 0..<n { sum += p; cumulative.append(sum) }
        let value = rng.uniform(0, sum)
        // std::lower_bound: first cumulative >= value.
        let index = cumulative.firstIndex(where: { $0 >= value }) ?? (n - 1)
        return interpolations[index]
    }

    /// `ApplyResize` on an 8-bit image with an already drawn interpolation.
    public func apply(_ image: ByteImage, interpolation: Interpolation) throws -> ByteImage {
        switch mode {
        case .warp:
            return Resizer.resize(image, width: width, height: height, interpolation: interpolation)
        case .fitSmallSize:
            // AspectKeepingResizeBySmall.
            let origAspect = Float(image.width) / Float(image.height)
            let newAspect = Float(width) / Float(height)
            if origAspect < newAspect {
                let h = Int((Float(width) / origAspect).rounded(.down))
                return Resizer.resize(image, width: width, height: h, interpolation: interpolation)
            }
            let w = Int((origAspect * Float(height)).rounded(.down))
            return Resizer.resize(image, width: w, height: height, interpolation: interpolation)
        case .fitLargeSizeAndPad:
            // AspectKeepingResizeAndPad: floor(pad / 2) before, the rest after.
            var border = padMode
            if case .constant = padMode {
                var values = padValues.map(Double.init)
                if !values.isEmpty && values.count != 1 && values.count != image.channels {
                    throw DataPipelineError("resize_param.pad_value",
                                            "give 1 pad_value or one per channel (\(image.channels)), not \(values.count)")
                }
                if values.count == 1 { values = [Double](repeating: values[0], count: max(image.channels, 3)) }
                border = .constant(values)
            }
            let origAspect = Float(image.width) / Float(image.height)
            let newAspect = Float(width) / Float(height)
            if origAspect > newAspect {
                let h = Int((Float(width) / origAspect).rounded(.down))
                let resized = Resizer.resize(image, width: width, height: max(h, 1), interpolation: interpolation)
                let pad = Int((Double(height - resized.height) / 2).rounded(.down))
                return resized.padded(top: pad, bottom: height - resized.height - pad, left: 0, right: 0, mode: border)
            }
            let w = Int((origAspect * Float(height)).rounded(.down))
            let resized = Resizer.resize(image, width: max(w, 1), height: height, interpolation: interpolation)
            let pad = Int((Double(width - resized.width) / 2).rounded(.down))
            return resized.padded(top: 0, bottom: 0, left: pad, right: width - resized.width - pad, mode: border)
        }
    }

    /// `UpdateBBoxByResizePolicy`, in float with Caffe's operation order (quirk 17: a stored
    /// coordinate can move by one ulp; quirk 18: the padding for boxes is not floored).
    public func update(_ box: NormalizedBox, oldWidth: Int, oldHeight: Int) -> NormalizedBox {
        var newHeight = Float(height), newWidth = Float(width)
        let ow = Float(oldWidth), oh = Float(oldHeight)
        let origAspect = ow / oh
        let newAspect = newWidth / newHeight
        var xMin = box.xmin * ow, yMin = box.ymin * oh, xMax = box.xmax * ow, yMax = box.ymax * oh
        switch mode {
        case .warp:
            xMin = max(0, xMin * newWidth / ow)
            xMax = min(newWidth, xMax * newWidth / ow)
            yMin = max(0, yMin * newHeight / oh)
            yMax = min(newHeight, yMax * newHeight / oh)
        case .fitLargeSizeAndPad:
            if origAspect > newAspect {
                let padding = (newHeight - newWidth / origAspect) / 2
                xMin = max(0, xMin * newWidth / ow)
                xMax = min(newWidth, xMax * newWidth / ow)
                yMin = yMin * (newHeight - 2 * padding) / oh
                yMin = padding + max(0, yMin)
                yMax = yMax * (newHeight - 2 * padding) / oh
                yMax = padding + min(newHeight, yMax)
            } else {
                let padding = (newWidth - origAspect * newHeight) / 2
                xMin = xMin * (newWidth - 2 * padding) / ow
                xMin = padding + max(0, xMin)
                xMax = xMax * (newWidth - 2 * padding) / ow
                xMax = padding + min(newWidth, xMax)
                yMin = max(0, yMin * newHeight / oh)
                yMax = min(newHeight, yMax * newHeight / oh)
            }
        case .fitSmallSize:
            if origAspect < newAspect {
                newHeight = newWidth / origAspect
            } else {
                newWidth = origAspect * newHeight
            }
            xMin = max(0, xMin * newWidth / ow)
            xMax = min(newWidth, xMax * newWidth / ow)
            yMin = max(0, yMin * newHeight / oh)
            yMax = min(newHeight, yMax * newHeight / oh)
        }
        var out = box
        out.xmin = xMin / newWidth
        out.ymin = yMin / newHeight
        out.xmax = xMax / newWidth
        out.ymax = yMax / newHeight
        return out
    }

    /// `ExtrapolateBBox`: only active for FIT_SMALL_SIZE with height_scale and width_scale set.
    public func extrapolate(_ box: NormalizedBox, imageHeight: Int, imageWidth: Int, crop: NormalizedBox) throws -> NormalizedBox {
        guard heightScale > 0 && widthScale > 0 && mode == .fitSmallSize else { return box }
        let origAspect = Float(imageWidth) / Float(imageHeight)
        var resizeHeight = Float(height), resizeWidth = Float(width)
        let resizeAspect = resizeWidth / resizeHeight
        if origAspect < resizeAspect { resizeHeight = resizeWidth / origAspect } else { resizeWidth = resizeHeight * origAspect }
        let cropHeight = resizeHeight * (crop.ymax - crop.ymin)
        let cropWidth = resizeWidth * (crop.xmax - crop.xmin)
        guard cropWidth >= Float(widthScale), cropHeight >= Float(heightScale) else {
            throw DataPipelineError("resize_param", "crop \(cropWidth)x\(cropHeight) is smaller than width_scale x height_scale \(widthScale)x\(heightScale)")
        }
        var out = box
        out.xmin = box.xmin * cropWidth / Float(widthScale)
        out.xmax = box.xmax * cropWidth / Float(widthScale)
        out.ymin = box.ymin * cropHeight / Float(heightScale)
        out.ymax = box.ymax * cropHeight / Float(heightScale)
        return out
    }
}
