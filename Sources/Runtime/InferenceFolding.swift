/// Speed and memory switches of a `Net` whose results equal the plain net's within float
/// rounding. They only act where they cannot change what a caller observes through the net's
/// outputs (e.g. folding needs a TEST net that runs no backward).
public struct NetOptimizations: Sendable, Equatable {
    /// TEST nets without backward: a BatchNorm with stored statistics, a per-channel Scale and a
    /// ReLU right after a Convolution are folded into its weights, bias and output; such a chain
    /// in front of a Convolution (DenseNet's pre-activation) is applied as the convolution reads
    /// its input. The folded layers do not run: their top blobs are not computed (the chain's
    /// last top still is, by the convolution).
    public var foldBatchNorm: Bool

    public init(foldBatchNorm: Bool = true) {
        self.foldBatchNorm = foldBatchNorm
    }

    /// Everything on (the default).
    public static var all: NetOptimizations { NetOptimizations() }
    /// Everything off: every layer runs as in Caffe.
    public static var none: NetOptimizations { NetOptimizations(foldBatchNorm: false) }
}

/// A layer whose output is `x · scale[c] + shift[c]` per channel of axis 1 in its current
/// configuration (BatchNorm with stored statistics, Scale with a learned per-channel scale).
public protocol ChannelAffineLayer: Layer {
    /// Whether the layer is such a map for a bottom with `channels` channels on axis 1.
    func isChannelAffine(channels: Int) -> Bool
    /// The map's coefficients (`channels` each), computed from the current blobs.
    func channelAffine(channels: Int) -> (scale: [Double], shift: [Double])
    /// Stamps of the blobs the coefficients come from (see `Blob.dataStamp`).
    var channelAffineStamps: [BlobStamp] { get }
}

/// A layer computing `max(x, 0) + negativeSlope · min(x, 0)` element-wise (ReLU).
public protocol RectifierLayer: Layer {
    var negativeSlope: Float { get }
}

/// Per-channel affine layers, optionally ending in a ReLU, taken over by a convolution.
public struct FoldedChannelChain {
    public let affines: [ChannelAffineLayer]
    /// The ReLU's negative slope when the chain ends in one.
    public let reluSlope: Float?

    /// The composed map x → x · scale + shift (before the ReLU), in double.
    public func coefficients(channels: Int) -> (scale: [Double], shift: [Double]) {
        var scale = [Double](repeating: 1, count: channels), shift = [Double](repeating: 0, count: channels)
        for layer in affines {
            let (a, b) = layer.channelAffine(channels: channels)
            for c in 0..<channels {
                scale[c] *= a[c]
                shift[c] = shift[c] * a[c] + b[c]
            }
        }
        return (scale, shift)
    }

    public var stamps: [BlobStamp] { affines.flatMap(\.channelAffineStamps) }
}

/// A convolution that can take over the channel chain after its output or before its input.
public protocol ChannelFoldingLayer: Layer {
    /// Takes over `chain`, which reads this layer's output: from now on the layer writes the
    /// chain's result. Returns false (and changes nothing) when it cannot.
    func foldOutput(_ chain: FoldedChannelChain) -> Bool
    /// Takes over `chain`, whose result is this layer's input: from now on the layer reads the
    /// chain's input and applies the chain itself. Returns false when it cannot.
    func foldInput(_ chain: FoldedChannelChain) -> Bool
}

extension Net {
    /// A blob's value between two writes: the blob and the layer that wrote it (-1: an input).
    private struct Value: Hashable {
        var blob: Int
        var producer: Int
    }

    /// Folds BatchNorm/Scale/ReLU chains into the convolutions next to them (see
    /// `NetOptimizations.foldBatchNorm`). Post-folds (into the convolution that produces the
    /// chain's input) come first, as they cost nothing at run time.
    func foldChannelChains() {
        guard phase == .test, !layerNeedsBackward.contains(true) else { return }
        var consumers: [Value: [Int]] = [:]
        var bottomValues: [[Value]] = []
        var current: [Int: Int] = [:]
        for i in layers.indices {
            var values: [Value] = []
            for blob in bottomBlobIndices[i] {
                let value = Value(blob: blob, producer: current[blob] ?? -1)
                consumers[value, default: []].append(i)
                values.append(value)
            }
            bottomValues.append(values)
            for blob in topBlobIndices[i] { current[blob] = i }
        }
        var folded = Array(repeating: false, count: layers.count)
        func isSimple(_ i: Int) -> Bool { bottomBlobIndices[i].count == 1 && topBlobIndices[i].count == 1 && !folded[i] }
        func channels(_ i: Int) -> Int { tops[i][0].numAxes >= 2 ? tops[i][0].shape[1] : 0 }

        // After a convolution: affines, then at most one ReLU, each the only reader of the value before it.
        for i in layers.indices {
            guard let convolution = layers[i] as? ChannelFoldingLayer, isSimple(i) else { continue }
            let width = channels(i)
            var value = Value(blob: topBlobIndices[i][0], producer: i)
            var chain: [Int] = [], affines: [ChannelAffineLayer] = [], slope: Float?
            while slope == nil, let readers = consumers[value], readers.count == 1, isSimple(readers[0]), readers[0] > i {
                let next = readers[0]
                if let affine = layers[next] as? ChannelAffineLayer, affine.isChannelAffine(channels: width) {
                    affines.append(affine)
                } else if let relu = layers[next] as? RectifierLayer {
                    slope = relu.negativeSlope
                } else {
                    break
                }
                chain.append(next)
                value = Value(blob: topBlobIndices[next][0], producer: next)
            }
            guard let last = chain.last, convolution.foldOutput(FoldedChannelChain(affines: affines, reluSlope: slope)) else { continue }
            for j in chain { folded[j] = true }
            retarget(layer: i, top: topBlobIndices[last][0])
        }

        // Before a convolution: walk back from its input over a ReLU and affines, each value read
        // by the next layer only, to the chain's input, which must still hold the same value.
        for i in layers.indices {
            guard let convolution = layers[i] as? ChannelFoldingLayer, bottomBlobIndices[i].count == 1, topBlobIndices[i].count == 1 else { continue }
            let width = bottoms[i][0].numAxes >= 2 ? bottoms[i][0].shape[1] : 0
            var value = bottomValues[i][0]
            var chain: [Int] = [], affines: [ChannelAffineLayer] = [], slope: Float?
            while value.producer >= 0, consumers[value]?.count == 1, isSimple(value.producer) {
                let previous = value.producer
                if let affine = layers[previous] as? ChannelAffineLayer, affine.isChannelAffine(channels: width) {
                    affines.insert(affine, at: 0)
                } else if chain.isEmpty, let relu = layers[previous] as? RectifierLayer {
                    slope = relu.negativeSlope
                } else {
                    break
                }
                chain.insert(previous, at: 0)
                value = bottomValues[previous][0]
            }
            guard let first = chain.first, !affines.isEmpty || slope != nil else { continue }
            // The chain's input must not be rewritten between the chain's start and this layer.
            let source = value.blob
            // (Chain layers that write it in place stop running, so only the others count.)
            let rewritten = (first..<i).contains { j in !chain.contains(j) && topBlobIndices[j].contains(source) }
            guard !rewritten, convolution.foldInput(FoldedChannelChain(affines: affines, reluSlope: slope)) else { continue }
            for j in chain { folded[j] = true }
            rebind(layer: i, bottom: source)
        }
        layerIsFolded = folded
    }
}
