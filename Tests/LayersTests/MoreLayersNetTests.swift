import CaffeProto
import Foundation
@testable import Layers
import Runtime
import XCTest

/// The new layer types inside a Net: an AlexNet-style block (LRN after an in-place ReLU, both LRN
/// regions, SPP, Crop) trains one step with DummyData input, and the shapes Caffe's
/// test_spp_layer.cpp pins.
final class MoreLayersNetTests: XCTestCase {
    private let netText = """
        name: "small"
        layer { name: "data" type: "DummyData" top: "data" top: "label"
          dummy_data_param { shape { dim: 2 dim: 3 dim: 9 dim: 9 } shape { dim: 2 }
            data_filler { type: "gaussian" std: 1 } data_filler { type: "constant" value: 1 } } }
        layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
          convolution_param { num_output: 6 kernel_size: 3 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
        layer { name: "norm1" type: "LRN" bottom: "conv" top: "norm1" lrn_param { local_size: 5 alpha: 0.0001 beta: 0.75 } }
        layer { name: "norm2" type: "LRN" bottom: "norm1" top: "norm2" lrn_param { local_size: 3 alpha: 0.5 norm_region: WITHIN_CHANNEL } }
        layer { name: "crop" type: "Crop" bottom: "norm2" bottom: "data" top: "crop" crop_param { axis: 2 offset: 0 } }
        layer { name: "spp" type: "SPP" bottom: "norm2" top: "spp" spp_param { pyramid_height: 2 } }
        layer { name: "fc" type: "InnerProduct" bottom: "spp" top: "fc"
          inner_product_param { num_output: 4 weight_filler { type: "gaussian" std: 0.3 } } }
        layer { name: "loss" type: "SoftmaxWithLoss" bottom: "fc" bottom: "label" top: "loss" }
        layer { name: "silence" type: "Silence" bottom: "crop" }
        """

    func testAlexNetStyleBlockTrainsOneStep() throws {
        // Crop of a (2, 6, 7, 7) map to the data's 9x9 is out of bounds: the net must refuse it.
        let refused = try CaffeText.parse(netText, as: Caffe_NetParameter.self, file: "<test>")
        XCTAssertThrowsError(try Net(parameter: refused, phase: .train, registry: .standard)) { error in
            XCTAssertTrue("\(error)".contains("crop") && "\(error)".contains("out of bounds"), "\(error)")
        }
        let text = netText.replacingOccurrences(of: "bottom: \"norm2\" bottom: \"data\" top: \"crop\"", with: "bottom: \"data\" bottom: \"norm2\" top: \"crop\"")
        let net = try Net(parameter: try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "<test>"), phase: .train, registry: .standard)
        let loss = try net.forwardBackward()
        XCTAssertTrue(loss.isFinite && loss > 0, "loss \(loss)")
        let spp = try XCTUnwrap(net.blobNames.firstIndex(of: "spp"))
        XCTAssertEqual(net.blobs[spp].shape, [2, 6 * 5])
        let crop = try XCTUnwrap(net.blobNames.firstIndex(of: "crop"))
        XCTAssertEqual(net.blobs[crop].shape, [2, 3, 7, 7])
        // The gradient reached the convolution through both LRNs and SPP.
        let conv = try XCTUnwrap(net.layerNames.firstIndex(of: "conv"))
        XCTAssertTrue(net.layers[conv].blobs[0].diffArray().contains { $0 != 0 })
    }

    /// test_spp_layer.cpp TestSetup, TestEqualOutputDims, TestEqualOutputDims2: C·(4^h − 1)/3 outputs per item.
    func testCaffeSPPShapes() throws {
        for (shape, height, expected) in [([2, 3, 9, 8], 3, [2, 63]), ([4, 3, 1024, 765], 5, [4, 1023]), ([10, 3, 7, 7], 3, [10, 63])] {
            let layer = try SingleLayer.make("name: \"spp\" type: \"SPP\" spp_param { pyramid_height: \(height) }")
            let top = try Blob()
            try layer.setUp(bottom: [Blob(shape: shape)], top: [top])
            XCTAssertEqual(top.shape, expected, "\(shape)")
        }
    }
}

extension MoreLayersNetTests {
    /// force_backward reaches Embed's index bottom as in Caffe, which then aborts; here the
    /// backward pass stops with an error naming the layer.
    func testForceBackwardIntoEmbedIndicesIsAnError() throws {
        let text = """
            force_backward: true
            layer { name: "data" type: "DummyData" top: "ids" dummy_data_param { shape { dim: 2 } data_filler { type: "constant" value: 1 } } }
            layer { name: "embed" type: "Embed" bottom: "ids" top: "e" embed_param { num_output: 3 input_dim: 4 } }
            layer { name: "target" type: "DummyData" top: "e2" dummy_data_param { shape { dim: 2 dim: 3 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "e" bottom: "e2" top: "loss" }
            """
        let parameter = try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "<test>")
        let net = try Net(parameter: parameter, phase: .train, registry: .standard)
        XCTAssertThrowsError(try net.forwardBackward()) { error in
            XCTAssertTrue("\(error)".contains("layer 'embed' (Embed)") && "\(error)".contains("cannot backpropagate to its input"), "\(error)")
        }
    }
}
