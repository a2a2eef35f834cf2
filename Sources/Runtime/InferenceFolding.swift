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
    /// Nets that train: a BatchNorm using batch statistics, with the Scale and ReLU after it,
    /// whose result only a Convolution reads is computed by that convolution as it reads its
    /// input and recomputed in its backward instead of being stored (the memory-efficient
    /// DenseNet). The chain's layers do not run; their tops are not computed.
    public var recomputeBatchNorm: Bool
    /// TEST nets without backward: blobs whose lifetimes do not overlap share memory (see
    /// `MemoryPlan`). Only the net's inputs and outputs keep their values after a forward pass,
    /// so this is off unless asked for (tools that read only the outputs turn it on).
    public var reuseMemory: Bool
    /// Nets that train: the first top of a Split whose reader writes its gradient shares the
    /// Split bottom's gradient memory, and the Split adds the other tops' gradients to it: one
    /// gradient array less per Split (42 in DSOD300, each as large as a dense block's output).
    /// That top's diff then reads as the sum after backward.
    public var shareSplitDiff: Bool

    public init(foldBatchNorm: Bool = true, recomputeBatchNorm: Bool = true, reuseMemory: Bool = false,
                shareSplitDiff: Bool = true) {
        self.foldBatchNorm = foldBatchNorm
        self.recomputeBatchNorm = recomputeBatchNorm
        self.reuseMemory = reuseMemory
        self.shareSplitDiff = shareSplitDiff
    }

    /// The default: folding and recomputation, which keep every output and every blob that a
    /// running layer writes.
    public static var all: NetOptimizations { NetOptimizations() }
    /// The default plus memory reuse, for callers that read only the net's outputs.
    public static var outputsOnly: NetOptimizations { NetOptimizations(reuseMemory: true) }
    /// Everything off: every layer runs as in Caffe.
    public static var none: NetOptimizations {
        NetOptimizations(foldBatchNorm: false, recomputeBatchNorm: false, shareSplitDiff: false)
    }
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

/// A layer whose first top may write its gradient into the bottom's (Split).
public protocol FirstTopDiffSharing: Layer {
    /// Set by the Net when the reader of the first top overwrites its diff every backward.
    var sharesFirstTopDiff: Bool { get set }
}

/// A convolution that can take over the channel chain after its output or before its input.
public protocol ChannelFoldingLayer: Layer {
    /// Takes over `chain`, which reads this layer's output: from now on the layer writes the
    /// chain's result. Returns false (and changes nothing) when it cannot.
    func foldOutput(_ chain: FoldedChannelChain) -> Bool
    /// Takes over `chain`, whose result is this layer's input: from now on the layer reads the
    /// chain's input and applies the chain itself. Returns false when it cannot.
    func foldInput(_ chain: FoldedChannelChain) -> Bool
    /// The same in a net that trains, for `layers` in order (a BatchNorm with batch statistics,
    /// then a Scale and a ReLU): the layer also runs their backward. Returns false when it cannot.
    func foldTrainingInput(_ layers: [Layer]) -> Bool
}

extension Net {
    /// A blob's value between two writes: the blob and the layer that wrote it (-1: an input).
    private struct Value: Hashable {
        var blob: Int
        var producer: Int
    }

