import XCTest
import CaffeProto
import TestSupport

/// Caffe's upgrades of legacy nets and solvers (golden formats/legacy), applied on read.
final class LegacyUpgradeTests: XCTestCase {
    private func legacy(_ path: String) -> String { TestPaths.golden("formats/legacy/\(path)").path }

    private func upgradedMatchesCaffe(_ name: String) throws {
        let ours = try CaffeFiles.readNet(legacy("\(name)/input.prototxt"))
        let caffe = try CaffeFiles.read(legacy("\(name)/upgraded.prototxt"), as: Caffe_NetParameter.self)
        XCTAssertEqual(ours, caffe, name)
    }

    func testV1DeployWithInputDims() throws { try upgradedMatchesCaffe("v1_deploy") }

    func testV1TrainValWithTransformFieldsAndSharing() throws { try upgradedMatchesCaffe("v1_train_val") }

    func testV1CaffemodelUpgradesLikeUpgradeNetProtoBinary() throws {
        let ours = try CaffeFiles.readNet(legacy("v1_caffemodel/v1.caffemodel"))
        let caffe = try CaffeFiles.read(legacy("v1_caffemodel/upgraded.caffemodel"), as: Caffe_NetParameter.self)
        XCTAssertEqual(ours, caffe)
        XCTAssertEqual(ours.layer.first { $0.name == "fc8" }?.blobs.first.map { [$0.num, $0.channels, $0.height, $0.width] }, [1, 1, 5, 72])
    }

    /// A V1 net written by hand and its modern equivalent upgrade to the same message.
    func testHandWrittenV1EqualsModernNet() throws {
        let v1 = try CaffeText.parse("""
            name: "n"
            input: "data" input_shape { dim: 2 dim: 3 dim: 8 dim: 8 }
            layers { name: "conv" type: CONVOLUTION bottom: "data" top: "conv"
                     blobs_lr: 1 blobs_lr: 2 weight_decay: 1 weight_decay: 0 param: "w"
                     convolution_param { num_output: 4 kernel_size: 3 } }
            layers { name: "relu" type: RELU bottom: "conv" top: "conv" }
            layers { name: "loss" type: SOFTMAX_LOSS bottom: "conv" bottom: "label" loss_weight: 2
                     include { phase: TRAIN } }
            """, as: Caffe_NetParameter.self, file: "v1")
        let modern = try CaffeText.parse("""
            name: "n"
            layer { name: "input" type: "Input" top: "data" input_param { shape { dim: 2 dim: 3 dim: 8 dim: 8 } } }
            layer { name: "conv" type: "Convolution" bottom: "data" top: "conv"
                    param { name: "w" lr_mult: 1 decay_mult: 1 } param { lr_mult: 2 decay_mult: 0 }
                    convolution_param { num_output: 4 kernel_size: 3 } }
            layer { name: "relu" type: "ReLU" bottom: "conv" top: "conv" }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "conv" bottom: "label" loss_weight: 2
                    include { phase: TRAIN } }
            """, as: Caffe_NetParameter.self, file: "modern")
        var upgraded = v1
        let notes = try NetUpgrade.upgrade(&upgraded, file: "v1")
        XCTAssertEqual(upgraded, modern)
        XCTAssertEqual(notes.count, 2)
        var unchanged = modern
        XCTAssertEqual(try NetUpgrade.upgrade(&unchanged, file: "modern"), [])
        XCTAssertEqual(unchanged, modern)
    }

    func testBatchNormParamsAreClearedAsCaffeDoes() throws {
        var net = try CaffeFiles.read(TestPaths.golden("formats/caffemodel/convbn/weights.caffemodel").path, as: Caffe_NetParameter.self)
        XCTAssertEqual(net.layer.first { $0.type == "BatchNorm" }?.param.count, 3)
        try NetUpgrade.upgrade(&net, file: "convbn")
        XCTAssertEqual(net.layer.first { $0.type == "BatchNorm" }?.param.count, 0)
    }

    func testV0AndMixedNetsGetClearErrors() {
        for (name, fragment) in [("v0_deploy", "V0 nets are not supported"), ("v0_train", "V0 nets are not supported"),
                                 ("v1_mixed_layer_layers", "mixes 'layer' (current) and 'layers' (V1)")] {
            do {
                _ = try CaffeFiles.readNet(legacy("\(name)/input.prototxt"))
                XCTFail("\(name) should be refused")
            } catch {
                XCTAssertTrue("\(error)".contains(fragment), "\(name): \(error)")
                XCTAssertTrue("\(error)".hasPrefix(legacy("\(name)/input.prototxt")), "\(error)")
            }
        }
    }

    func testSolverTypeUpgrades() throws {
        for name in ["solver_type_sgd", "solver_type_adam", "solver_current"] {
            let ours = try CaffeFiles.readSolver(legacy("\(name)/input.prototxt"))
            let caffe = try CaffeFiles.read(legacy("\(name)/upgraded.prototxt"), as: Caffe_SolverParameter.self)
            XCTAssertEqual(ours, caffe, name)
        }
        XCTAssertThrowsError(try CaffeFiles.readSolver(legacy("solver_type_and_type/input.prototxt"))) { error in
            XCTAssertTrue("\(error)".contains("sets both solver_type (deprecated enum) and type"), "\(error)")
        }
    }
}
