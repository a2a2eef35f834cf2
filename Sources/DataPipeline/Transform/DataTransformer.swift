import CaffeProto
import Foundation
import Kernels

/// A datum ready for `DataTransformer.transform`: a decoded 8-bit image (the `cv::Mat` path of
/// encoded datums) or a raw datum (Caffe's `Transform(const Datum&)` path).
public enum DecodedDatum: Sendable {
    case image(ByteImage)
    case raw(DatumRecord)
}

/// What the transform did, for the annotations: the crop in normalized coordinates of the
/// (resized) image and whether the image was mirrored.
public struct TransformOutcome: Equatable, Sendable {
    public var crop: NormalizedBox
    public var mirrored: Bool
}

/// Caffe's `DataTransformer` (src/caffe/data_transformer.cpp) as functions over values. Random
/// draws come from the caller's `CaffeRandom`.
public struct DataTransformer: Sendable {
    public var config: TransformConfig

    public init(config: TransformConfig) { self.config = config }

    /// Decodes an encoded datum with the configured mode; raw datums pass through.
    public func decode(_ datum: DatumRecord, location: String) throws -> DecodedDatum {
        if datum.encoded { return .image(try datum.decodeImage(config.decodeMode, location: location)) }
        return .raw(datum)
    }

    /// `InferBlobShape`: [channels, height, width] of the transformed output.
    public func outputShape(_ decoded: DecodedDatum, location: String) throws -> [Int] {
        switch decoded {
        case .image(let image):
            return try outputShape(channels: image.channels, height: image.height, width: image.width, location: location)
        case .raw(let datum):
            return try outputShape(channels: datum.channels, height: datum.height, width: datum.width, location: location)
        }
    }

    /// `InferBlobShape` from the stored size: resize, then crop.
    public func outputShape(channels: Int, height: Int, width: Int, location: String) throws -> [Int] {
        guard channels > 0, height > 0, width > 0 else {
            throw DataPipelineError(location, "image of shape \(channels)x\(height)x\(width); expected a non-empty image")
        }
        let crop = config.imageCrop
        var height = height, width = width
        if let resize = config.resize { (width, height) = resize.newSize(width: width, height: height) }
        guard height >= crop.height, width >= crop.width, height > 0, width > 0 else {
            throw DataPipelineError(location, "the image is \(height)x\(width) after resizing, smaller than the crop \(crop.height)x\(crop.width)")
        }
        let shape = [channels, crop.height > 0 ? crop.height : height, crop.width > 0 ? crop.width : width]
        guard let count = MemoryBudget.product(shape), count <= AllocationChecks.maximumBlobCount else {
            throw DataPipelineError(location, "a transformed item of shape \(shape) has more than \(AllocationChecks.maximumBlobCount) values, more than a blob can hold")
        }
        return shape
    }

    /// Writes the transformed C × H × W floats to `out` (which holds `shape` = outputShape).
    public func transform(_ decoded: DecodedDatum, shape: [Int], into out: UnsafeMutablePointer<Float>,
                          rng: inout CaffeRandom, location: String) throws -> TransformOutcome {
        switch decoded {
        case .image(let image): return try transformImage(image, shape: shape, into: out, rng: &rng, location: location)
        case .raw(let datum): return try transformRaw(datum, shape: shape, into: out, rng: &rng, location: location)
        }
    }

