import Kernels
import XCTest

/// The raw-pointer kernels against plain reference loops.
final class KernelsTests: XCTestCase {
    private var state: UInt64 = 12345
    private func random(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    /// C = op(A)·op(B) by loops, in double.
    private func reference(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, a: [Float], b: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for p in 0..<k {
                    let x = ta ? a[p * m + i] : a[i * k + p]
                    let y = tb ? b[j * k + p] : b[p * n + j]
                    sum += Double(x) * Double(y)
                }
                c[i * n + j] = Float(sum)
            }
        }
        return c
    }

    func testGemmAllTranspositionsAndSplits() {
        // Sizes below and above the threshold where the product is split over the workers.
        for (m, n, k) in [(3, 5, 4), (70, 900, 40), (900, 20, 64), (33, 17, 1)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = random(m * k), b = random(k * n)
                    var c = [Float](repeating: 0, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        b.withUnsafeBufferPointer { pb in
                            c.withUnsafeMutableBufferPointer { pc in
                                BLAS.gemm(ta ? .transpose : .none, tb ? .transpose : .none, m: m, n: n, k: k, alpha: 1,
                                          a: pa.baseAddress!, b: pb.baseAddress!, beta: 0, c: pc.baseAddress!)
                            }
                        }
                    }
                    let expected = reference(ta, tb, m: m, n: n, k: k, a: a, b: b)
                    for i in 0..<(m * n) {
                        XCTAssertEqual(c[i], expected[i], accuracy: 1e-4 * Float(k), "m\(m) n\(n) k\(k) ta\(ta) tb\(tb) at \(i)")
                    }
                }
            }
        }
    }

    func testIm2colAndCol2imAreAdjoint() {
        // <im2col(x), y> == <x, col2im(y)> for any x and y.
        let g = ConvolutionGeometry(channels: 3, height: 7, width: 6, kernelH: 3, kernelW: 2, padH: 1, padW: 2,
                                    strideH: 2, strideW: 1, dilationH: 2, dilationW: 1)
        let x = random(g.channels * g.height * g.width)
        let y = random(g.columnRows * g.columnCols)
        var columns = [Float](repeating: 0, count: y.count)
        var image = [Float](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { px in columns.withUnsafeMutableBufferPointer { Im2col.im2col(g, image: px.baseAddress!, columns: $0.baseAddress!) } }
        y.withUnsafeBufferPointer { py in image.withUnsafeMutableBufferPointer { Im2col.col2im(g, columns: py.baseAddress!, image: $0.baseAddress!) } }
        let left = zip(columns, y).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let right = zip(x, image).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(left, right, accuracy: 1e-4)
        XCTAssertEqual(g.outputHeight, 3)  // (7 + 2 - 5) / 2 + 1
        XCTAssertEqual(g.outputWidth, 9)
    }

    func testPoolingMaxFirstMaximumAndAverageDivisor() {
        // One 3x3 plane of equal values, kernel 2 stride 2 pad 1: windows clip to the image.
        let g = PoolingGeometry(height: 3, width: 3, kernelH: 2, kernelW: 2, padH: 1, padW: 1, strideH: 2, strideW: 2,
                                pooledHeight: 2, pooledWidth: 2)
        let input = [Float](repeating: 1, count: 9)
        var output = [Float](repeating: 0, count: 4)
        var argmax = [Int32](repeating: 0, count: 4)
        input.withUnsafeBufferPointer { pi in
            output.withUnsafeMutableBufferPointer { po in
                argmax.withUnsafeMutableBufferPointer { pm in
                    Pooling.maxForward(g, planes: 1, input: pi.baseAddress!, output: po.baseAddress!, argmax: pm.baseAddress!)
                }
            }
        }
        XCTAssertEqual(argmax, [0, 1, 3, 4], "the first cell of each clipped window wins ties")
        input.withUnsafeBufferPointer { pi in
            output.withUnsafeMutableBufferPointer { Pooling.averageForward(g, planes: 1, input: pi.baseAddress!, output: $0.baseAddress!) }
        }
        // Window (0,0) covers 1 image cell but divides by 4 (padded cells count); window (1,1)
        // covers rows/cols 1-2 of the image: 4 cells / 4.
        XCTAssertEqual(output, [0.25, 0.5, 0.5, 1])
    }

    func testParallelForCoversEveryIndexOnce() {
        var hits = [Int32](repeating: 0, count: 100_003)
        hits.withUnsafeMutableBufferPointer { buffer in
            let pointer = buffer.baseAddress!
            KernelThreads.parallelFor(buffer.count, minimumPerChunk: 1000) { range in
                for i in range { pointer[i] += 1 }
            }
        }
        XCTAssertTrue(hits.allSatisfy { $0 == 1 })
    }
}

