import CaffeProto
import Kernels
import Runtime

/// Caffe's Convolution (src/caffe/layers/conv_layer.cpp): weights (O, C/group, kh, kw), optional
/// bias (O); output size rounded down; several bottoms share the weights and sum their gradients.
final class ConvolutionLayer: BaseConvolutionLayer {
    override class var caffeType: String { "Convolution" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        if usesPackedGemm {
            forwardPacked(bottom: bottom, top: top)
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

    /// Forward on the packed kernels: weights packed once (until they change), no im2col for
    /// stride-1 convolutions, the bias added as the products are stored.
    private func forwardPacked(bottom: [Blob], top: [Blob]) {
        let weightBlob = blobs[0]
        let weights = packed(stamps: [weightBlob.dataStamp]) { weightBlob.readOnlyData }
        let plan = packedPlan
        let epilogue = GemmEpilogue(bias: biasTerm ? blobs[1].readOnlyData : nil)
        for (input, output) in zip(bottom, top) {
            let x = input.readOnlyData, y = output.data
            for n in 0..<num {
                plan.forward(input: x + n * bottomDim, weights: weights, output: y + n * topDim, epilogue: epilogue, transform: nil)
            }
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
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
