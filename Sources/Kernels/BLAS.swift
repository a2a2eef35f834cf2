import COpenBLAS

/// Matrix transposition flag for `Gemm`/`Gemv`, as in cblas.
public enum Transpose: Sendable {
    case none
    case transpose

    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// Row-major single-precision BLAS, with the argument order of Caffe's `caffe_cpu_gemm` /
/// `caffe_cpu_gemv` (src/caffe/util/math_functions.cpp), so layer code reads like Caffe's.
public enum BLAS {
    /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C. Row-major, tightly packed operands.
    /// Large products are split into column (or row) blocks computed concurrently.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
        beta: Float, c: UnsafeMutablePointer<Float>
    ) {
        let lda = transA == .none ? k : m
        let ldb = transB == .none ? n : k
        gemm(transA, transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: n)
    }

    /// General form with leading dimensions.
    public static func gemm(
        _ transA: Transpose, _ transB: Transpose, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        KernelThreads.configureBLAS()
        if k == 0 {
            // cblas leaves C scaled by beta when k is 0; keep that explicit.
            for row in 0..<m { scale(n, beta, c + row * ldc) }
            return
        }
        let workers = KernelThreads.count
        let work = m * n * k
        if workers > 1 && work >= 1 << 18 {
            if n >= m && n >= 2 * 16 {
                // Split the columns of C (and of op(B)).
                let blocks = min(workers, n / 16)
                let width = (n + blocks - 1) / blocks
                KernelThreads.parallelForEach(blocks) { block in
                    let start = block * width
                    let count = min(n, start + width) - start
                    guard count > 0 else { return }
                    let bStart = transB == .none ? b + start : b + start * ldb
                    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(count), Int32(k),
                                alpha, a, Int32(lda), bStart, Int32(ldb), beta, c + start, Int32(ldc))
                }
                return
            } else if m >= 2 * 8 {
                // Split the rows of C (and of op(A)).
                let blocks = min(workers, m / 8)
                let height = (m + blocks - 1) / blocks
                KernelThreads.parallelForEach(blocks) { block in
                    let start = block * height
                    let count = min(m, start + height) - start
                    guard count > 0 else { return }
                    let aStart = transA == .none ? a + start * lda : a + start
                    cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(count), Int32(n), Int32(k),
                                alpha, aStart, Int32(lda), b, Int32(ldb), beta, c + start * ldc, Int32(ldc))
                }
                return
            }
        }
        cblas_sgemm(CblasRowMajor, transA.cblas, transB.cblas, Int32(m), Int32(n), Int32(k),
                    alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// y = alpha · op(A) · x + beta · y, A row-major m×n.
    public static func gemv(
        _ transA: Transpose, m: Int, n: Int, alpha: Float, a: UnsafePointer<Float>,
        x: UnsafePointer<Float>, beta: Float, y: UnsafeMutablePointer<Float>
    ) {
        guard m > 0, n > 0 else {
            let length = transA == .none ? m : n
            if length > 0 { scale(length, beta, y) }
            return
        }
        KernelThreads.configureBLAS()
        cblas_sgemv(CblasRowMajor, transA.cblas, Int32(m), Int32(n), alpha, a, Int32(n), x, 1, beta, y, 1)
    }

    /// y += alpha · x.
    @inline(__always)
    public static func axpy(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// y = alpha · x + beta · y.
    @inline(__always)
    public static func axpby(_ n: Int, _ alpha: Float, _ x: UnsafePointer<Float>, _ beta: Float, _ y: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        scale(n, beta, y)
        cblas_saxpy(Int32(n), alpha, x, 1, y, 1)
    }

    /// x *= alpha (alpha 0 writes exact zeros, unlike a multiply which keeps NaN).
    @inline(__always)
    public static func scale(_ n: Int, _ alpha: Float, _ x: UnsafeMutablePointer<Float>) {
        guard n > 0 else { return }
        if alpha == 0 {
            x.update(repeating: 0, count: n)
        } else if alpha != 1 {
            cblas_sscal(Int32(n), alpha, x, 1)
        }
    }

    /// Dot product, accumulated in double to stay close to an exact sum.
    @inline(__always)
    public static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        Float(dotDouble(n, x, 1, y, 1))
    }

    /// Strided dot product accumulated in double.
    @inline(__always)
    public static func dotDouble(_ n: Int, _ x: UnsafePointer<Float>, _ incx: Int, _ y: UnsafePointer<Float>, _ incy: Int) -> Double {
        var sum = 0.0
        var i = 0
        while i < n {
            sum += Double(x[i * incx]) * Double(y[i * incy])
            i += 1
        }
        return sum
    }

    /// Sum of absolute values, accumulated in double.
    @inline(__always)
    public static func asum(_ n: Int, _ x: UnsafePointer<Float>) -> Float {
        var sum = 0.0
        for i in 0..<n { sum += Double(abs(x[i])) }
        return Float(sum)
    }
}
