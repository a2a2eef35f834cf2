import Kernels
import XCTest

/// ConvolutionPlan (the packed-GEMM convolution) against a direct loop, for each of its paths.
final class ConvolutionPlanTests: XCTestCase {
    private var state: UInt64 = 7
    private func random(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    /// Direct convolution of one image, in double.
    private func reference(_ g: ConvolutionGeometry, groups: Int, outputs: Int, input: [Float], weights: [Float],
                           transform: ([Float], [Float], Float?)?) -> [Float] {
        let (oh, ow) = (g.outputHeight, g.outputWidth)
        let perGroup = outputs / groups
        var out = [Float](repeating: 0, count: outputs * oh * ow)
        for o in 0..<outputs {
            let group = o / perGroup
            for y in 0..<oh {
                for x in 0..<ow {
                    var sum = 0.0
                    for c in 0..<g.channels {
                        let channel = group * g.channels + c
                        for ky in 0..<g.kernelH {
                            for kx in 0..<g.kernelW {
                                let iy = y * g.strideH - g.padH + ky * g.dilationH
                                let ix = x * g.strideW - g.padW + kx * g.dilationW
                                guard iy >= 0, iy < g.height, ix >= 0, ix < g.width else { continue }
                                var v = input[(channel * g.height + iy) * g.width + ix]
                                if let (scale, shift, slope) = transform {
                                    v = v * scale[channel] + shift[channel]
                                    if let slope { v = max(v, 0) + slope * min(v, 0) }
                                }
                                sum += Double(v) * Double(weights[((o * g.channels + c) * g.kernelH + ky) * g.kernelW + kx])
                            }
                        }
                    }
                    out[(o * oh + y) * ow + x] = Float(sum)
                }
            }
        }
        return out
    }

    func testEveryPathMatchesDirectConvolution() throws {
        try XCTSkipUnless(PackedGemm.isAvailable, "no AVX-512 on this CPU")
        // (channels per group, H, W, k, pad, stride, dilation, groups, outputs)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (4, 5, 7, 1, 0, 1, 1, 1, 3),    // pointwise
            (4, 5, 7, 3, 1, 1, 1, 1, 3),    // padded
            (3, 9, 8, 3, 2, 1, 2, 2, 4),    // padded, dilated, grouped
            (5, 6, 6, 3, 0, 1, 1, 1, 50),   // stride 1 without padding
            (4, 7, 7, 3, 1, 2, 1, 1, 9),    // columns (stride 2)
            (1, 6, 5, 3, 1, 2, 1, 6, 6),    // depthwise, stride 2
        ]
        for (channels, h, w, k, pad, stride, dilation, groups, outputs) in cases {
            let g = ConvolutionGeometry(channels: channels, height: h, width: w, kernelH: k, kernelW: k, padH: pad, padW: pad,
                                        strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation)
            let plan = ConvolutionPlan(geometry: g, groups: groups)
            let input = random(channels * groups * h * w)
            let weights = random(outputs * channels * k * k)
            let kernelDim = channels * k * k
            let packed = (0..<groups).map { group -> PackedMatrix in
                let matrix = PackedMatrix(rows: outputs / groups, columns: kernelDim)
                weights.withUnsafeBufferPointer { matrix.pack($0.baseAddress! + group * (outputs / groups) * kernelDim, rowStride: kernelDim, columnStride: 1) }
                return matrix
            }
            let scale = random(channels * groups), shift = random(channels * groups)
            for transformed in [false, true] {
                var output = [Float](repeating: .nan, count: outputs * g.outputHeight * g.outputWidth)
                input.withUnsafeBufferPointer { x in
                    scale.withUnsafeBufferPointer { s in
                        shift.withUnsafeBufferPointer { t in
                            output.withUnsafeMutableBufferPointer { y in
                                let transform = transformed ? ChannelTransform(scale: s.baseAddress!, shift: t.baseAddress!, relu: true, slope: 0.2) : nil
                                plan.forward(input: x.baseAddress!, weights: packed, output: y.baseAddress!, epilogue: .none, transform: transform)
                            }
                        }
                    }
                }
                let expected = reference(g, groups: groups, outputs: outputs, input: input, weights: weights,
                                         transform: transformed ? (scale, shift, 0.2) : nil)
                for i in expected.indices {
                    XCTAssertEqual(output[i], expected[i], accuracy: 1e-4, "case \(channels)x\(h)x\(w) k\(k) p\(pad) s\(stride) d\(dilation) g\(groups) transformed \(transformed) at \(i)")
                    if abs(output[i] - expected[i]) > 1e-4 { break }
                }
            }
        }
    }
}

