import CKernels

/// Window geometry of 2-D pooling on one plane, with the pooled size already decided by the layer
/// (Caffe's ceil rule and clipping live in the layer, src/caffe/layers/pooling_layer.cpp Reshape).
public struct PoolingGeometry: Equatable, Sendable {
    public var height: Int
    public var width: Int
    public var kernelH: Int
    public var kernelW: Int
    public var padH: Int
    public var padW: Int
    public var strideH: Int
    public var strideW: Int
    public var pooledHeight: Int
    public var pooledWidth: Int

    public init(height: Int, width: Int, kernelH: Int, kernelW: Int, padH: Int, padW: Int,
                strideH: Int, strideW: Int, pooledHeight: Int, pooledWidth: Int) {
        self.height = height
        self.width = width
        self.kernelH = kernelH
        self.kernelW = kernelW
        self.padH = padH
        self.padW = padW
        self.strideH = strideH
        self.strideW = strideW
        self.pooledHeight = pooledHeight
        self.pooledWidth = pooledWidth
    }

    var inputPlane: Int { height * width }
    var outputPlane: Int { pooledHeight * pooledWidth }
}

public enum Pooling {
    /// MAX pooling over `planes` consecutive planes. The first maximum in row-major window order
    /// wins (strict `>`); `argmax` receives the index `h * W + w` within the plane, -1 for a
    /// window that covers no input cell.
    public static func maxForward(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>,
                                  output: UnsafeMutablePointer<Float>, argmax: UnsafeMutablePointer<Int32>) {
        if g.kernelH == 2 && g.kernelW == 2 && g.strideH == 2 && g.strideW == 2 && g.padH == 0 && g.padW == 0
            && g.pooledHeight <= (g.height + 1) / 2 && g.pooledWidth <= (g.width + 1) / 2 {
            // DSOD's pooling: a vector kernel with the same rules (Sources/CKernels/pooling.c).
            KernelThreads.parallelFor(planes, minimumPerChunk: max(1, 16384 / max(1, g.inputPlane))) { range in
                for p in range {
                    ck_max_pool_2x2(input + p * g.inputPlane, Int32(g.height), Int32(g.width), output + p * g.outputPlane,
                                    argmax + p * g.outputPlane, Int32(g.pooledHeight), Int32(g.pooledWidth))
                }
            }
            return
        }
        KernelThreads.parallelFor(planes, minimumPerChunk: max(1, 8192 / max(1, g.inputPlane))) { range in
            for p in range {
                let src = input + p * g.inputPlane
                let dst = output + p * g.outputPlane
                let idx = argmax + p * g.outputPlane
                for ph in 0..<g.pooledHeight {
                    let hStart0 = ph * g.strideH - g.padH
                    let hEnd = min(hStart0 + g.kernelH, g.height)
                    let hStart = max(hStart0, 0)
                    for pw in 0..<g.pooledWidth {
                        let wStart0 = pw * g.strideW - g.padW
                        let wEnd = min(wStart0 + g.kernelW, g.width)
                        let wStart = max(wStart0, 0)
                        var best = -Float.greatestFiniteMagnitude
                        var bestIndex: Int32 = -1
                        var h = hStart
                        while h < hEnd {
                            var w = wStart
                            while w < wEnd {
                                let index = h * g.width + w
                                let value = src[index]
                                if value > best {
                                    best = value
                                    bestIndex = Int32(index)
                                }
                                w += 1
                            }
                            h += 1
                        }
                        dst[ph * g.pooledWidth + pw] = best
                        idx[ph * g.pooledWidth + pw] = bestIndex
                    }
                }
            }
        }
    }

    /// Routes each output diff to its argmax cell (summing where windows overlap). `inputDiff`
    /// is overwritten.
    public static func maxBackward(_ g: PoolingGeometry, planes: Int, outputDiff: UnsafePointer<Float>,
                                   argmax: UnsafePointer<Int32>, inputDiff: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(planes, minimumPerChunk: max(1, 8192 / max(1, g.inputPlane))) { range in
            for p in range {
                let dst = inputDiff + p * g.inputPlane
                dst.update(repeating: 0, count: g.inputPlane)
                let src = outputDiff + p * g.outputPlane
                let idx = argmax + p * g.outputPlane
                for i in 0..<g.outputPlane {
                    let target = Int(idx[i])
                    if target >= 0 { dst[target] += src[i] }
                }
            }
        }
    }

    /// The AVE divisor of Caffe: the window clipped to H + pad / W + pad (padded cells count,
    /// but only one pad width beyond the image), before clipping to the image.
    @inline(__always)
    static func averageWindow(_ g: PoolingGeometry, ph: Int, pw: Int) -> (hStart: Int, hEnd: Int, wStart: Int, wEnd: Int, size: Int) {
        let hStart0 = ph * g.strideH - g.padH
        let wStart0 = pw * g.strideW - g.padW
        let hEnd0 = min(hStart0 + g.kernelH, g.height + g.padH)
        let wEnd0 = min(wStart0 + g.kernelW, g.width + g.padW)
        let size = (hEnd0 - hStart0) * (wEnd0 - wStart0)
        return (max(hStart0, 0), min(hEnd0, g.height), max(wStart0, 0), min(wEnd0, g.width), size)
    }

    /// AVE pooling with Caffe's divisor (see `averageWindow`).
    public static func averageForward(_ g: PoolingGeometry, planes: Int, input: UnsafePointer<Float>,
                                      output: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(planes, minimumPerChunk: max(1, 8192 / max(1, g.inputPlane))) { range in
            for p in range {
                let src = input + p * g.inputPlane
                let dst = output + p * g.outputPlane
                for ph in 0..<g.pooledHeight {
                    for pw in 0..<g.pooledWidth {
                        let win = averageWindow(g, ph: ph, pw: pw)
                        var sum: Float = 0
                        var h = win.hStart
                        while h < win.hEnd {
                            var w = win.wStart
                            while w < win.wEnd {
                                sum += src[h * g.width + w]
                                w += 1
                            }
                            h += 1
                        }
                        dst[ph * g.pooledWidth + pw] = sum / Float(win.size)
                    }
                }
            }
        }
    }

    /// Spreads each output diff / divisor over its window. `inputDiff` is overwritten.
    public static func averageBackward(_ g: PoolingGeometry, planes: Int, outputDiff: UnsafePointer<Float>,
                                       inputDiff: UnsafeMutablePointer<Float>) {
        KernelThreads.parallelFor(planes, minimumPerChunk: max(1, 8192 / max(1, g.inputPlane))) { range in
            for p in range {
                let dst = inputDiff + p * g.inputPlane
                dst.update(repeating: 0, count: g.inputPlane)
                let src = outputDiff + p * g.outputPlane
                for ph in 0..<g.pooledHeight {
                    for pw in 0..<g.pooledWidth {
                        let win = averageWindow(g, ph: ph, pw: pw)
                        let share = src[ph * g.pooledWidth + pw] / Float(win.size)
                        var h = win.hStart
                        while h < win.hEnd {
                            var w = win.wStart
                            while w < win.wEnd {
                                dst[h * g.width + w] += share
                                w += 1
                            }
                            h += 1
                        }
                    }
                }
            }
        }
    }
}
