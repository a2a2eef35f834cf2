import CaffeProto
import Kernels
import Runtime

/// Caffe's Concat along `axis` (or legacy `concat_dim`) (src/caffe/layers/concat_layer.cpp). With
/// one bottom the top shares its memory.
final class ConcatLayer: Layer {
    override class var caffeType: String { "Concat" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 1, exactTops: 1) }

    private var axis = 1
    private var numConcats = 0, inputSize = 0

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.concatParam
        guard !(p.hasAxis && p.hasConcatDim) else { throw error("give either axis or concat_dim, not both") }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.concatParam
        let numAxes = bottom[0].numAxes
        if p.hasConcatDim {
            axis = Int(p.concatDim)
            guard axis < numAxes else { throw error("concat_dim \(axis) is out of range for \(numAxes)-D bottoms") }
        } else {
            axis = try axisIndex(p.axis, of: bottom[0], parameter: "concat_param.axis")
        }
        var topShape = bottom[0].shape
        for (i, blob) in bottom.enumerated().dropFirst() {
            guard blob.numAxes == numAxes else {
                throw error("all bottoms must have the same number of axes: bottom 0 is \(bottom[0].shape), bottom \(i) ('\(parameter.bottom[i])') is \(blob.shape)")
            }
            for j in 0..<numAxes where j != axis && blob.shape[j] != topShape[j] {
                throw error("all bottoms must have the same shape except along axis \(axis): bottom 0 is \(bottom[0].shape), bottom \(i) ('\(parameter.bottom[i])') is \(blob.shape)")
            }
            topShape[axis] += blob.shape[axis]
        }
        numConcats = bottom[0].count(from: 0, to: axis)
        inputSize = bottom[0].count(from: axis + 1)
        try reshapeBlob(top[0], topShape)
        if bottom.count == 1 {
            try top[0].shareData(with: bottom[0])
            try top[0].shareDiff(with: bottom[0])
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard bottom.count > 1 else { return }
        let y = top[0].data
        let topAxis = top[0].shape[axis]
        var offset = 0
        for blob in bottom {
            let x = blob.data
            let rowLength = blob.shape[axis] * inputSize
            let topRowLength = topAxis * inputSize
            let start = offset * inputSize
            KernelThreads.parallelFor(numConcats, minimumPerChunk: max(1, 16384 / max(1, rowLength))) { range in
                for n in range {
                    (y + n * topRowLength + start).update(from: x + n * rowLength, count: rowLength)
                }
            }
            offset += blob.shape[axis]
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        guard bottom.count > 1 else { return }
        let dy = top[0].diff
        let topAxis = top[0].shape[axis]
        var offset = 0
        for (i, blob) in bottom.enumerated() {
            let rowLength = blob.shape[axis] * inputSize
            if propagateDown[i] {
                let dx = blob.diff
                let topRowLength = topAxis * inputSize
                let start = offset * inputSize
                KernelThreads.parallelFor(numConcats, minimumPerChunk: max(1, 16384 / max(1, rowLength))) { range in
                    for n in range {
                        (dx + n * rowLength).update(from: dy + n * topRowLength + start, count: rowLength)
                    }
                }
            }
            offset += blob.shape[axis]
        }
    }
}
