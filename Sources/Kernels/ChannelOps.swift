import CKernels

/// Per-channel loops of BatchNorm/Scale/ReLU (Sources/CKernels/channel_ops.c, AVX-512 when the
/// CPU has it): sums in double, element-wise operations in float in Caffe's order.
public enum ChannelOps {
    /// Σ x[i] in double.
    @inline(__always)
    public static func sum(_ x: UnsafePointer<Float>, count: Int) -> Double { ck_sum(x, count) }

    /// Σ (x[i] - mean)² in double, the difference taken in float.
    @inline(__always)
    public static func centeredSquareSum(_ x: UnsafePointer<Float>, mean: Float, count: Int) -> Double {
        ck_centered_square_sum(x, mean, count)
    }

    /// Gradient sums of ((x - mean) / std) · scale + shift followed by an optional ReLU: with
    /// x̂ = (x - mean) / std, g = dy masked by the ReLU and d = g · scale, adds Σg, Σg·x̂, Σd, Σd·x̂.
    @inline(__always)
    public static func chainBackwardSums(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, count: Int, mean: Float, std: Float,
                                         scale: Float, shift: Float, slope: Float?, sums: inout (Double, Double, Double, Double)) {
        var values = [sums.0, sums.1, sums.2, sums.3]
        values.withUnsafeMutableBufferPointer { buffer in
            ck_chain_backward_sums(x, dy, count, mean, std, scale, shift, slope == nil ? 0 : 1, slope ?? 0, buffer.baseAddress)
        }
        sums = (values[0], values[1], values[2], values[3])
    }

    /// dx = (d - meanD - meanDX · x̂) / std: BatchNorm's batch-mode backward of the chain above.
    @inline(__always)
    public static func chainBackwardApply(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>,
                                          count: Int, mean: Float, std: Float, scale: Float, shift: Float, slope: Float?,
                                          meanD: Float, meanDX: Float) {
        ck_chain_backward_apply(x, dy, dx, count, mean, std, scale, shift, slope == nil ? 0 : 1, slope ?? 0, meanD, meanDX)
    }
}
