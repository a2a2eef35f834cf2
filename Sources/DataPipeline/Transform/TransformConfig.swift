import CaffeProto
import Foundation

/// Caffe's `TransformationParameter`, checked once at layer setup (Caffe checks most of these
/// with CHECKs inside the prefetch thread; here they are errors naming the parameter).
public struct TransformConfig: Sendable {
    public var phase: Caffe_Phase
    public var scale: Float
    public var mirror: Bool
    /// `crop_size` overrides `crop_h`/`crop_w` (they are only used by the image path).
    public var cropSize: Int
    public var cropH: Int
    public var cropW: Int
    public var meanValues: [Float]
    public var meanBlob: MeanBlob?
    public var forceColor: Bool
    public var forceGray: Bool
    public var resize: ResizePolicy?
    public var noise: NoiseConfig?
    public var distortion: Distortion?
    /// `expand_param`: probability and maximum ratio.
    public var expansion: (prob: Float, maxRatio: Float)?
    public var emitConstraint: EmitConstraint?

    /// Decoding used for encoded datums: `force_color` → colour, `force_gray` → gray,
    /// otherwise native (a 1-channel JPEG stays 1 channel).
    public var decodeMode: DecodeMode { forceColor ? .color : (forceGray ? .gray : .native) }

    /// The crop of the image path as (height, width), 0 for none.
    public var imageCrop: (height: Int, width: Int) {
        cropSize > 0 ? (cropSize, cropSize) : (cropH, cropW)
    }

    public init(phase: Caffe_Phase = .test) {
        self.phase = phase
        scale = 1; mirror = false; cropSize = 0; cropH = 0; cropW = 0
        meanValues = []; meanBlob = nil; forceColor = false; forceGray = false
        resize = nil; noise = nil; distortion = nil; expansion = nil; emitConstraint = nil
    }

    /// - Parameters:
    ///   - baseDirectory: folder `mean_file` is relative to (Caffe: the working directory).
    ///   - layer: the layer name, for errors.
    public init(_ p: Caffe_TransformationParameter, phase: Caffe_Phase, layer: String, baseDirectory: String) throws {
        self.init(phase: phase)
        let here = "layer \"\(layer)\" transform_param"
        scale = p.scale
        mirror = p.mirror
        cropSize = Int(p.cropSize)
        cropH = Int(p.cropH)
        cropW = Int(p.cropW)
        forceColor = p.forceColor
        forceGray = p.forceGray
        if forceColor && forceGray {
            throw DataPipelineError(here, "cannot set both force_color and force_gray")
        }
        if p.hasMeanFile && !p.meanValue.isEmpty {
            throw DataPipelineError(here, "cannot specify mean_file and mean_value at the same time")
        }
        if p.hasMeanFile {
            let path = p.meanFile.hasPrefix("/") ? p.meanFile : (baseDirectory as NSString).appendingPathComponent(p.meanFile)
            meanBlob = try MeanBlob.read(path)
        }
        meanValues = p.meanValue
        if p.hasResizeParam { resize = try ResizePolicy(p.resizeParam, layer: here + ".resize_param") }
        if p.hasNoiseParam { noise = try NoiseConfig(p.noiseParam, layer: here + ".noise_param") }
        if p.hasDistortParam { distortion = try Distortion(p.distortParam, layer: here + ".distort_param") }
        if p.hasExpandParam {
            guard p.expandParam.maxExpandRatio > 1 else {
                throw DataPipelineError(here, "expand_param.max_expand_ratio must be > 1 (got \(p.expandParam.maxExpandRatio))")
            }
            // Caffe would try to allocate the canvas whatever its size; beyond this it cannot be meant.
            guard p.expandParam.maxExpandRatio <= 10_000 else {
                throw DataPipelineError(here, "expand_param.max_expand_ratio \(p.expandParam.maxExpandRatio) is absurd (at most 10000; DSOD uses 4)")
            }
            expansion = (p.expandParam.prob, p.expandParam.maxExpandRatio)
        }
        if p.hasEmitConstraint {
            switch p.emitConstraint.emitType {
            case .center: emitConstraint = .center
            case .minOverlap: emitConstraint = .minOverlap(p.emitConstraint.emitOverlap)
            }
        }
    }

    /// Mean values for `channels`: one value is replicated; otherwise there must be one per
    /// channel. Caffe aborts on a mismatch (data_transformer.cpp CHECK, e.g. DSOD's 3 means on a
    /// natively decoded 1-channel JPEG); here it is an error that suggests force_color.
    public func meanValues(forChannels channels: Int, location: String) throws -> [Float] {
        if meanValues.isEmpty { return [] }
        if meanValues.count == 1 { return [Float](repeating: meanValues[0], count: channels) }
        guard meanValues.count == channels else {
            throw DataPipelineError(location, "the image has \(channels) channel(s) but transform_param has \(meanValues.count) mean_value entries; give 1 mean_value or one per channel\(channels == 1 ? " (a 1-channel JPEG decodes natively to 1 channel: set force_color: true)" : "")")
        }
        return meanValues
    }
}