/// The packed backward (input and weight gradients) against direct loops.
final class ConvolutionPlanBackwardTests: XCTestCase {
    private var state: UInt64 = 11
    private func random(_ n: Int) -> [Float] {
        (0..<n).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000) / 1000 - 1
        }
    }

    func testGradientsMatchDirectLoops() throws {
        try XCTSkipUnless(PackedGemm.isAvailable, "no AVX-512 on this CPU")
        // (channels per group, H, W, k, pad, stride, dilation, groups, outputs)
        let cases: [(Int, Int, Int, Int, Int, Int, Int, Int, Int)] = [
            (4, 5, 7, 1, 0, 1, 1, 1, 3),     // pointwise
            (20, 9, 11, 3, 1, 1, 1, 1, 50),  // padded, flipped-kernel input gradient
            (3, 9, 8, 3, 2, 1, 2, 2, 4),     // padded, dilated, grouped
            (5, 6, 6, 3, 0, 1, 1, 1, 9),     // stride 1 without padding (col2im)
            (2, 6, 6, 3, 3, 1, 1, 1, 3),     // padding larger than kernel-1 (col2im)
            (4, 7, 7, 3, 1, 2, 1, 1, 9),     // columns (stride 2)
            (1, 6, 5, 3, 1, 2, 1, 6, 6),     // depthwise, stride 2
        ]
        for (channels, h, w, k, pad, stride, dilation, groups, outputs) in cases {
            let g = ConvolutionGeometry(channels: channels, height: h, width: w, kernelH: k, kernelW: k, padH: pad, padW: pad,
                                        strideH: stride, strideW: stride, dilationH: dilation, dilationW: dilation)
            let plan = ConvolutionPlan(geometry: g, groups: groups)
            let (oh, ow) = (g.outputHeight, g.outputWidth)
            let perGroup = outputs / groups
            let kernelDim = channels * k * k
            let input = random(channels * groups * h * w)
            let weights = random(outputs * kernelDim)
            let dy = random(outputs * oh * ow)
            let initialDiff = random(outputs * kernelDim)
            // Reference gradients in double.
            var dx = [Double](repeating: 0, count: input.count), dw = initialDiff.map(Double.init)
            for o in 0..<outputs {
                let group = o / perGroup
                for y in 0..<oh {
                    for x in 0..<ow {
                        let gy = Double(dy[(o * oh + y) * ow + x])
                        for c in 0..<channels {
                            for ky in 0..<k {
                                for kx in 0..<k {
                                    let iy = y * stride - pad + ky * dilation, ix = x * stride - pad + kx * dilation
                                    guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                    let xi = ((group * channels + c) * h + iy) * w + ix
                                    let wi = ((o * channels + c) * k + ky) * k + kx
                                    dx[xi] += gy * Double(weights[wi])
                                    dw[wi] += gy * Double(input[xi])
                                }
                            }
                        }
                    }
                }
            }
            var ourDx = [Float](repeating: .nan, count: input.count)
            var ourDw = initialDiff
            weights.withUnsafeBufferPointer { pw in
                let packed = plan.packForInputGradient(pw.baseAddress!, outputsPerGroup: perGroup)
                dy.withUnsafeBufferPointer { pdy in
                    ourDx.withUnsafeMutableBufferPointer { plan.inputGradient(outputDiff: pdy.baseAddress!, packed: packed, inputDiff: $0.baseAddress!) }
                    input.withUnsafeBufferPointer { px in
                        ourDw.withUnsafeMutableBufferPointer {
                            plan.accumulateWeightGradient(input: px.baseAddress!, outputDiff: pdy.baseAddress!, weightDiff: $0.baseAddress!, outputsPerGroup: perGroup)
                        }
                    }
                }
            }
            let label = "case \(channels)x\(h)x\(w) k\(k) p\(pad) s\(stride) d\(dilation) g\(groups)"
            XCTAssertLessThan(zip(ourDx, dx).map { abs(Double($0) - $1) }.max() ?? 0, 1e-4, "\(label): input gradient")
            XCTAssertLessThan(zip(ourDw, dw).map { abs(Double($0) - $1) }.max() ?? 0, 1e-4, "\(label): weight gradient")
        }
    }
}