    /// Folds BatchNorm/Scale/ReLU chains into the convolutions next to them (see
    /// `NetOptimizations`). In a TEST net without backward, post-folds (into the convolution that
    /// produces the chain's input) come first, as they cost nothing at run time; then chains in
    /// front of convolutions. In a net that trains, batch-statistics chains in front of
    /// convolutions are recomputed by them.
    func foldChannelChains() {
        let inference = optimizations.foldBatchNorm && phase == .test && !layerNeedsBackward.contains(true)
        guard inference || optimizations.recomputeBatchNorm else { return }
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

        /// The chain in front of convolution i: walking back from its input over a ReLU and
        /// affine layers (by type), each value read by the next layer only. Returns the chain's
        /// layers in order and the chain's input blob, which must still hold the same value when
        /// the convolution runs (chain layers that write it in place stop running, so only the
        /// others count).
        func chainBefore(_ i: Int, accept: (Layer) -> Bool) -> (chain: [Int], source: Int)? {
            guard layers[i] is ChannelFoldingLayer, bottomBlobIndices[i].count == 1, topBlobIndices[i].count == 1 else { return nil }
            var value = bottomValues[i][0]
            var chain: [Int] = []
            while value.producer >= 0, consumers[value]?.count == 1, isSimple(value.producer) {
                let previous = value.producer
                let layer = layers[previous]
                guard accept(layer), layer is ChannelAffineLayer || (chain.isEmpty && layer is RectifierLayer) else { break }
                chain.insert(previous, at: 0)
                value = bottomValues[previous][0]
            }
            guard let first = chain.first else { return nil }
            let source = value.blob
            let rewritten = (first..<i).contains { j in !chain.contains(j) && topBlobIndices[j].contains(source) }
            return rewritten ? nil : (chain, source)
        }

        if inference {
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
            // Before a convolution: the same layers, applied as the convolution reads its input.
            for i in layers.indices {
                let width = bottoms[i].first.map { $0.numAxes >= 2 ? $0.shape[1] : 0 } ?? 0
                let accept: (Layer) -> Bool = { layer in
                    (layer as? ChannelAffineLayer)?.isChannelAffine(channels: width) ?? (layer is RectifierLayer)
                }
                guard let (chain, source) = chainBefore(i, accept: accept), let convolution = layers[i] as? ChannelFoldingLayer else { continue }
                let affines = chain.compactMap { layers[$0] as? ChannelAffineLayer }
                let slope = (layers[chain.last!] as? RectifierLayer)?.negativeSlope
                guard convolution.foldInput(FoldedChannelChain(affines: affines, reluSlope: slope)) else { continue }
                for j in chain { folded[j] = true }
                rebind(layer: i, bottom: source)
            }
        }

        if optimizations.recomputeBatchNorm {
            for i in layers.indices {
                guard let (chain, _) = chainBefore(i, accept: { _ in true }), let convolution = layers[i] as? ChannelFoldingLayer else { continue }
                // The longest tail of the chain the convolution takes (it must start at a BatchNorm).
                for start in chain.indices {
                    let tail = Array(chain[start...])
                    let source = bottomValues[tail[0]][0].blob
                    let rewritten = (tail[0]..<i).contains { j in !tail.contains(j) && topBlobIndices[j].contains(source) }
                    guard !rewritten, convolution.foldTrainingInput(tail.map { layers[$0] }) else { continue }
                    for j in tail { folded[j] = true }
                    rebind(layer: i, bottom: source)
                    adoptBackward(of: tail, into: i)
                    break
                }
            }
        }
        layerIsFolded = folded
    }

    /// Lets each Split share its first top's gradient with its bottom when that top's reader
    /// (after folding) writes the gradient every backward (`NetOptimizations.shareSplitDiff`).
    func shareSplitDiffs() {
        guard optimizations.shareSplitDiff else { return }
        for i in layers.indices where layerNeedsBackward[i] && !layerIsFolded[i] {
            guard let split = layers[i] as? FirstTopDiffSharing, bottomNeedsBackward[i].first == true,
                  let firstTop = topBlobIndices[i].first else { continue }
            let readers = layers.indices.filter { !layerIsFolded[$0] && bottomBlobIndices[$0].contains(firstTop) }
            guard readers.count == 1, let reader = readers.first, layerNeedsBackward[reader],
                  let slot = bottomBlobIndices[reader].firstIndex(of: firstTop), bottomNeedsBackward[reader][slot],
                  !topBlobIndices[reader].contains(firstTop) else { continue }
            split.sharesFirstTopDiff = true
        }
    }
}
