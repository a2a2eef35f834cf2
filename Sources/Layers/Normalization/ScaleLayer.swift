import CaffeProto
import Kernels
import Runtime

/// Caffe's Scale (src/caffe/layers/scale_layer.cpp): y = x · s (+ b), s broadcast from `axis`
/// over `num_axes` axes, either a learned blob or the second bottom. With `bias_term` the bias
/// is a learned blob (blob 1, or blob 0 with a second bottom) with the same broadcast.
///
/// Quirk kept (Backward_cpu): the scale diff is OVERWRITTEN rather than accumulated when the
/// scale is as large as the bottom, or when outer_dim == 1 with inner_dim > 1 and several scale
/// values; it accumulates otherwise. The bias diff always accumulates.
final class ScaleLayer: Layer {
    override class var caffeType: String { "Scale" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, maxBottoms: 2, exactTops: 1) }

    private var axis = 0
    private var outer = 0, scaleDim = 0, inner = 0
    private var biasIndex: Int?
    /// The bottom values of an in-place forward (the top overwrites them).
    private let savedBottom = ScratchBuffer<Float>()
    private let product = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.scaleParam
        if bottom.count == 1 && blobs.isEmpty {
            axis = try axisIndex(p.axis, of: bottom[0], parameter: "scale_param.axis")
            let numAxes = Int(p.numAxes)
            guard numAxes >= -1 else { throw error("num_axes must be non-negative, or -1 to extend to the end of bottom[0]") }
            if numAxes >= 0 {
                guard bottom[0].numAxes >= axis + numAxes else {
                    throw error("the scale blob's shape extends past the bottom's shape \(bottom[0].shape) when applied starting at axis \(axis)")
                }
            }
            let end = numAxes == -1 ? bottom[0].numAxes : axis + numAxes
            let scale = try makeBlob(Array(bottom[0].shape[axis..<end]), what: "scale")
            // Without a filler the scale starts at 1 (identity).
            let filler = p.hasFiller ? p.filler : constantFiller(1)
            try fill(scale, with: filler, what: "filler")
            blobs = [scale]
        }
        if p.biasTerm {
            let expectedBlobs = bottom.count == 1 ? 2 : 1
            if blobs.count + bottom.count < 3 {
                // Create the bias with the scale's broadcast shape.
                let scaleShape = bottom.count > 1 ? bottom[1].shape : blobs[0].shape
                let bias = try makeBlob(scaleShape, what: "bias")
                try fill(bias, with: p.biasFiller, what: "bias_filler")
                biasIndex = blobs.count
                blobs.append(bias)
            } else {
                guard blobs.count == expectedBlobs else {
                    throw error("has \(blobs.count) blobs, expected \(expectedBlobs) with bias_term")
                }
                biasIndex = blobs.count - 1
            }
        } else if bottom.count > 1 && !blobs.isEmpty {
            throw error("takes its scale from the second bottom and has no bias_term, but \(blobs.count) blob(s) were given")
        }
    }

    private func scaleBlob(_ bottom: [Blob]) -> Blob { bottom.count > 1 ? bottom[1] : blobs[0] }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let scale = scaleBlob(bottom)
        // A scalar scale is applied with axis 0 (any axis gives the same result).
        axis = scale.numAxes == 0 ? 0 : try axisIndex(parameter.scaleParam.axis, of: bottom[0], parameter: "scale_param.axis")
        guard bottom[0].numAxes >= axis + scale.numAxes else {
            throw error("the scale \(scale.shape) extends past the bottom \(bottom[0].shape) when applied at axis \(axis)")
        }
        for i in 0..<scale.numAxes where bottom[0].shape[axis + i] != scale.shape[i] {
            throw error("dimension mismatch between the bottom \(bottom[0].shape) (axis \(axis + i)) and the scale \(scale.shape) (axis \(i))")
        }
        if let biasIndex, blobs[biasIndex].shape != scale.shape {
            throw error("the bias blob has shape \(blobs[biasIndex].shape), expected the scale's \(scale.shape)")
        }
        outer = bottom[0].count(from: 0, to: axis)
        scaleDim = scale.count
        inner = bottom[0].count(from: axis + scale.numAxes)
        if bottom[0] !== top[0] {
            try reshapeBlob(top[0], bottom[0].shape)
        }
        savedBottom.resize(bottom[0].count)
        product.resize(bottom[0].count)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        var x = UnsafePointer(bottom[0].data)
        if bottom[0] === top[0] {
            Elementwise.copy(bottom[0].count, x, savedBottom.pointer)
            x = UnsafePointer(savedBottom.pointer)
        }
        let s = scaleBlob(bottom).data
        let y = top[0].data
        let bias = biasIndex.map { UnsafePointer(blobs[$0].data) }
        let (scaleDim, inner) = (self.scaleDim, self.inner)
        KernelThreads.parallelForEach(outer * scaleDim) { row in
            let d = row % scaleDim
            let factor = s[d]
            let offset = row * inner
            if let bias {
                let b = bias[d]
                for i in 0..<inner { y[offset + i] = x[offset + i] * factor + b }
            } else {
                for i in 0..<inner { y[offset + i] = x[offset + i] * factor }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let dy = top[0].diff
        let (outer, scaleDim, inner) = (self.outer, self.scaleDim, self.inner)
        if let biasIndex, parameterPropagateDown[biasIndex] {
            // The internal Bias layer accumulates into its parameter diff.
            let biasDiff = blobs[biasIndex].diff
            for d in 0..<scaleDim {
                var sum = 0.0
                for o in 0..<outer {
                    let offset = (o * scaleDim + d) * inner
                    for i in 0..<inner { sum += Double(dy[offset + i]) }
                }
                biasDiff[d] += Float(sum)
            }
        }
        let scaleIsParameter = bottom.count == 1
        let scale = scaleBlob(bottom)
        if (scaleIsParameter && parameterPropagateDown[0]) || (!scaleIsParameter && propagateDown[1]) {
            let x = bottom[0] === top[0] ? UnsafePointer(savedBottom.pointer) : UnsafePointer(bottom[0].data)
            let scaleDiff = scale.diff
            let isEltwise = bottom[0].count == scale.count
            // Whether Caffe's code path adds to the existing diff (see the type's comment).
            let accumulates = !isEltwise && scaleIsParameter && (outer > 1 || scaleDim == 1)
            for d in 0..<scaleDim {
                var sum = 0.0
                for o in 0..<outer {
                    let offset = (o * scaleDim + d) * inner
                    for i in 0..<inner { sum += Double(dy[offset + i]) * Double(x[offset + i]) }
                }
                if isEltwise {
                    // Element-wise product written straight into the scale diff.
                    scaleDiff[d] = Float(sum)
                } else if accumulates {
                    scaleDiff[d] += Float(sum)
                } else {
                    scaleDiff[d] = Float(sum)
                }
            }
        }
        if propagateDown[0] {
            let s = scale.data
            let dx = bottom[0].diff
            KernelThreads.parallelForEach(outer * scaleDim) { row in
                let factor = s[row % scaleDim]
                let offset = row * inner
                for i in 0..<inner { dx[offset + i] = dy[offset + i] * factor }
            }
        }
    }
}

extension ScaleLayer: ChannelAffineLayer {
    /// A learned scale of one value per channel of axis 1 (one bottom) is y = x·gamma[c] + beta[c].
    func isChannelAffine(channels: Int) -> Bool {
        parameter.bottom.count == 1 && parameter.scaleParam.axis == 1 && !blobs.isEmpty && blobs[0].shape == [channels]
            && (biasIndex.map { blobs[$0].shape == [channels] } ?? true)
    }

    func channelAffine(channels: Int) -> (scale: [Double], shift: [Double]) {
        let gamma = blobs[0].readOnlyData
        let beta = biasIndex.map { blobs[$0].readOnlyData }
        let scale = (0..<channels).map { Double(gamma[$0]) }
        let shift: [Double] = (0..<channels).map { c in beta.map { Double($0[c]) } ?? 0 }
        return (scale, shift)
    }

    var channelAffineStamps: [BlobStamp] { blobs.map(\.dataStamp) }
}
