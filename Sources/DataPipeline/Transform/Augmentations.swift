import Foundation

/// The per-record steps of `AnnotatedDataLayer::load_batch` before the final transform:
/// distortion, expansion and cropping to a sampled box. As in Caffe, each step on an encoded
/// datum decodes it, works on the 8-bit image and stores the result re-encoded as JPEG
/// (quality 95), which is part of what the net sees (quirks 14, 24, 28).
extension DataTransformer {
    /// `DistortImage`: encoded datums are distorted and re-encoded even when no distortion
    /// fires; raw datums are left as they are (Caffe logs "Only support encoded datum now").
    public func distort(_ record: AnnotatedRecord, rng: inout CaffeRandom, location: String) throws -> AnnotatedRecord {
        guard let distortion = config.distortion, record.datum.encoded else { return record }
        let image = try record.datum.decodeImage(config.decodeMode, location: location)
        let distorted = try distortion.apply(image, rng: &rng)
        var out = record
        out.datum = try Self.reencoded(distorted, label: record.datum.label, location: location)
        return out
    }

    /// `ExpandImage(AnnotatedDatum)`: with probability `prob`, places the image at a random
    /// offset on a canvas `ratio` times larger (ratio uniform in [1, max_expand_ratio]) filled
    /// with the mean values, and moves the boxes accordingly.
    public func expand(_ record: AnnotatedRecord, rng: inout CaffeRandom, location: String) throws -> AnnotatedRecord {
        guard let expansion = config.expansion else { return record }
        let draw = rng.uniform(0, 1)
        if draw > expansion.prob { return record }
        if abs(expansion.maxRatio - 1) < 1e-2 { return record }
        let ratio = rng.uniform(1, expansion.maxRatio)
        var out = record
        let expandBox: NormalizedBox
        if record.datum.encoded {
            let image = try record.datum.decodeImage(config.decodeMode, location: location)
            let (canvas, box) = try expandImage(image, ratio: ratio, rng: &rng, location: location)
            expandBox = box
            out.datum = try Self.reencoded(canvas, label: record.datum.label, location: location)
        } else {
            let (datum, box) = try expandRaw(record.datum, ratio: ratio, rng: &rng, location: location)
            expandBox = box
            out.datum = datum
        }
        out.groups = try transformAnnotations(record.groups, datumHeight: record.datum.height, datumWidth: record.datum.width,
                                              doResize: false, crop: expandBox, mirror: false, location: location)
        return out
    }

    /// `CropImage(AnnotatedDatum)`: crops to `box` (clipped to the image) and projects the boxes.
    public func crop(_ record: AnnotatedRecord, to box: NormalizedBox, location: String) throws -> AnnotatedRecord {
        var out = record
        if record.datum.encoded {
            let image = try record.datum.decodeImage(config.decodeMode, location: location)
            let rect = Self.pixelRect(box, height: image.height, width: image.width)
            guard rect.width > 0, rect.height > 0 else {
                throw DataPipelineError(location, "sampled crop \(box) is empty on a \(image.height)x\(image.width) image")
            }
            let cropped = image.cropped(x: rect.x, y: rect.y, width: rect.width, height: rect.height)
            out.datum = try Self.reencoded(cropped, label: record.datum.label, location: location)
        } else {
            out.datum = try cropRaw(record.datum, to: box, location: location)
        }
        let clipped = BoxGeometry.clip(box)
        out.groups = try transformAnnotations(record.groups, datumHeight: record.datum.height, datumWidth: record.datum.width,
                                              doResize: false, crop: clipped, mirror: false, location: location)
        return out
    }

    /// ClipBBox + ScaleBBox + int truncation, as CropImage turns a box into pixels.
    static func pixelRect(_ box: NormalizedBox, height: Int, width: Int) -> (x: Int, y: Int, width: Int, height: Int) {
        let c = BoxGeometry.clip(box)
        let xmin = c.xmin * Float(width), ymin = c.ymin * Float(height)
        let xmax = c.xmax * Float(width), ymax = c.ymax * Float(height)
        var x = Int(xmin), y = Int(ymin)
        var w = Int(xmax - xmin), h = Int(ymax - ymin)
        // Caffe's cv::Rect would fail outside the image; a float crop can overshoot by a pixel.
        x = min(max(x, 0), width); y = min(max(y, 0), height)
        w = min(w, width - x); h = min(h, height - y)
        return (x, y, w, h)
    }

