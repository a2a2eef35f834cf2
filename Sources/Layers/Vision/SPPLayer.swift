import CaffeProto
import Runtime

/// Caffe's SPP, spatial pyramid pooling (src/caffe/layers/spp_layer.cpp), on (N, C, H, W): level
/// i pools into 2^i × 2^i bins with kernel ceil(H / 2^i), stride = kernel, pad
/// (kernel·2^i − H + 1) / 2 (and the same for W), through Caffe's Pooling (MAX or AVE, with its
/// rounding and padding rules); the levels are flattened and concatenated per item into
/// (N, Σ C·bins). Quirk kept: with `pyramid_height` 1 the top is the single pooling's 4-D output
/// (N, C, 1, 1), not flattened. A level whose pad reaches its kernel (e.g. H = 1 at level 1) is
/// refused, as Caffe's Pooling CHECK does. The gradient sums the levels' gradients in order.
final class SPPLayer: Layer {
    override class var caffeType: String { "SPP" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var levels: [PoolingLayer] = []
    private var pooled: [Blob] = []
    /// Shares the bottom's values; its own diff receives each level's gradient.
    private var levelBottom: Blob?
    private var builtFor: [Int] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        // spp_layer.cpp LayerSetUp: CHECK_GT(bottom_h_, 0), CHECK_GT(bottom_w_, 0).
        guard parameter.sppParam.pyramidHeight >= 1 else {
            throw error("spp_param.pyramid_height is \(parameter.sppParam.pyramidHeight), expected at least 1")
        }
    }

    /// Caffe's GetPoolingParam for one level.
    private func poolingParameter(level: Int, height: Int, width: Int) throws -> Caffe_LayerParameter {
        let bins = 1 << level
        let kernelH = (height + bins - 1) / bins, kernelW = (width + bins - 1) / bins
        var p = Caffe_PoolingParameter()
        p.kernelH = UInt32(kernelH)
        p.kernelW = UInt32(kernelW)
        p.strideH = UInt32(kernelH)
        p.strideW = UInt32(kernelW)
        p.padH = UInt32((kernelH * bins - height + 1) / 2)
        p.padW = UInt32((kernelW * bins - width + 1) / 2)
        switch parameter.sppParam.pool {
        case .max: p.pool = .max
        case .ave: p.pool = .ave
        case .stochastic: throw error("pool: STOCHASTIC is not supported")
        }
        var layer = Caffe_LayerParameter()
        layer.name = "\(name) level \(level)"
        layer.type = "Pooling"
        layer.phase = phase
        layer.poolingParam = p
        return layer
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        // spp_layer.cpp Reshape: CHECK_EQ(4, bottom[0]->num_axes()).
        guard bottom[0].numAxes == 4 else {
            throw error("the bottom must have 4 axes (num, channels, height, width), got shape \(bottom[0].shape)")
        }
        let (height, width) = (bottom[0].dim(2), bottom[0].dim(3))
        guard height > 0, width > 0 else { throw error("the input height and width cannot be zero (shape \(bottom[0].shape))") }
        let shared = try levelBottom ?? Blob()
        try reshapeBlob(shared, bottom[0].shape, what: "level input")
        do { try shared.shareData(with: bottom[0]) } catch { throw self.error("\(error)") }
        levelBottom = shared
        // Caffe rebuilds the pooling layers when the bottom shape changes.
        if builtFor != bottom[0].shape {
            let pyramidHeight = Int(parameter.sppParam.pyramidHeight)
            levels = []
            pooled = []
            for level in 0..<pyramidHeight {
                let layer = try PoolingLayer(parameter: try poolingParameter(level: level, height: bottom[0].dim(2), width: width),
                                             context: LayerContext(random: random, options: options))
                let output = try Blob()
                do { try layer.setUp(bottom: [shared], top: [output]) } catch { throw self.error("pyramid level \(level): \(error)") }
                levels.append(layer)
                pooled.append(output)
            }
            builtFor = bottom[0].shape
        } else {
            for (layer, output) in zip(levels, pooled) { try layer.reshape(bottom: [shared], top: [output]) }
        }
        if levels.count == 1 {
            try reshapeBlob(top[0], pooled[0].shape)
        } else {
            let perItem = pooled.reduce(0) { $0 + $1.count(from: 1) }
            try reshapeBlob(top[0], [bottom[0].dim(0), perItem])
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let shared = levelBottom else { return }
        for (layer, output) in zip(levels, pooled) { try layer.runForward(bottom: [shared], top: [output]) }
        let num = bottom[0].dim(0), perItem = top[0].count(from: 1), y = top[0].data
        var offset = 0
        for output in pooled {
            let size = output.count(from: 1)
            for n in 0..<num { (y + n * perItem + offset).update(from: output.data + n * size, count: size) }
            offset += size
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard propagateDown[0], let shared = levelBottom else { return }
        let num = bottom[0].dim(0), perItem = top[0].count(from: 1), dy = top[0].diff
        let dx = bottom[0].diff, count = bottom[0].count
        dx.update(repeating: 0, count: count)
        var offset = 0
        for (layer, output) in zip(levels, pooled) {
            let size = output.count(from: 1)
            for n in 0..<num { (output.diff + n * size).update(from: dy + n * perItem + offset, count: size) }
            offset += size
            try layer.backward(top: [output], propagateDown: [true], bottom: [shared])
            let levelDiff = shared.diff
            for i in 0..<count { dx[i] += levelDiff[i] }
        }
    }
}
