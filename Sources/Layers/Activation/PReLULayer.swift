import CaffeProto
import Kernels
import Runtime

/// Caffe's PReLU (src/caffe/layers/prelu_layer.cpp): y = max(0, x) + a_c · min(0, x) with a
/// learned slope per channel (one with `channel_shared`), filled by `filler` (constant 0.25 by
/// default). The slope diff accumulates Σ dy · x over x <= 0.
final class PReLULayer: Layer {
    override class var caffeType: String { "PReLU" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var channelShared = false
    private var channels = 1, spatial = 1
    private let savedBottom = ScratchBuffer<Float>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes >= 2 else { throw error("the bottom must have at least 2 axes, got \(bottom[0].shape)") }
        let p = parameter.preluParam
        channelShared = p.channelShared
        let channels = bottom[0].shape[1]
        if blobs.isEmpty {
            let slope = try makeBlob(channelShared ? [] : [channels], what: "slope")
            try fill(slope, with: p.hasFiller ? p.filler : constantFiller(0.25), what: "filler")
            blobs = [slope]
        }
        guard blobs.count == 1, blobs[0].count == (channelShared ? 1 : channels) else {
            throw error("the slope blob must hold \(channelShared ? 1 : channels) value(s), it has shape \(blobs.first?.shape ?? [])")
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[0].numAxes >= 2 else { throw error("the bottom must have at least 2 axes, got \(bottom[0].shape)") }
        channels = bottom[0].shape[1]
        spatial = bottom[0].count(from: 2)
        if bottom[0] !== top[0] { try reshapeBlob(top[0], bottom[0].shape) }
        savedBottom.resize(bottom[0].count)
    }

    private func slopeIndex(_ i: Int) -> Int { channelShared ? 0 : (i / spatial) % channels }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = bottom[0].count
        var x = UnsafePointer(bottom[0].data)
        if bottom[0] === top[0] {
            Elementwise.copy(count, x, savedBottom.pointer)
            x = UnsafePointer(savedBottom.pointer)
        }
        let y = top[0].data, slope = blobs[0].data
        for i in 0..<count {
            let v = x[i]
            y[i] = max(v, 0) + slope[slopeIndex(i)] * min(v, 0)
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let count = bottom[0].count
        let x = bottom[0] === top[0] ? UnsafePointer(savedBottom.pointer) : UnsafePointer(bottom[0].data)
        let dy = top[0].diff, slope = blobs[0].data
        if parameterPropagateDown[0] {
            let slopeDiff = blobs[0].diff
            var sums = [Double](repeating: 0, count: blobs[0].count)
            for i in 0..<count where x[i] <= 0 { sums[slopeIndex(i)] += Double(dy[i]) * Double(x[i]) }
            for (c, sum) in sums.enumerated() { slopeDiff[c] += Float(sum) }
        }
        if propagateDown[0] {
            let dx = bottom[0].diff
            for i in 0..<count { dx[i] = dy[i] * (x[i] > 0 ? 1 : slope[slopeIndex(i)]) }
        }
    }
}