    /// `Transform(const cv::Mat&, Blob*)`: mirror draw, resize (uint8, quirk 16), noise, crop
    /// (random in TRAIN, centre in TEST), then (pixel − mean) · scale in float.
    func transformImage(_ image: ByteImage, shape: [Int], into out: UnsafeMutablePointer<Float>,
                        rng: inout CaffeRandom, location: String) throws -> TransformOutcome {
        let channels = image.channels
        guard shape.count == 3, shape[0] == channels else {
            throw DataPipelineError(location, "the image has \(channels) channel(s), the batch was shaped for \(shape.first ?? 0) from its first item; records with different channel counts cannot share a batch (set force_color: true)")
        }
        let height = shape[1], width = shape[2]
        let mirror = config.mirror && rng.below(2) == 1
        let means = try config.meanValues(forChannels: channels, location: location)
        if let blob = config.meanBlob, blob.channels != channels {
            throw DataPipelineError(location, "the mean file has \(blob.channels) channel(s), the image \(channels)")
        }
        var img = image
        if let resize = config.resize {
            let interpolation = resize.drawInterpolation(&rng)
            img = try resize.apply(img, interpolation: interpolation)
        }
        if let noise = config.noise { img = try noise.apply(img, rng: &rng) }
        let crop = config.imageCrop
        guard img.height >= crop.height, img.width >= crop.width else {
            throw DataPipelineError(location, "the image is \(img.height)x\(img.width), smaller than the crop \(crop.height)x\(crop.width)")
        }
        var hOff = 0, wOff = 0
        if crop.height > 0 && crop.width > 0 {
            guard crop.height == height, crop.width == width else {
                throw DataPipelineError(location, "crop \(crop.height)x\(crop.width) does not match the batch shape \(height)x\(width)")
            }
            if config.phase == .train {
                hOff = rng.below(img.height - crop.height + 1)
                wOff = rng.below(img.width - crop.width + 1)
            } else {
                hOff = (img.height - crop.height) / 2
                wOff = (img.width - crop.width) / 2
            }
        } else {
            guard img.height == height, img.width == width else {
                throw DataPipelineError(location, "the image is \(img.height)x\(img.width) after resizing, the batch was shaped \(height)x\(width) from its first item; all images of a batch must end up the same size (use resize_param or batch_size 1)")
            }
        }
        let cropBox = NormalizedBox(xmin: Float(wOff) / Float(img.width), ymin: Float(hOff) / Float(img.height),
                                    xmax: Float(wOff + width) / Float(img.width), ymax: Float(hOff + height) / Float(img.height))
        let scale = config.scale
        let imgHeight = img.height, imgWidth = img.width
        if let blob = config.meanBlob {
            // Caffe checks the mean against the cropped size but indexes it with the full image
            // size and the crop offset; both agree only without an effective crop.
            guard blob.height == height, blob.width == width else {
                throw DataPipelineError(location, "the mean file is \(blob.height)x\(blob.width), the transformed image \(height)x\(width); in the encoded (cv::Mat) path the mean must have the final size")
            }
            guard imgHeight == height, imgWidth == width else {
                throw DataPipelineError(location, "mean_file with a crop of encoded images reads outside the mean in Caffe; not supported")
            }
        }
        img.pixels.withUnsafeBufferPointer { px in
            let meanValues = config.meanBlob?.values ?? []
            let hasBlob = config.meanBlob != nil, hasMeans = !means.isEmpty
            meanValues.withUnsafeBufferPointer { blob in
                for h in 0..<height {
                    let row = (hOff + h) * imgWidth * channels
                    for w in 0..<width {
                        let wIdx = mirror ? width - 1 - w : w
                        let base = row + (wOff + w) * channels
                        for c in 0..<channels {
                            let pixel = Float(px[base + c])
                            let top = (c * height + h) * width + wIdx
                            if hasBlob {
                                out[top] = (pixel - blob[(c * imgHeight + hOff + h) * imgWidth + wOff + wIdx]) * scale
                            } else if hasMeans {
                                out[top] = (pixel - means[c]) * scale
                            } else {
                                out[top] = pixel * scale
                            }
                        }
                    }
                }
            }
        }
        return TransformOutcome(crop: cropBox, mirrored: mirror)
    }

