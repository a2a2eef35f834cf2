import CaffeProto
import Kernels
import Runtime

/// Caffe's Convolution (src/caffe/layers/conv_layer.cpp): weights (O, C/group, kh, kw), optional
/// bias (O); output size rounded down; several bottoms share the weights and sum their gradients.
final class ConvolutionLayer: BaseConvolutionLayer {
    override class var caffeType: String { "Convolution" }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let weights = blobs[0].data
        for (input, output) in zip(bottom, top) {
            for n in 0..<num {
                forwardGemm(input.data + n * bottomDim, weights, output.data + n * topDim)
                if biasTerm { biasForward(output.data + n * topDim, blobs[1].data) }
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
