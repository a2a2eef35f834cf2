import Foundation
import CaffeProto

/// Caffe's `BatchSampler` (src/caffe/util/sampler.cpp) as a value, checked at setup.
public struct BatchSamplerSpec: Equatable, Sendable {
    public var useOriginalImage: Bool
    public var minScale: Float, maxScale: Float
    public var minAspectRatio: Float, maxAspectRatio: Float
    public var minJaccard: Float?, maxJaccard: Float?
    public var minSampleCoverage: Float?, maxSampleCoverage: Float?
    public var minObjectCoverage: Float?, maxObjectCoverage: Float?
    public var maxSample: Int?
    public var maxTrials: Int

    public init(_ p: Caffe_BatchSampler, location: String) throws {
        useOriginalImage = p.useOriginalImage
        let s = p.sampler
        minScale = s.minScale; maxScale = s.maxScale
        minAspectRatio = s.minAspectRatio; maxAspectRatio = s.maxAspectRatio
        guard maxScale >= minScale, minScale > 0, maxScale <= 1 else {
            throw DataPipelineError(location, "sampler needs 0 < min_scale <= max_scale <= 1 (got \(minScale), \(maxScale))")
        }
        guard maxAspectRatio >= minAspectRatio, minAspectRatio > 0, maxAspectRatio < Float.greatestFiniteMagnitude else {
            throw DataPipelineError(location, "sampler needs 0 < min_aspect_ratio <= max_aspect_ratio (got \(minAspectRatio), \(maxAspectRatio))")
        }
        let c = p.sampleConstraint
        minJaccard = c.hasMinJaccardOverlap ? c.minJaccardOverlap : nil
        maxJaccard = c.hasMaxJaccardOverlap ? c.maxJaccardOverlap : nil
        minSampleCoverage = c.hasMinSampleCoverage ? c.minSampleCoverage : nil
        maxSampleCoverage = c.hasMaxSampleCoverage ? c.maxSampleCoverage : nil
        minObjectCoverage = c.hasMinObjectCoverage ? c.minObjectCoverage : nil
        maxObjectCoverage = c.hasMaxObjectCoverage ? c.maxObjectCoverage : nil
        maxSample = p.hasMaxSample ? Int(p.maxSample) : nil
        maxTrials = Int(p.maxTrials)
    }

    /// `SampleBBox`. Caffe computes the width with float `sqrt` and can get 1.00000012, which
    /// then aborts in `caffe_rng_uniform(0, 1 - width)` (golden quirk 25); the intent is a box
    /// inside the image, so width and height are clamped to 1.
    public func sampleBox(_ rng: inout CaffeRandom) -> NormalizedBox {
        let scale = rng.uniform(minScale, maxScale)
        let aspect = rng.uniform(minAspectRatio, maxAspectRatio)
        let size = Self.cropSize(scale: scale, aspect: aspect)
        let width = min(size.width, 1)
        let height = min(size.height, 1)
        let wOff = rng.uniform(0, 1 - width)
        let hOff = rng.uniform(0, 1 - height)
        return NormalizedBox(xmin: wOff, ymin: hOff, xmax: wOff + width, ymax: hOff + height)
    }

    /// SampleBBox's crop size before the clamp, in Caffe's float arithmetic: the aspect is kept
    /// within [scale², 1/scale²] (computed in double, stored as float), then width =
    /// scale · sqrtf(aspect) and height = scale / sqrtf(aspect), which can exceed 1 by an ulp.
    public static func cropSize(scale: Float, aspect: Float) -> (width: Float, height: Float) {
        var aspect = max(aspect, Float(pow(Double(scale), 2)))
        aspect = min(aspect, Float(1 / pow(Double(scale), 2)))
        return (scale * aspect.squareRoot(), scale / aspect.squareRoot())
    }

    /// `SatisfySampleConstraint`: true without constraints; otherwise some object box must meet
    /// every configured kind (so an image without boxes never satisfies a constrained sampler).
    public func accepts(_ sample: NormalizedBox, objects: [NormalizedBox]) -> Bool {
        let hasJaccard = minJaccard != nil || maxJaccard != nil
        let hasSample = minSampleCoverage != nil || maxSampleCoverage != nil
        let hasObject = minObjectCoverage != nil || maxObjectCoverage != nil
        if !hasJaccard && !hasSample && !hasObject { return true }
        var found = false
        for object in objects {
            if hasJaccard {
                let overlap = BoxGeometry.jaccard(sample, object)
                if let m = minJaccard, overlap < m { continue }
                if let m = maxJaccard, overlap > m { continue }
                found = true
            }
            if hasSample {
                let coverage = BoxGeometry.coverage(sample, by: object)
                if let m = minSampleCoverage, coverage < m { continue }
                if let m = maxSampleCoverage, coverage > m { continue }
                found = true
            }
            if hasObject {
                let coverage = BoxGeometry.coverage(object, by: sample)
                if let m = minObjectCoverage, coverage < m { continue }
                if let m = maxObjectCoverage, coverage > m { continue }
                found = true
            }
            if found { return true }
        }
        return found
    }

    /// `GenerateSamples` for one sampler: up to `maxTrials` draws, keeping those that satisfy
    /// the constraint, stopping at `maxSample`.
    public func generate(objects: [NormalizedBox], rng: inout CaffeRandom) -> [NormalizedBox] {
        var found: [NormalizedBox] = []
        for _ in 0..<maxTrials {
            if let m = maxSample, found.count >= m { break }
            let sample = BoxGeometry.locate(sampleBox(&rng), in: .unit)
            if accepts(sample, objects: objects) { found.append(sample) }
        }
        return found
    }
}

/// `GenerateBatchSamples` over all samplers (those with use_original_image), concatenated.
public func generateBatchSamples(_ record: AnnotatedRecord, samplers: [BatchSamplerSpec], rng: inout CaffeRandom) -> [NormalizedBox] {
    let objects = record.allBoxes
    var samples: [NormalizedBox] = []
    for sampler in samplers where sampler.useOriginalImage {
        samples += sampler.generate(objects: objects, rng: &rng)
    }
    return samples
}
