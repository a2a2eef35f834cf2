import CaffeProto
import Kernels
import Runtime

/// Caffe's Eltwise: SUM (with `coeff`), PROD, MAX (src/caffe/layers/eltwise_layer.cpp). Quirks
/// kept: MAX gives a tie between bottoms 0 and 1 to bottom 1, later bottoms win only when strictly
/// greater, and the whole diff goes to the winner; PROD's backward multiplies the other bottoms
/// (`stable_prod_grad`, default) or divides the top by the bottom.
final class EltwiseLayer: Layer {
    override class var caffeType: String { "Eltwise" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 2, exactTops: 1) }

    private var operation: Caffe_EltwiseParameter.EltwiseOp = .sum
    private var coefficients: [Float] = []
    private var stableProductGradient = true
    private let winner = ScratchBuffer<Int32>()

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.eltwiseParam
        guard p.coeff.isEmpty || p.coeff.count == bottom.count else {
            throw error("takes one coefficient per bottom: \(p.coeff.count) coefficients for \(bottom.count) bottoms")
        }
        operation = p.operation
        guard !(operation == .prod && !p.coeff.isEmpty) else { throw error("coefficients are only allowed with operation SUM") }
        coefficients = p.coeff.isEmpty ? Array(repeating: 1, count: bottom.count) : p.coeff
        stableProductGradient = p.stableProdGrad
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        for (i, blob) in bottom.enumerated().dropFirst() where blob.shape != bottom[0].shape {
            throw error("all bottoms must have the same shape: bottom 0 is \(bottom[0].shape), bottom \(i) ('\(parameter.bottom[i])') is \(blob.shape)")
        }
        try reshapeBlob(top[0], bottom[0].shape)
        if operation == .max { winner.resize(bottom[0].count) }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let count = top[0].count
        let y = top[0].data
        switch operation {
        case .prod:
            Elementwise.multiply(count, bottom[0].data, bottom[1].data, y)
            for blob in bottom.dropFirst(2) { Elementwise.multiply(count, y, blob.data, y) }
        case .sum:
            let pointers = bottom.map { UnsafePointer($0.data) }
            let coefficients = self.coefficients
            KernelThreads.parallelFor(count, minimumPerChunk: 1 << 15) { range in
                for i in range {
                    var sum: Float = 0
                    for (b, x) in pointers.enumerated() { sum += coefficients[b] * x[i] }
                    y[i] = sum
                }
            }
        case .max:
            let mask = winner.pointer
            let a = bottom[0].data, b = bottom[1].data
            for i in 0..<count {
                if a[i] > b[i] {
                    y[i] = a[i]
                    mask[i] = 0
                } else {
                    y[i] = b[i]
                    mask[i] = 1
                }
            }
            for (index, blob) in bottom.enumerated().dropFirst(2) {
                let x = blob.data
                for i in 0..<count where x[i] > y[i] {
                    y[i] = x[i]
                    mask[i] = Int32(index)
                }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        let count = top[0].count
        let y = top[0].data, dy = top[0].diff
        for (index, blob) in bottom.enumerated() where propagateDown[index] {
            let dx = blob.diff
            switch operation {
            case .prod:
                if stableProductGradient {
                    var initialized = false
                    for (other, otherBlob) in bottom.enumerated() where other != index {
                        if !initialized {
                            Elementwise.copy(count, otherBlob.data, dx)
                            initialized = true
                        } else {
                            Elementwise.multiply(count, otherBlob.data, dx, dx)
                        }
                    }
                } else {
                    Elementwise.divide(count, y, blob.data, dx)
                }
                Elementwise.multiply(count, dx, dy, dx)
            case .sum:
                Elementwise.scaled(count, coefficients[index], dy, dx)
            case .max:
                let mask = winner.pointer
                let target = Int32(index)
                for i in 0..<count { dx[i] = mask[i] == target ? dy[i] : 0 }
            }
        }
    }
}
