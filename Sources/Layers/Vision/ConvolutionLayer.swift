import CaffeProto
import Kernels
import Runtime

/// Caffe's Convolution (src/caffe/layers/conv_layer.cpp): weights (O, C/group, kh, kw), optional
/// bias (O); output size rounded down; several bottoms share the weights and sum their gradients.
final class ConvolutionLayer: BaseConvolutionLayer {
    override class var caffeType: String { "Convolution" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        if usesPackedGemm {
            try forwardPacked(bottom: bottom, top: top)
            return
        }
        let weights = blobs[0].data
        for (input, output) in zip(bottom, top) {
            for n in 0..<num {
                forwardGemm(input.data + n * bottomDim, weights, output.data + n * topDim)
                if biasTerm { biasForward(output.data + n * topDim, blobs[1].data) }
            }
        }
    }

    // MARK: Folding (NetOptimizations.foldBatchNorm)

    /// The BatchNorm/Scale/ReLU chain after the output, folded into the weights and bias.
    private var outputChain: FoldedChannelChain?
    /// The chain before the input, applied as the input is read.
    private var inputChain: FoldedChannelChain?
    private var foldStamps: [BlobStamp] = []
    private let foldedBias = ScratchBuffer<Float>()
    private let inputScale = ScratchBuffer<Float>()
    private let inputShift = ScratchBuffer<Float>()
    /// The BatchNorm (batch statistics)/Scale/ReLU chain before the input in a net that trains.
    private var trainingChain: BatchNormInputChain?

    /// Forward on the packed kernels: weights packed once (until they change), no im2col for
    /// stride-1 convolutions, the bias (and folded chains) applied as the products are stored.
    private func forwardPacked(bottom: [Blob], top: [Blob]) throws {
        let weightBlob = blobs[0]
        var stamps = [weightBlob.dataStamp]
        if biasTerm { stamps.append(blobs[1].dataStamp) }
        if let outputChain { stamps += outputChain.stamps }
        if let inputChain { stamps += inputChain.stamps }
        let weights = packed(stamps: stamps) { pack in
            refold()
            if outputChain != nil {
                foldedWeights { pack($0) }
            } else {
                pack(weightBlob.readOnlyData)
            }
        }
        var epilogue = GemmEpilogue(bias: biasTerm ? blobs[1].readOnlyData : nil)
        if let outputChain {
            epilogue = GemmEpilogue(bias: UnsafePointer(foldedBias.pointer), relu: outputChain.reluSlope != nil, slope: outputChain.reluSlope ?? 0)
        }
        var transform: ChannelTransform?
        if let inputChain {
            transform = ChannelTransform(scale: UnsafePointer(inputScale.pointer), shift: UnsafePointer(inputShift.pointer),
                                         relu: inputChain.reluSlope != nil, slope: inputChain.reluSlope ?? 0)
        }
        if let trainingChain {
            transform = try trainingChain.forward(bottom[0])
        }
        let plan = packedPlan
        for (input, output) in zip(bottom, top) {
            let x = input.readOnlyData, y = output.data
            for n in 0..<num {
                plan.forward(input: x + n * bottomDim, weights: weights, output: y + n * topDim, epilogue: epilogue, transform: transform)
            }
        }
    }

    /// Recomputes the folded bias and the input transform from the current blobs.
    private func refold() {
        if let outputChain {
            let (scale, shift) = outputChain.coefficients(channels: numOutput)
            foldedBias.resize(numOutput)
            let bias = biasTerm ? blobs[1].readOnlyData : nil
            for o in 0..<numOutput {
                foldedBias.pointer[o] = Float(Double(bias?[o] ?? 0) * scale[o] + shift[o])
            }
        }
        if let inputChain {
            let (scale, shift) = inputChain.coefficients(channels: channels)
            inputScale.resize(channels)
            inputShift.resize(channels)
            for c in 0..<channels {
                inputScale.pointer[c] = Float(scale[c])
                inputShift.pointer[c] = Float(shift[c])
            }
        }
    }

