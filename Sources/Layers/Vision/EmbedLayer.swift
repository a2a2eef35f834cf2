import CaffeProto
import Runtime

/// Caffe's Embed (src/caffe/layers/embed_layer.cpp): each bottom value is an index into
/// `input_dim` rows of a (input_dim, num_output) weight table; the top appends an axis of
/// `num_output` with the row (plus the bias with `bias_term`). Gradients go to the weights and
/// bias only. Caffe only DCHECKs the indices (a release build reads outside the table); here an
/// index that is not an integer in 0..<input_dim is an error. Caffe lets force_backward reach the
/// bottom and then aborts (`Can't backpropagate to EmbedLayer input`); here that is an error.
final class EmbedLayer: Layer {
    override class var caffeType: String { "Embed" }
    override var blobCounts: BlobCounts { .oneToOne }

    private var outputs = 0, inputDim = 0, biasTerm = true

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.embedParam
        outputs = Int(p.numOutput)
        inputDim = Int(p.inputDim)
        biasTerm = p.biasTerm
        // embed_layer.cpp LayerSetUp: CHECK_GT(N_, 0) and CHECK_GT(K_, 0).
        guard outputs > 0 else { throw error("embed_param.num_output must be positive, got \(outputs)") }
        guard inputDim > 0 else { throw error("embed_param.input_dim must be positive, got \(inputDim)") }
        if blobs.isEmpty {
            let weights = try makeBlob([inputDim, outputs], what: "weight")
            try fill(weights, with: p.weightFiller, what: "weight_filler")
            blobs = [weights]
            if biasTerm {
                let bias = try makeBlob([outputs], what: "bias")
                try fill(bias, with: p.biasFiller, what: "bias_filler")
                blobs.append(bias)
            }
        } else {
            try expectBlobShape(0, [inputDim, outputs], what: "weight")
            if biasTerm { try expectBlobShape(1, [outputs], what: "bias") }
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try reshapeBlob(top[0], bottom[0].shape + [outputs])
    }

    /// The row index of bottom value `i`, or an error naming it.
    private func row(_ x: UnsafeMutablePointer<Float>, _ i: Int) throws -> Int {
        guard let index = integerLabel(x[i]), Float(index) == x[i], index >= 0, index < inputDim else {
            throw error("bottom value \(i) is \(x[i]), expected an integer index in 0..<\(inputDim) (input_dim)")
        }
        return index
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let x = bottom[0].data, y = top[0].data, weights = blobs[0].data
        for n in 0..<bottom[0].count {
            let index = try row(x, n)
            let output = y + n * outputs, source = weights + index * outputs
            for j in 0..<outputs { output[j] = source[j] }
            if biasTerm {
                let bias = blobs[1].data
                for j in 0..<outputs { output[j] += bias[j] }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        // embed_layer.cpp Backward_cpu: CHECK(!propagate_down[0]).
        if propagateDown[0] { throw error("cannot backpropagate to its input (the bottom holds indices)") }
        let x = bottom[0].data, dy = top[0].diff
        if parameterPropagateDown[0] {
            let dw = blobs[0].diff
            for n in 0..<bottom[0].count {
                let target = dw + (try row(x, n)) * outputs, source = dy + n * outputs
                for j in 0..<outputs { target[j] += source[j] }
            }
        }
        if biasTerm, parameterPropagateDown[1] {
            let db = blobs[1].diff
            for n in 0..<bottom[0].count {
                let source = dy + n * outputs
                for j in 0..<outputs { db[j] += source[j] }
            }
        }
    }
}
