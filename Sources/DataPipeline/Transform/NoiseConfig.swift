import CaffeProto

/// Caffe's `NoiseParameter` (`ApplyNoise` in im_transforms.cpp). Supported: decolorize, jpeg,
/// posterize, inverse, saltpepper, convert_to_hsv, hist_eq on gray images. The others
/// (gauss_blur, clahe, erode, convert_to_lab, hist_eq on colour) are rejected at setup with an
/// error naming the field.
public struct NoiseConfig: Equatable, Sendable {
    public var decolorize: Bool
    public var jpegQuality: Int
    public var posterize: Bool
    public var inverse: Bool
    public var saltPepperFraction: Float?
    public var saltPepperValues: [Float]
    public var convertToHSV: Bool
    public var histogramEqualize: Bool

    public init(_ p: Caffe_NoiseParameter, layer: String) throws {
        for (flag, name) in [(p.gaussBlur, "gauss_blur"), (p.clahe, "clahe"), (p.erode, "erode"), (p.convertToLab, "convert_to_lab")] where flag {
            throw DataPipelineError(layer, "noise_param.\(name) is not supported")
        }
        decolorize = p.decolorize
        jpegQuality = p.jpeg > 0 ? Int(p.jpeg) : -1
        posterize = p.posterize
        inverse = p.inverse
        saltPepperFraction = p.saltpepper ? p.saltpepperParam.fraction : nil
        saltPepperValues = p.saltpepperParam.value
        convertToHSV = p.convertToHsv
        histogramEqualize = p.histEq
    }

    /// `ApplyNoise` in Caffe's order.
    public func apply(_ image: ByteImage, rng: inout CaffeRandom) throws -> ByteImage {
        var out = image
        if decolorize {
            guard out.channels == 3 else { throw DataPipelineError("noise_param.decolorize", "needs a 3-channel image") }
            out = ColorOps.grayToBGR(ColorOps.bgrToGray(out))
        }
        if histogramEqualize {
            guard out.channels == 1 else { throw DataPipelineError("noise_param.hist_eq", "is only supported on 1-channel images") }
            out = Self.equalizeHistogram(out)
        }
        if jpegQuality > 0 {
            out = try JPEGCodec.decode(try JPEGCodec.encode(out, quality: jpegQuality), mode: .color, source: "noise_param.jpeg")
        }
        if posterize {
            // colorReduce(image, 64): i / 64 * 64 + 32.
            out.pixels = out.pixels.map { UInt8(Int($0) / 64 * 64 + 32) }
        }
        if inverse { out.pixels = out.pixels.map { ~$0 } }
        if let fraction = saltPepperFraction {
            var values = saltPepperValues.map { UInt8(clamping: Int($0)) }
            if values.count == 1 { values = [UInt8](repeating: values[0], count: out.channels) }
            guard values.count == out.channels else {
                throw DataPipelineError("noise_param.saltpepper_param", "give 1 value or one per channel (\(out.channels))")
            }
            let n = Int((fraction * Float(out.width * out.height)).rounded(.down))
            for _ in 0..<max(n, 0) {
                let x = Int(rng.next() % UInt32(out.width)), y = Int(rng.next() % UInt32(out.height))
                for c in 0..<out.channels { out.pixels[(y * out.width + x) * out.channels + c] = values[c] }
            }
        }
        if convertToHSV {
            guard out.channels == 3 else { throw DataPipelineError("noise_param.convert_to_hsv", "needs a 3-channel image") }
            out = ColorOps.bgrToHSV(out)
        }
        return out
    }

    /// `cv::equalizeHist` for one channel.
    static func equalizeHistogram(_ image: ByteImage) -> ByteImage {
        var hist = [Int](repeating: 0, count: 256)
        for p in image.pixels { hist[Int(p)] += 1 }
        let total = image.pixels.count
        var i = 0
        while i < 256 && hist[i] == 0 { i += 1 }
        var lut = [UInt8](repeating: 0, count: 256)
        if i < 256 && hist[i] == total {
            lut = [UInt8](repeating: UInt8(i), count: 256)
        } else if i < 256 {
            let scale = 255.0 / Float(total - hist[i])
            var sum = 0
            for j in (i + 1)..<256 {
                sum += hist[j]
                lut[j] = saturateByte(Float(sum) * scale)
            }
        }
        var out = image
        out.pixels = image.pixels.map { lut[Int($0)] }
        return out
    }
}