    /// Hands `body` the weights with each output row multiplied by the output chain's scale.
    private func foldedWeights(_ body: (UnsafePointer<Float>) -> Void) {
        guard let outputChain else { return }
        let (scale, _) = outputChain.coefficients(channels: numOutput)
        let w = blobs[0].readOnlyData
        WorkspacePool.shared.withBuffer(numOutput * kernelDim) { folded in
            for o in 0..<numOutput {
                for k in 0..<kernelDim {
                    folded[o * kernelDim + k] = Float(Double(w[o * kernelDim + k]) * scale[o])
                }
            }
            body(UnsafePointer(folded))
        }
    }

    /// The weights packed for the input gradient, and the stamp they were packed from.
    private var inputGradientWeights: [PackedMatrix] = []
    private var inputGradientStamp: BlobStamp?

    /// Backward on the packed kernels (see ConvolutionPlanBackward.swift).
    private func backwardPacked(top: [Blob], propagateDown: [Bool], bottom: [Blob]) {
        let plan = packedPlan
        let outputsPerGroup = convOutChannels / group
        let chainGradient = trainingChain.map { propagateDown[0] || $0.scaleNeedsGradient } ?? false
        if propagateDown.contains(true) || chainGradient {
            let stamp = blobs[0].dataStamp
            if stamp != inputGradientStamp || inputGradientWeights.count != group {
                inputGradientWeights = plan.packForInputGradient(blobs[0].readOnlyData, outputsPerGroup: outputsPerGroup,
                                                                 reusing: inputGradientWeights)
                inputGradientStamp = stamp
            }
        }
        for i in top.indices {
            let topDiff = UnsafePointer(top[i].diff)
            if biasTerm && parameterPropagateDown[1] {
                for n in 0..<num { biasBackward(blobs[1].diff, topDiff + n * topDim) }
            }
            let transform = trainingChain?.transform
            if parameterPropagateDown[0] {
                let x = bottom[i].readOnlyData, weightDiff = blobs[0].diff
                for n in 0..<num {
                    plan.accumulateWeightGradient(input: x + n * bottomDim, outputDiff: topDiff + n * topDim,
                                                  weightDiff: weightDiff, outputsPerGroup: outputsPerGroup, transform: transform)
                }
            }
            if let trainingChain, chainGradient {
                // The chain's output gradient lives only until the chain's backward has used it.
                WorkspacePool.shared.withBuffer(num * bottomDim) { chainDiff in
                    for n in 0..<num {
                        plan.inputGradient(outputDiff: topDiff + n * topDim, packed: inputGradientWeights, inputDiff: chainDiff + n * bottomDim)
                    }
                    trainingChain.backward(input: bottom[i].readOnlyData, chainDiff: UnsafePointer(chainDiff),
                                           bottomDiff: propagateDown[i] ? bottom[i].diff : nil)
                }
            } else if propagateDown[i] {
                let inputDiff = bottom[i].diff
                for n in 0..<num {
                    plan.inputGradient(outputDiff: topDiff + n * topDim, packed: inputGradientWeights, inputDiff: inputDiff + n * bottomDim)
                }
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if usesPackedGemm {
            backwardPacked(top: top, propagateDown: propagateDown, bottom: bottom)
            return
        }
        let weights = blobs[0].data
        for i in top.indices {
            let topDiff = top[i].diff
            if biasTerm && parameterPropagateDown[1] {
                for n in 0..<num { biasBackward(blobs[1].diff, topDiff + n * topDim) }
            }
            if parameterPropagateDown[0] || propagateDown[i] {
                for n in 0..<num {
                    if parameterPropagateDown[0] {
                        weightGemm(bottom[i].data + n * bottomDim, topDiff + n * topDim, blobs[0].diff)
                    }
                    if propagateDown[i] {
                        backwardGemm(topDiff + n * topDim, weights, bottom[i].diff + n * bottomDim)
                    }
                }
            }
        }
    }
}

extension ConvolutionLayer: ChannelFoldingLayer {
    func foldOutput(_ chain: FoldedChannelChain) -> Bool {
        guard usesPackedGemm, outputChain == nil else { return false }
        outputChain = chain
        return true
    }

    func foldInput(_ chain: FoldedChannelChain) -> Bool {
        guard usesPackedGemm, inputChain == nil, trainingChain == nil else { return false }
        inputChain = chain
        return true
    }

    func foldTrainingInput(_ layers: [Layer]) -> Bool {
        guard usesPackedGemm, inputChain == nil, trainingChain == nil, let chain = BatchNormInputChain(layers: layers) else { return false }
        trainingChain = chain
        return true
    }
}
