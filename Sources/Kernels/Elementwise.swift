import Foundation

/// Element-wise loops over raw pointers, parallel for large counts. Each has the meaning of the
/// Caffe math function named in its comment (src/caffe/util/math_functions.cpp).
public enum Elementwise {
    static let grain = 1 << 15

    /// caffe_set
    @inline(__always)
    public static func fill(_ n: Int, _ value: Float, _ y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        y.update(repeating: value, count: n)
    }

    /// caffe_copy (no-op when source and destination are the same memory)
    @inline(__always)
    public static func copy(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        guard n > 0, UnsafePointer(y) != x else { return }
        y.update(from: x, count: n)
    }

    /// caffe_add: z = x + y
    public static func add(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { z[i] = x[i] + y[i] } }
    }

    /// caffe_sub: z = x - y
    public static func subtract(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { z[i] = x[i] - y[i] } }
    }

    /// caffe_mul: z = x * y
    public static func multiply(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { z[i] = x[i] * y[i] } }
    }

    /// caffe_div: z = x / y
    public static func divide(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ z: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { z[i] = x[i] / y[i] } }
    }

    /// caffe_cpu_scale: y = alpha * x
    public static func scaled(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { y[i] = alpha * x[i] } }
    }

    /// caffe_add_scalar: y += alpha
    public static func addScalar(_ n: Int, _ alpha: Float, _ y: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain) { r in for i in r { y[i] += alpha } }
    }

    /// caffe_powx: y = x ^ power
    public static func power(_ n: Int, _ x: UnsafePointer<Float>, _ power: Float, _ y: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain / 8) { r in for i in r { y[i] = powf(x[i], power) } }
    }

    /// caffe_exp: y = exp(x)
    public static func exp(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(n, minimumPerChunk: grain / 8) { r in for i in r { y[i] = expf(x[i]) } }
    }

    /// Sum accumulated in double.
    public static func sum(_ n: Int, _ x: UnsafePointer<Float>) -> Double {
        var s = 0.0
        for i in 0..<n { s += Double(x[i]) }
        return s
    }
}