/// The AVX-512 packed GEMM (PackedGemm) against loops in double: edges of every tile size,
/// rows given by offsets, the padded-output column map, accumulation and the epilogue.
final class PackedGemmTests: XCTestCase {
    private var state: UInt64 = 99
    private func random(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    func testMatchesReferenceLoops() throws {
        try XCTSkipUnless(PackedGemm.isAvailable, "no AVX-512 on this CPU")
        for (m, n, k) in [(1, 1, 1), (8, 48, 3), (9, 49, 257), (48, 5625, 70), (130, 97, 600), (3, 500, 1), (200, 30, 40)] {
            let a = random(m * k), b = random(k * n), bias = random(m), initial = random(m * n)
            let packed = PackedMatrix(rows: m, columns: k)
            a.withUnsafeBufferPointer { packed.pack($0.baseAddress!, rowStride: k, columnStride: 1) }
            for (accumulate, relu) in [(false, false), (true, true)] {
                var c = initial
                b.withUnsafeBufferPointer { pb in
                    bias.withUnsafeBufferPointer { pbias in
                        c.withUnsafeMutableBufferPointer { pc in
                            PackedGemm.multiply(packed, GemmRows(base: pb.baseAddress!, stride: n), columns: n,
                                                into: pc.baseAddress!, rowStride: n, accumulate: accumulate,
                                                epilogue: GemmEpilogue(bias: relu ? pbias.baseAddress : nil, relu: relu, slope: 0.1))
                        }
                    }
                }
                var worst: Float = 0
                for i in 0..<m {
                    for j in 0..<n {
                        var sum = 0.0
                        for p in 0..<k { sum += Double(a[i * k + p]) * Double(b[p * n + j]) }
                        var expected = Float(sum) + (accumulate ? initial[i * n + j] : 0) + (relu ? bias[i] : 0)
                        if relu && expected <= 0 { expected *= 0.1 }
                        worst = max(worst, abs(expected - c[i * n + j]))
                    }
                }
                XCTAssertLessThan(worst, 1e-4 * Float(k).squareRoot(), "m \(m) n \(n) k \(k) accumulate \(accumulate)")
            }
        }
    }

    func testTransposedPackingOffsetsAndPaddedColumns() throws {
        try XCTSkipUnless(PackedGemm.isAvailable, "no AVX-512 on this CPU")
        // A given transposed (k x m in memory); B rows in reverse order through offsets; C with a
        // pitch of 7 of which 5 columns are kept.
        let (m, k, pitch, width, lines) = (11, 13, 7, 5, 9)
        let n = (lines - 1) * pitch + width
        let aT = random(k * m), b = random(k * n)
        let packed = PackedMatrix(rows: m, columns: k)
        aT.withUnsafeBufferPointer { packed.pack($0.baseAddress!, rowStride: 1, columnStride: m) }
        let offsets = (0..<k).map { Int64((k - 1 - $0) * n) }
        var c = [Float](repeating: -7, count: m * lines * width)
        b.withUnsafeBufferPointer { pb in
            offsets.withUnsafeBufferPointer { po in
                c.withUnsafeMutableBufferPointer { pc in
                    PackedGemm.multiply(packed, GemmRows(base: pb.baseAddress!, offsets: po.baseAddress!), columns: n,
                                        into: pc.baseAddress!, rowStride: lines * width, outputPitch: pitch, outputWidth: width)
                }
            }
        }
        for i in 0..<m {
            for line in 0..<lines {
                for x in 0..<width {
                    let column = line * pitch + x
                    var sum = 0.0
                    for p in 0..<k { sum += Double(aT[p * m + i]) * Double(b[(k - 1 - p) * n + column]) }
                    XCTAssertEqual(c[i * lines * width + line * width + x], Float(sum), accuracy: 1e-5)
                }
            }
        }
    }
}
