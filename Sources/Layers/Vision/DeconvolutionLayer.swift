import CaffeProto
import Kernels
import Runtime

/// Caffe's Deconvolution (src/caffe/layers/deconv_layer.cpp): the transpose of Convolution.
/// Weights are (C_in, C_out/group, kh, kw); output size s·(H-1) + d·(k-1) + 1 - 2p.
final class DeconvolutionLayer: BaseConvolutionLayer {
    override class var caffeType: String { "Deconvolution" }
    override var reverseDimensions: Bool { true }

    override func computeOutputShape(height: Int, width: Int) -> (Int, Int) {
        let extentH = dilationH * (kernelH - 1) + 1
        let extentW = dilationW * (kernelW - 1) + 1
        return (strideH * (height - 1) + extentH - 2 * padH, strideW * (width - 1) + extentW - 2 * padW)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let weights = blobs[0].data
        for (input, output) in zip(bottom, top) {
            for n in 0..<num {
                backwardGemm(input.data + n * bottomDim, weights, output.data + n * topDim)
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
                        weightGemm(topDiff + n * topDim, bottom[i].data + n * bottomDim, blobs[0].diff)
                    }
                    if propagateDown[i] {
                        forwardGemm(topDiff + n * topDim, weights, bottom[i].diff + n * bottomDim)
                    }
                }
            }
        }
    }
}
