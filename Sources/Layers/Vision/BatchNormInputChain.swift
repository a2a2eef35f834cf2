import Kernels
import Runtime

/// A BatchNorm with batch statistics, optionally followed by a per-channel Scale and a ReLU, in
/// front of a Convolution of a net that trains (DenseNet's pre-activation). The convolution
/// computes the chain as it reads its input and recomputes it in backward, so the chain's tops
/// are never stored (the memory-efficient DenseNet): the chain costs one statistics pass forward
/// and two passes backward over its input, and no memory beyond a few numbers per channel.
///
/// Numbers follow the layers it replaces: batch mean and biased variance summed in double and
/// the running sums updated as batch_norm_layer.cpp `Forward_cpu`; ((x - mean) / std) · gamma +
/// beta in that order; ReLU's gradient passes where the ReLU's input is > 0 (relu_layer.cpp);
/// Scale's diff quirk (scale_layer.cpp, see ScaleLayer) and BatchNorm's batch-mode backward.
final class BatchNormInputChain {
    let batchNorm: BatchNormLayer
    let scale: ScaleLayer?
    /// The ReLU's negative slope when the chain ends in one.
    let slope: Float?

    private var num = 0, channels = 0, spatial = 0
    private let mean = ScratchBuffer<Float>()
    private let std = ScratchBuffer<Float>()
    private let variance = ScratchBuffer<Float>()
    private let ones = ScratchBuffer<Float>()
    private let zeros = ScratchBuffer<Float>()

    /// The chain of `layers` (BatchNorm, then optionally Scale, then optionally ReLU), or nil
    /// when they are not such a chain.
    init?(layers: [Layer]) {
        guard let first = layers.first as? BatchNormLayer, !first.usesGlobalStatistics else { return nil }
        batchNorm = first
        var rest = layers.dropFirst()
        if let scaleLayer = rest.first as? ScaleLayer {
            guard scaleLayer.isChannelAffine(channels: first.channelCount) else { return nil }
            scale = scaleLayer
            rest = rest.dropFirst()
        } else {
            scale = nil
        }
        if let relu = rest.first as? ReLULayer {
            slope = relu.negativeSlope
            rest = rest.dropFirst()
        } else {
            slope = nil
        }
        guard rest.isEmpty else { return nil }
    }

    /// Whether backward must run through the chain for its Scale's parameters alone.
    var scaleNeedsGradient: Bool {
        guard let scale else { return false }
        return scale.parameterPropagateDown.contains(true)
    }

    /// Batch statistics of `input`, the BatchNorm's running sums updated; returns the transform
    /// the convolution applies to its input.
    func forward(_ input: Blob) throws -> ChannelTransform {
        guard input.numAxes >= 2, input.dim(1) == batchNorm.channelCount else {
            throw batchNorm.error("the bottom \(input.shape) does not have the \(batchNorm.channelCount) channels of the statistics")
        }
        num = input.dim(0)
        channels = input.dim(1)
        spatial = input.count / max(1, num * channels)
        for buffer in [mean, std, variance, ones, zeros] { buffer.resize(channels) }
        BatchNormLayer.batchStatistics(input.readOnlyData, num: num, channels: channels, spatial: spatial,
                                       mean: mean.pointer, variance: variance.pointer)
        batchNorm.accumulateRunningStatistics(mean: mean.pointer, variance: variance.pointer, count: num * spatial)
        let eps = batchNorm.epsilon
        for c in 0..<channels { std.pointer[c] = (variance.pointer[c] + eps).squareRoot() }
        ones.pointer.update(repeating: 1, count: channels)
        zeros.pointer.update(repeating: 0, count: channels)
        return transform
    }

    /// The transform of the last forward (the batch statistics it computed).
    var transform: ChannelTransform {
        let (gamma, beta) = coefficients
        return ChannelTransform(mean: UnsafePointer(mean.pointer), std: UnsafePointer(std.pointer), scale: gamma, shift: beta,
                                relu: slope != nil, slope: slope ?? 0)
    }

    private var coefficients: (gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>) {
        guard let scale else { return (UnsafePointer(ones.pointer), UnsafePointer(zeros.pointer)) }
        return (scale.blobs[0].readOnlyData, scale.biasBlob?.readOnlyData ?? UnsafePointer(zeros.pointer))
    }

    /// From `chainDiff`, the gradient of the chain's output (the convolution's input gradient,
    /// num x channels x spatial): adds the Scale's parameter gradients and writes the gradient of
    /// the chain's input into `bottomDiff` when given.
    func backward(input x: UnsafePointer<Float>, chainDiff dy: UnsafePointer<Float>, bottomDiff dx: UnsafeMutablePointer<Float>?) {
        let (num, channels, spatial) = (self.num, self.channels, self.spatial)
        let (gamma, beta) = coefficients
        let mean = UnsafePointer(self.mean.pointer), std = UnsafePointer(self.std.pointer)
        let slope = self.slope
        let m = Double(num * spatial)
        var scaleSums = [Double](repeating: 0, count: channels), biasSums = [Double](repeating: 0, count: channels)
        scaleSums.withUnsafeMutableBufferPointer { scaleSums in
            biasSums.withUnsafeMutableBufferPointer { biasSums in
                let (scaleOut, biasOut) = (scaleSums.baseAddress!, biasSums.baseAddress!)
                KernelThreads.parallelForEach(channels) { c in
                    let mu = mean[c], sigma = std[c], a = gamma[c], b = beta[c]
                    // Pass 1: the ReLU's and Scale's backward, and BatchNorm's two sums.
                    var sums = (0.0, 0.0, 0.0, 0.0)
                    for n in 0..<num {
                        let offset = (n * channels + c) * spatial
                        ChannelOps.chainBackwardSums(x + offset, dy + offset, count: spatial, mean: mu, std: sigma,
                                                     scale: a, shift: b, slope: slope, sums: &sums)
                    }
                    scaleOut[c] = sums.1
                    biasOut[c] = sums.0
                    guard let dx else { return }
                    // Pass 2: BatchNorm's batch-mode backward.
                    let meanD = Float(sums.2 / m), meanDX = Float(sums.3 / m)
                    for n in 0..<num {
                        let offset = (n * channels + c) * spatial
                        ChannelOps.chainBackwardApply(x + offset, dy + offset, dx + offset, count: spatial, mean: mu, std: sigma,
                                                      scale: a, shift: b, slope: slope, meanD: meanD, meanDX: meanDX)
                    }
                }
            }
        }
        scale?.addParameterDiffs(scaleSums: scaleSums, biasSums: biasSums, num: num, spatial: spatial)
    }
}
