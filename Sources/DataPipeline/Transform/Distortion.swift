import CaffeProto

/// Caffe's `DistortionParameter` and `ApplyDistort` (src/caffe/util/im_transforms.cpp).
public struct Distortion: Equatable, Sendable {
    public var brightnessProb: Float, brightnessDelta: Float
    public var contrastProb: Float, contrastLower: Float, contrastUpper: Float
    public var saturationProb: Float, saturationLower: Float, saturationUpper: Float
    public var hueProb: Float, hueDelta: Float
    public var randomOrderProb: Float

    public init(_ p: Caffe_DistortionParameter, layer: String) throws {
        brightnessProb = p.brightnessProb; brightnessDelta = p.brightnessDelta
        contrastProb = p.contrastProb; contrastLower = p.contrastLower; contrastUpper = p.contrastUpper
        saturationProb = p.saturationProb; saturationLower = p.saturationLower; saturationUpper = p.saturationUpper
        hueProb = p.hueProb; hueDelta = p.hueDelta
        randomOrderProb = p.randomOrderProb
        // Caffe checks these only when a distortion fires (CHECK_GE); here at setup.
        guard brightnessDelta >= 0 else { throw DataPipelineError(layer, "distort_param.brightness_delta must be >= 0 (got \(brightnessDelta))") }
        guard hueDelta >= 0 else { throw DataPipelineError(layer, "distort_param.hue_delta must be >= 0 (got \(hueDelta))") }
        guard contrastUpper >= contrastLower, contrastLower >= 0 else {
            throw DataPipelineError(layer, "distort_param needs 0 <= contrast_lower <= contrast_upper (got \(contrastLower), \(contrastUpper))")
        }
        guard saturationUpper >= saturationLower, saturationLower >= 0 else {
            throw DataPipelineError(layer, "distort_param needs 0 <= saturation_lower <= saturation_upper (got \(saturationLower), \(saturationUpper))")
        }
    }

    /// `ApplyDistort`: one draw picks the order (brightness, contrast, saturation, hue, reorder
    /// or brightness, saturation, hue, contrast, reorder); each step fires with its probability.
    /// Saturation and hue need 3 channels (OpenCV's cvtColor(BGR2HSV) throws on 1-channel
    /// images, which kills Caffe's prefetch thread); here that is an error.
    public func apply(_ image: ByteImage, rng: inout CaffeRandom) throws -> ByteImage {
        var out = image
        let order = rng.uniform(0, 1)
        out = brightness(out, &rng)
        if order > 0.5 {
            out = contrast(out, &rng)
            out = try saturation(out, &rng)
            out = try hue(out, &rng)
        } else {
            out = try saturation(out, &rng)
            out = try hue(out, &rng)
            out = contrast(out, &rng)
        }
        return try reorder(out, &rng)
    }

    func brightness(_ image: ByteImage, _ rng: inout CaffeRandom) -> ByteImage {
        guard rng.uniform(0, 1) < brightnessProb else { return image }
        let delta = rng.uniform(-brightnessDelta, brightnessDelta)
        return abs(delta) > 0 ? ColorOps.convert(image, alpha: 1, beta: delta) : image
    }

    func contrast(_ image: ByteImage, _ rng: inout CaffeRandom) -> ByteImage {
        guard rng.uniform(0, 1) < contrastProb else { return image }
        let delta = rng.uniform(contrastLower, contrastUpper)
        return abs(delta - 1) > 1e-3 ? ColorOps.convert(image, alpha: delta, beta: 0) : image
    }

    func saturation(_ image: ByteImage, _ rng: inout CaffeRandom) throws -> ByteImage {
        guard rng.uniform(0, 1) < saturationProb else { return image }
        let delta = rng.uniform(saturationLower, saturationUpper)
        // AdjustSaturation tests `fabs(delta - 1.f) != 1e-3`, true for every draw: the lossy HSV
        // round trip always happens.
        try requireColor(image, "saturation")
        var hsv = ColorOps.bgrToHSV(image)
        ColorOps.convertChannel(&hsv, channel: 1, alpha: delta, beta: 0)
        return ColorOps.hsvToBGR(hsv)
    }

    func hue(_ image: ByteImage, _ rng: inout CaffeRandom) throws -> ByteImage {
        guard rng.uniform(0, 1) < hueProb else { return image }
        let delta = rng.uniform(-hueDelta, hueDelta)
        guard abs(delta) > 0 else { return image }
        try requireColor(image, "hue")
        var hsv = ColorOps.bgrToHSV(image)
        // H saturates at 0 and 255 (convertTo), it does not wrap around 180.
        ColorOps.convertChannel(&hsv, channel: 0, alpha: 1, beta: delta)
        return ColorOps.hsvToBGR(hsv)
    }

    func reorder(_ image: ByteImage, _ rng: inout CaffeRandom) throws -> ByteImage {
        guard rng.uniform(0, 1) < randomOrderProb else { return image }
        guard image.channels == 3 else {
            throw DataPipelineError("distort_param.random_order_prob", "random channel order needs a 3-channel image, got \(image.channels) (set force_color)")
        }
        // std::random_shuffle of the three planes (Caffe draws with std::rand; here the layer's RNG).
        var order = [0, 1, 2]
        for i in stride(from: 2, to: 0, by: -1) { order.swapAt(i, rng.below(i + 1)) }
        var out = image
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i < src.count {
                    for c in 0..<3 { dst[i + c] = src[i + order[c]] }
                    i += 3
                }
            }
        }
        return out
    }

    private func requireColor(_ image: ByteImage, _ step: String) throws {
        guard image.channels == 3 else {
            throw DataPipelineError("distort_param", "\(step) distortion needs a 3-channel image, got \(image.channels) channel(s); Caffe's cvtColor(BGR2HSV) throws here and kills the process. Set transform_param.force_color: true")
        }
    }
}
