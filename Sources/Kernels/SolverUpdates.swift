import Foundation

/// The per-parameter arithmetic of Caffe's solvers (src/caffe/solvers/*.cpp, CPU paths), one
/// pass over raw buffers each. `g` is the parameter's diff (the regularized gradient on entry,
/// the step to subtract on exit); `h`, `h2` are the solver's history blobs. Operation order and
/// float32 intermediates follow Caffe's sequence of caffe_* calls.
public enum SolverUpdates {
    /// SGD with momentum: h = lr·g + momentum·h; g = h.
    public static func sgd(count n: Int, g: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                           momentum: Float, rate: Float) {
        for i in 0..<n {
            h[i] = rate * g[i] + momentum * h[i]
            g[i] = h[i]
        }
    }

    /// Nesterov: h' = lr·g + momentum·h; g = (1+momentum)·h' − momentum·h.
    public static func nesterov(count n: Int, g: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                                momentum: Float, rate: Float) {
        for i in 0..<n {
            let previous = h[i]
            h[i] = rate * g[i] + momentum * h[i]
            g[i] = (1 + momentum) * h[i] + -momentum * previous
        }
    }

    /// AdaGrad: h += g²; g = lr·g / (sqrt(h) + delta).
    public static func adaGrad(count n: Int, g: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                               delta: Float, rate: Float) {
        for i in 0..<n {
            h[i] = g[i] * g[i] + h[i]
            let update = g[i] / (h[i].squareRoot() + delta)
            g[i] = rate * update
        }
    }

    /// RMSProp: h = (1−decay)·g² + decay·h; g = lr·g / (sqrt(h) + delta).
    public static func rmsProp(count n: Int, g: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                               rmsDecay: Float, delta: Float, rate: Float) {
        let keep = 1 - rmsDecay
        for i in 0..<n {
            h[i] = keep * (g[i] * g[i]) + rmsDecay * h[i]
            let update = g[i] / (h[i].squareRoot() + delta)
            g[i] = rate * update
        }
    }

    /// AdaDelta (`momentum` is ρ): h = (1−ρ)g² + ρh; s = g·sqrt((h2+δ)/(h+δ)); h2 = (1−ρ)s² + ρh2;
    /// g = lr·s — the rate applies after h2 is updated.
    public static func adaDelta(count n: Int, g: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>,
                                h2: UnsafeMutablePointer<Float>, momentum: Float, delta: Float, rate: Float) {
        let keep = 1 - momentum
        for i in 0..<n {
            h[i] = keep * (g[i] * g[i]) + momentum * h[i]
            let ratio = (delta + h2[i]) / (delta + h[i])
            let s = g[i] * ratio.squareRoot()
            h2[i] = keep * (s * s) + momentum * h2[i]
            g[i] = rate * s
        }
    }

    /// Adam (Caffe's form, ε outside the root): m = (1−β1)g + β1·m; v = (1−β2)g² + β2·v;
    /// g = lr·correction · m / (sqrt(v) + ε), correction = sqrt(1−β2^t)/(1−β1^t).
    public static func adam(count n: Int, g: UnsafeMutablePointer<Float>, m: UnsafeMutablePointer<Float>,
                            v: UnsafeMutablePointer<Float>, beta1: Float, beta2: Float, epsilon: Float,
                            rate: Float, step t: Int) {
        // pow(Dtype, int) promotes to double in C++; the quotient is stored as float.
        let correction = Float((1 - Double(pow(Double(beta2), Double(t)))).squareRoot()
                                   / (1 - pow(Double(beta1), Double(t))))
        let scale = rate * correction
        for i in 0..<n {
            m[i] = (1 - beta1) * g[i] + beta1 * m[i]
            v[i] = (1 - beta2) * (g[i] * g[i]) + beta2 * v[i]
            let update = m[i] / (v[i].squareRoot() + epsilon)
            g[i] = scale * update
        }
    }

    /// L2 weight decay: g += decay·w.
    public static func decayL2(count n: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>, decay: Float) {
        for i in 0..<n { g[i] += decay * w[i] }
    }

    /// L1 weight decay: g += decay·sign(w), sign(0) = 0 (caffe_cpu_sign).
    public static func decayL1(count n: Int, w: UnsafePointer<Float>, g: UnsafeMutablePointer<Float>, decay: Float) {
        for i in 0..<n {
            let sign: Float = w[i] > 0 ? 1 : (w[i] < 0 ? -1 : 0)
            g[i] += decay * sign
        }
    }

    /// x *= factor.
    public static func scale(count n: Int, _ x: UnsafeMutablePointer<Float>, by factor: Float) {
        for i in 0..<n { x[i] *= factor }
    }

    /// Σ x², accumulated in float as Caffe's caffe_cpu_dot does through cblas_sdot.
    public static func sumOfSquares(count n: Int, _ x: UnsafePointer<Float>) -> Float {
        var sum: Float = 0
        for i in 0..<n { sum += x[i] * x[i] }
        return sum
    }

    /// w −= g (Blob::Update).
    public static func applyStep(count n: Int, w: UnsafeMutablePointer<Float>, g: UnsafePointer<Float>) {
        for i in 0..<n { w[i] -= g[i] }
    }
}
