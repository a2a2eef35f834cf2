import Foundation

/// The per-element math of Caffe's loss layers that the SSD layers need (SmoothL1Loss,
/// EuclideanLoss, SoftmaxWithLoss, SigmoidCrossEntropyLoss), as loops over raw pointers.
/// Per-element values are float as in Caffe's `Dtype` code; sums are accumulated in double
/// (closer to the exact value than Caffe's float sums, within every golden tolerance).
public enum LossMath {
    /// SmoothL1Loss forward (src/caffe/layers/smooth_L1_loss_layer.cpp): `d = a - b` is written
    /// to `difference`; returns the sum of `0.5 d²` where `|d| < 1`, else `|d| - 0.5` (the
    /// transition is fixed at 1: this fork has no sigma).
    public static func smoothL1(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                difference: UnsafeMutablePointer<Float>) -> Double {
        var sum = 0.0
        for i in 0..<n {
            let d = a[i] - b[i]
            difference[i] = d
            let magnitude = abs(d)
            // Caffe: `0.5 * val * val` and `abs_val - 0.5` are double expressions stored as float.
            let error = magnitude < 1 ? Float(0.5 * Double(d) * Double(d)) : Float(Double(magnitude) - 0.5)
            sum += Double(error)
        }
        return sum
    }

    /// SmoothL1Loss's derivative, in place: `d` where `|d| < 1`, else `sign(d)`.
    public static func smoothL1Derivative(_ n: Int, _ difference: UnsafeMutablePointer<Float>) {
        for i in 0..<n {
            let d = difference[i]
            if !(abs(d) < 1) { difference[i] = d > 0 ? 1 : (d < 0 ? -1 : 0) }
        }
    }

    /// EuclideanLoss forward without the `1 / (2 num)` factor: `d = a - b` is written to
    /// `difference`; returns `Σ d²`.
    public static func squaredDifference(_ n: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                                         difference: UnsafeMutablePointer<Float>) -> Double {
        var sum = 0.0
        for i in 0..<n {
            let d = a[i] - b[i]
            difference[i] = d
            sum += Double(d) * Double(d)
        }
        return sum
    }

    /// SoftmaxWithLoss's loss over rows of probabilities: `-Σ log(max(p[label], FLT_MIN))`.
    /// `labels` holds one class index per row, already checked to be in `0..<classes`.
    public static func softmaxLoss(rows: Int, classes: Int, probabilities: UnsafePointer<Float>,
                                   labels: UnsafePointer<Float>) -> Double {
        var loss = 0.0
        for r in 0..<rows {
            let p = probabilities[r * classes + Int(labels[r])]
            loss -= Double(logf(max(p, Float.leastNormalMagnitude)))
        }
        return loss
    }

    /// SoftmaxWithLoss's gradient: `p - onehot(label)`, times `scale`.
    public static func softmaxLossGradient(rows: Int, classes: Int, probabilities: UnsafePointer<Float>,
                                           labels: UnsafePointer<Float>, scale: Float,
                                           gradient: UnsafeMutablePointer<Float>) {
        gradient.update(from: probabilities, count: rows * classes)
        for r in 0..<rows { gradient[r * classes + Int(labels[r])] -= 1 }
        if scale != 1 { for i in 0..<(rows * classes) { gradient[i] *= scale } }
    }

    /// Sigmoid as Caffe's Sigmoid layer computes it: `0.5 tanh(0.5 x) + 0.5`.
    public static func sigmoid(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for i in 0..<n { y[i] = 0.5 * tanhf(0.5 * x[i]) + 0.5 }
    }

    /// SigmoidCrossEntropyLoss's loss (src/caffe/layers/sigmoid_cross_entropy_loss_layer.cpp):
    /// the stable form `-Σ x (t - [x ≥ 0]) - log(1 + exp(x - 2 x [x ≥ 0]))`.
    public static func sigmoidCrossEntropy(_ n: Int, input: UnsafePointer<Float>, target: UnsafePointer<Float>) -> Double {
        var loss = 0.0
        for i in 0..<n {
            let x = input[i]
            let positive: Float = x >= 0 ? 1 : 0
            let term = x * (target[i] - positive) - logf(1 + expf(x - 2 * x * positive))
            loss -= Double(term)
        }
        return loss
    }

    /// SigmoidCrossEntropyLoss's gradient: `(sigmoid(x) - t)`, times `scale`.
    public static func sigmoidCrossEntropyGradient(_ n: Int, sigmoid: UnsafePointer<Float>, target: UnsafePointer<Float>,
                                                   scale: Float, gradient: UnsafeMutablePointer<Float>) {
        for i in 0..<n { gradient[i] = (sigmoid[i] - target[i]) * scale }
    }
}