    /// Where `ExpandImage` puts an image of `height` × `width` for `ratio`: the canvas size
    /// (int(size · ratio)), the offsets (floor of a uniform draw) and the image's box in
    /// canvas-relative coordinates of the original image (the box annotations are projected on).
    public static func expansionGeometry(height: Int, width: Int, ratio: Float, rng: inout CaffeRandom)
        -> (canvasHeight: Int, canvasWidth: Int, yOffset: Int, xOffset: Int, box: NormalizedBox) {
        let canvasHeight = Int(Float(height) * ratio), canvasWidth = Int(Float(width) * ratio)
        let hOff = rng.uniform(0, Float(canvasHeight - height)).rounded(.down)
        let wOff = rng.uniform(0, Float(canvasWidth - width)).rounded(.down)
        let box = NormalizedBox(xmin: -wOff / Float(width), ymin: -hOff / Float(height),
                                xmax: (Float(canvasWidth) - wOff) / Float(width), ymax: (Float(canvasHeight) - hOff) / Float(height))
        return (canvasHeight, canvasWidth, Int(hOff), Int(wOff), box)
    }

    func expandImage(_ image: ByteImage, ratio: Float, rng: inout CaffeRandom, location: String) throws -> (ByteImage, NormalizedBox) {
        let geometry = Self.expansionGeometry(height: image.height, width: image.width, ratio: ratio, rng: &rng)
        let height = geometry.canvasHeight, width = geometry.canvasWidth
        let box = geometry.box
        try AllocationChecks.checkImage(channels: image.channels, height: height, width: width, what: "the expanded canvas", location: location)
        var fill = [UInt8](repeating: 0, count: image.channels)
        if config.meanBlob != nil {
            throw DataPipelineError(location, "expand_param with mean_file needs a mean of the expanded size, which changes per image (Caffe aborts); use mean_value")
        }
        let means = try config.meanValues(forChannels: image.channels, location: location)
        if !means.isEmpty { fill = means.map { saturateByte($0) } }
        var canvas = ByteImage(height: height, width: width, channels: image.channels, fill: fill)
        canvas.paste(image, x: geometry.xOffset, y: geometry.yOffset)
        return (canvas, box)
    }

    func expandRaw(_ datum: DatumRecord, ratio: Float, rng: inout CaffeRandom, location: String) throws -> (DatumRecord, NormalizedBox) {
        guard datum.data.count == datum.channels * datum.height * datum.width else {
            throw DataPipelineError(location, "expand_param on a raw datum needs byte data (float_data is not supported)")
        }
        let c = datum.channels, dh = datum.height, dw = datum.width
        let geometry = Self.expansionGeometry(height: dh, width: dw, ratio: ratio, rng: &rng)
        let height = geometry.canvasHeight, width = geometry.canvasWidth, box = geometry.box
        try AllocationChecks.checkImage(channels: c, height: height, width: width, what: "the expanded canvas", location: location)
        // The raw path starts from std::string(size, ' '): the canvas is 32, not the mean.
        var buffer = [UInt8](repeating: 32, count: c * height * width)
        let ho = geometry.yOffset, wo = geometry.xOffset
        datum.data.withUnsafeBytes { raw in
            let src = raw.bindMemory(to: UInt8.self)
            for k in 0..<c {
                for h in 0..<dh {
                    for w in 0..<dw { buffer[(k * height + h + ho) * width + w + wo] = src[(k * dh + h) * dw + w] }
                }
            }
        }
        return (DatumRecord(channels: c, height: height, width: width, encoded: false, data: Data(buffer), label: datum.label), box)
    }

    func cropRaw(_ datum: DatumRecord, to box: NormalizedBox, location: String) throws -> DatumRecord {
        guard datum.data.count == datum.channels * datum.height * datum.width else {
            throw DataPipelineError(location, "cropping a raw datum needs byte data (float_data is not supported)")
        }
        let rect = Self.pixelRect(box, height: datum.height, width: datum.width)
        guard rect.width > 0, rect.height > 0 else {
            throw DataPipelineError(location, "sampled crop \(box) is empty on a \(datum.height)x\(datum.width) datum")
        }
        let c = datum.channels
        var buffer = [UInt8](repeating: 0, count: c * rect.height * rect.width)
        datum.data.withUnsafeBytes { raw in
            let src = raw.bindMemory(to: UInt8.self)
            for k in 0..<c {
                for h in 0..<rect.height {
                    for w in 0..<rect.width {
                        buffer[(k * rect.height + h) * rect.width + w] = src[(k * datum.height + h + rect.y) * datum.width + w + rect.x]
                    }
                }
            }
        }
        return DatumRecord(channels: c, height: rect.height, width: rect.width, encoded: false, data: Data(buffer), label: datum.label)
    }

    /// `EncodeCVMatToDatum(img, "jpg")`.
    static func reencoded(_ image: ByteImage, label: Int32, location: String) throws -> DatumRecord {
        do {
            return try DatumRecord.encodedJPEG(image, label: label)
        } catch let error as DataPipelineError {
            throw DataPipelineError(location, error.message)
        }
    }
}
