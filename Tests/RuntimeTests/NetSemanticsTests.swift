import CaffeProto
import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// Caffe's Net::Init rules on small hand-written nets.
final class NetSemanticsTests: XCTestCase {
    private func net(_ text: String, phase: Caffe_Phase = .train, level: Int32? = nil, stages: [String]? = nil) throws -> Net {
        let parameter = try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "<test>")
        return try Net(parameter: parameter, phase: phase, level: level, stages: stages, registry: .standard)
    }

    private let input = #"layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 4 dim: 5 } } }"#

    func testIncludeExcludeRules() throws {
        let text = input + """
            layer { name: "train_only" type: "ReLU" bottom: "data" top: "a" include { phase: TRAIN } }
            layer { name: "test_only" type: "ReLU" bottom: "data" top: "b" include { phase: TEST } }
            layer { name: "not_test" type: "ReLU" bottom: "data" top: "c" exclude { phase: TEST } }
            layer { name: "staged" type: "ReLU" bottom: "data" top: "d" include { stage: "x" stage: "y" } }
            layer { name: "not_staged" type: "ReLU" bottom: "data" top: "e" include { not_stage: "x" } }
            layer { name: "leveled" type: "ReLU" bottom: "data" top: "f" include { min_level: 1 max_level: 2 } }
            """
        func names(_ net: Net) -> [String] { net.layerNames.filter { !$0.hasSuffix("_split") } }
        XCTAssertEqual(names(try net(text, phase: .train)), ["data", "train_only", "not_test", "not_staged"])
        XCTAssertEqual(names(try net(text, phase: .test)), ["data", "test_only", "not_staged"])
        XCTAssertEqual(names(try net(text, phase: .train, stages: ["x"])), ["data", "train_only", "not_test"])
        XCTAssertEqual(names(try net(text, phase: .train, stages: ["x", "y"])), ["data", "train_only", "not_test", "staged"])
        XCTAssertEqual(names(try net(text, phase: .train, level: 1)), ["data", "train_only", "not_test", "not_staged", "leveled"])
        XCTAssertThrowsError(try net(input + #"layer { name: "both" type: "ReLU" bottom: "data" top: "x" include { phase: TRAIN } exclude { phase: TEST } }"#))
    }

    func testSplitsInPlaceAndLossWeights() throws {
        let net = try net(input + """
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 1 } }
            layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
            layer { name: "ip1" type: "InnerProduct" bottom: "conv" top: "ip1" inner_product_param { num_output: 3 } }
            layer { name: "ip2" type: "InnerProduct" bottom: "conv" top: "ip2" inner_product_param { num_output: 3 } loss_weight: 0.5 }
            layer { name: "loss" type: "EuclideanLoss" bottom: "ip1" bottom: "ip2" top: "loss" }
            """)
        // The last in-place writer names the split; ip2's loss weight makes it a second reader.
        XCTAssertEqual(net.layerNames, ["data", "conv", "relu", "conv_relu_0_split", "ip1", "ip2", "ip2_ip2_0_split", "loss"])
        let split = try XCTUnwrap(net.indexOfLayer(named: "ip2_ip2_0_split"))
        XCTAssertEqual(net.layers[split].lossWeight(top: 0), 0.5)
        XCTAssertEqual(net.layers[split].lossWeight(top: 1), 0)
        XCTAssertEqual(net.blobLossWeights[net.blobNames.firstIndex(of: "loss")!], 1, "loss layers weigh 1 by default")
        XCTAssertTrue(net.blob(named: "conv")!.sharesData(with: net.blob(named: "conv_relu_0_split_0")!))
        // Loss = EuclideanLoss + 0.5 · Σ ip2.
        let loss = try net.forward()
        let ip2 = net.blob(named: "ip2")!.dataArray().reduce(0, +)
        XCTAssertEqual(loss, net.blob(named: "loss")!.data[0] + 0.5 * ip2, accuracy: 1e-4)
    }

    func testBackwardNeeds() throws {
        let net = try net(input + """
            layer { name: "frozen" type: "Convolution" bottom: "data" top: "frozen" param { lr_mult: 0 } param { lr_mult: 0 } convolution_param { num_output: 2 kernel_size: 1 } }
            layer { name: "learned" type: "Convolution" bottom: "frozen" top: "learned" convolution_param { num_output: 2 kernel_size: 1 } }
            layer { name: "side" type: "ReLU" bottom: "data" top: "side" }
            layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 2 dim: 2 dim: 4 dim: 5 } } }
            layer { name: "loss" type: "EuclideanLoss" bottom: "learned" bottom: "label" top: "loss" propagate_down: true propagate_down: false }
            """)
        func needs(_ name: String) -> Bool { net.layerNeedsBackward[net.indexOfLayer(named: name)!] }
        XCTAssertFalse(needs("frozen"), "lr_mult 0 on data that needs no gradient: no backward")
        XCTAssertTrue(needs("learned"))
        XCTAssertFalse(needs("side"), "contributes to no loss")
        XCTAssertEqual(net.bottomNeedsBackward[net.indexOfLayer(named: "loss")!], [true, false])
        XCTAssertEqual(net.bottomNeedsBackward[net.indexOfLayer(named: "learned")!], [false])

        let forced = try self.net("force_backward: true " + input + """
            layer { name: "frozen" type: "Convolution" bottom: "data" top: "frozen" param { lr_mult: 0 } param { lr_mult: 0 } convolution_param { num_output: 2 kernel_size: 1 } }
            layer { name: "label" type: "Input" top: "label" input_param { shape { dim: 2 dim: 1 dim: 4 dim: 5 } } }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "frozen" bottom: "label" top: "loss" }
            """)
        let frozen = forced.indexOfLayer(named: "frozen")!
        XCTAssertTrue(forced.layerNeedsBackward[frozen])
        XCTAssertEqual(forced.layers[frozen].parameterPropagateDown, [true, true], "force_backward turns on lr_mult 0 params")
        XCTAssertEqual(forced.bottomNeedsBackward[forced.indexOfLayer(named: "loss")!], [true, false], "never into the label")
    }

    func testParameterSharing() throws {
        let net = try net(input + """
            layer { name: "a" type: "InnerProduct" bottom: "data" top: "a" param { name: "w" lr_mult: 2 } inner_product_param { num_output: 3 bias_term: false } }
            layer { name: "b" type: "InnerProduct" bottom: "data" top: "b" param { name: "w" } inner_product_param { num_output: 3 bias_term: false } }
            """)
        XCTAssertEqual(net.params.count, 2)
        XCTAssertEqual(net.learnableParams.count, 1)
        XCTAssertEqual(net.paramLearningRateMultipliers, [2])
        XCTAssertTrue(net.layer(named: "a")!.blobs[0].sharesData(with: net.layer(named: "b")!.blobs[0]))
        try net.forward()
        XCTAssertEqual(net.blob(named: "a")!.dataArray(), net.blob(named: "b")!.dataArray())
        XCTAssertThrowsError(try self.net(input + """
            layer { name: "a" type: "InnerProduct" bottom: "data" top: "a" param { name: "w" } inner_product_param { num_output: 3 bias_term: false } }
            layer { name: "b" type: "InnerProduct" bottom: "data" top: "b" param { name: "w" } inner_product_param { num_output: 4 bias_term: false } }
            """)) { XCTAssertTrue("\($0)".contains("'b'"), "\($0)") }
    }

    func testReshapeWhenInputChanges() throws {
        let net = try net(input + """
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv" convolution_param { num_output: 2 kernel_size: 3 pad: 1 } }
            layer { name: "pool" type: "Pooling" bottom: "conv" top: "pool" pooling_param { kernel_size: 2 stride: 2 } }
            """)
        try net.forward()
        XCTAssertEqual(net.blob(named: "pool")!.shape, [2, 2, 2, 3])
        try net.blob(named: "data")!.reshape([1, 3, 9, 9])
        try net.forward()
        XCTAssertEqual(net.blob(named: "pool")!.shape, [1, 2, 5, 5])
    }

    func testWiringErrorsNameTheLayer() throws {
        XCTAssertThrowsError(try net(input + #"layer { name: "r" type: "ReLU" bottom: "nothing" top: "r" }"#)) {
            XCTAssertTrue("\($0)".contains("'r'") && "\($0)".contains("'nothing'"), "\($0)")
        }
        XCTAssertThrowsError(try net(input + #"layer { name: "r" type: "ReLU" bottom: "data" top: "data2" } layer { name: "s" type: "ReLU" bottom: "data" top: "data2" }"#)) {
            XCTAssertTrue("\($0)".contains("'s'"), "\($0)")
        }
        XCTAssertThrowsError(try net(input + #"layer { name: "e" type: "Eltwise" bottom: "data" top: "e" }"#)) {
            XCTAssertTrue("\($0)".contains("'e'") && "\($0)".contains("at least 2 bottom"), "\($0)")
        }
        XCTAssertThrowsError(try net(input + #"layer { name: "c" type: "Convolution" bottom: "data" top: "c" convolution_param { num_output: 2 kernel_size: 9 } }"#)) {
            XCTAssertTrue("\($0)".contains("'c'") && "\($0)".contains("4x5"), "\($0)")
        }
        XCTAssertThrowsError(try net(input + #"layer { name: "x" type: "Concat" bottom: "data" bottom: "data" top: "x" concat_param { axis: 7 } }"#)) {
            XCTAssertTrue("\($0)".contains("'x'") && "\($0)".contains("axis 7"), "\($0)")
        }
    }

    func testLegacyInputFields() throws {
        let net = try net(#"input: "data" input_dim: 1 input_dim: 2 input_dim: 3 input_dim: 4 layer { name: "r" type: "ReLU" bottom: "data" top: "r" }"#)
        XCTAssertEqual(net.layerNames, ["input", "r"])
        XCTAssertEqual(net.blob(named: "data")!.shape, [1, 2, 3, 4])
        XCTAssertEqual(net.inputBlobNames, ["data"])
        XCTAssertEqual(net.outputBlobNames, ["r"])
    }
}