    /// `Transform(const Datum&, Dtype*)`: raw bytes or float_data, `crop_size` only, mean file
    /// of the datum's size read at the crop offset.
    func transformRaw(_ datum: DatumRecord, shape: [Int], into out: UnsafeMutablePointer<Float>,
                      rng: inout CaffeRandom, location: String) throws -> TransformOutcome {
        if config.resize != nil {
            throw DataPipelineError(location, "resize_param needs encoded (JPEG) datums; this record is raw (Caffe aborts on this combination)")
        }
        if config.cropSize == 0 && (config.cropH > 0 || config.cropW > 0) {
            throw DataPipelineError(location, "crop_h/crop_w only apply to encoded datums; raw datums use crop_size")
        }
        try datum.validate(location)
        let channels = datum.channels, dh = datum.height, dw = datum.width
        guard shape.count == 3, shape[0] == channels else {
            throw DataPipelineError(location, "the datum has \(channels) channel(s), the batch was shaped for \(shape.first ?? 0)")
        }
        let cropSize = config.cropSize
        let height = cropSize > 0 ? cropSize : dh, width = cropSize > 0 ? cropSize : dw
        guard shape[1] == height, shape[2] == width, dh >= cropSize, dw >= cropSize else {
            throw DataPipelineError(location, "the datum is \(dh)x\(dw), the batch was shaped \(shape[1])x\(shape[2]); all raw datums of a batch must have the same size")
        }
        let mirror = config.mirror && rng.below(2) == 1
        let means = try config.meanValues(forChannels: channels, location: location)
        if let blob = config.meanBlob {
            guard blob.channels == channels, blob.height == dh, blob.width == dw else {
                throw DataPipelineError(location, "the mean file is \(blob.channels)x\(blob.height)x\(blob.width), the raw datum \(channels)x\(dh)x\(dw); they must be equal")
            }
        }
        var hOff = 0, wOff = 0
        if cropSize > 0 {
            if config.phase == .train {
                hOff = rng.below(dh - cropSize + 1)
                wOff = rng.below(dw - cropSize + 1)
            } else {
                hOff = (dh - cropSize) / 2
                wOff = (dw - cropSize) / 2
            }
        }
        let cropBox = NormalizedBox(xmin: Float(wOff) / Float(dw), ymin: Float(hOff) / Float(dh),
                                    xmax: Float(wOff + width) / Float(dw), ymax: Float(hOff + height) / Float(dh))
        let scale = config.scale
        let useBytes = !datum.data.isEmpty
        datum.data.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            for c in 0..<channels {
                for h in 0..<height {
                    for w in 0..<width {
                        let dataIndex = (c * dh + hOff + h) * dw + wOff + w
                        let top = (c * height + h) * width + (mirror ? width - 1 - w : w)
                        let element = useBytes ? Float(bytes[dataIndex]) : datum.floatData[dataIndex]
                        if let blob = config.meanBlob {
                            out[top] = (element - blob.values[dataIndex]) * scale
                        } else if !means.isEmpty {
                            out[top] = (element - means[c]) * scale
                        } else {
                            out[top] = element * scale
                        }
                    }
                }
            }
        }
        return TransformOutcome(crop: cropBox, mirrored: mirror)
    }

    /// `TransformAnnotation`: each box optionally through the resize policy (with the datum's
    /// stored height/width), the emit constraint, the projection onto `crop`, mirroring and
    /// `ExtrapolateBBox`. Groups left without boxes are dropped.
    public func transformAnnotations(_ groups: [AnnotationGroup], datumHeight: Int, datumWidth: Int, doResize: Bool,
                                     crop: NormalizedBox, mirror: Bool, location: String) throws -> [AnnotationGroup] {
        var result: [AnnotationGroup] = []
        for group in groups {
            var kept: [BoxAnnotation] = []
            for annotation in group.annotations {
                var box = annotation.box
                if doResize, let resize = config.resize {
                    guard datumHeight > 0, datumWidth > 0 else {
                        throw DataPipelineError(location, "datum height/width are \(datumHeight)x\(datumWidth); boxes cannot follow the resize")
                    }
                    box = resize.update(box, oldWidth: datumWidth, oldHeight: datumHeight)
                }
                if let emit = config.emitConstraint, !BoxGeometry.meetsEmitConstraint(box, crop: crop, constraint: emit) {
                    continue
                }
                guard var projected = BoxGeometry.project(box, onto: crop) else { continue }
                if mirror {
                    let xmin = projected.xmin
                    projected.xmin = 1 - projected.xmax
                    projected.xmax = 1 - xmin
                }
                if doResize, let resize = config.resize {
                    projected = try resize.extrapolate(projected, imageHeight: datumHeight, imageWidth: datumWidth, crop: crop)
                }
                kept.append(BoxAnnotation(instanceID: annotation.instanceID, box: projected))
            }
            if !kept.isEmpty { result.append(AnnotationGroup(label: group.label, annotations: kept)) }
        }
        return result
    }
}
