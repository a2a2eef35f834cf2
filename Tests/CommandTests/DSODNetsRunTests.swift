import CaffeProto
@testable import DSODCommands
import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// DSOD300, GRP_DSOD320 (the reference deploy nets) and DSOD512 (from dsodgen) build and run
/// forward at batch 1 and 2 with filled weights; in TEST mode the samples are independent, so
/// sample 0 of the batch of 2 equals the batch of 1. Types not registered are left out with
/// what depends on them.
final class DSODNetsRunTests: XCTestCase {
    private func deployNets() throws -> [(name: String, net: Caffe_NetParameter)] {
        var nets: [(String, Caffe_NetParameter)] = []
        for model in ["DSOD300_pascal", "GRP_DSOD320_pascal"] {
            let path = TestPaths.referencePrototxt.appendingPathComponent("\(model)/deploy.prototxt").path
            nets.append((model, try CaffeFiles.readNet(path)))
        }
        let text = try DsodgenCommand.parse(["DSOD512"]).render(home: "/home/user")
        nets.append(("DSOD512", try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "DSOD512 deploy")))
        return nets
    }

    func testDeployNetsRunAtBatchOneAndTwo() throws {
        for (name, parameter) in try deployNets() {
            let pruning = try pruneToRegistered(parameter, registry: .standard)
            var pruned = pruning.0
            let removed = pruning.1
            // The deploy nets' save_output_param names VOC files under the Caffe root (Caffe
            // aborts without them, and so does ours): this test does not write results.
            for i in pruned.layer.indices where pruned.layer[i].type == "DetectionOutput" {
                pruned.layer[i].detectionOutputParam.clearSaveOutputParam()
            }
            let net = try Net(parameter: pruned, phase: .test, registry: .standard, seed: 11)
            // Sane running statistics instead of the zero sums of a fresh net (factor 0 divides by sqrt(eps)).
            for layer in net.layers where layer.type == "BatchNorm" {
                layer.blobs[1].fillData(1)
                layer.blobs[2].fillData(1)
            }
            let data = try XCTUnwrap(net.blob(named: "data"))
            let single = data.shape
            XCTAssertEqual(single[0], 1, name)
            let random = RandomSource(seed: 5)
            let image = (0..<data.count).map { _ in random.uniform(-100, 100) }
            let second = (0..<data.count).map { _ in random.uniform(-100, 100) }

            let started = Date()
            try data.setData(image)
            try net.forward()
            let outputs = ["mbox_loc", "mbox_conf_flatten"].filter { net.hasBlob($0) }
            XCTAssertEqual(outputs.count, 2, "\(name): the heads are built")
            let batchOne = outputs.map { net.blob(named: $0)!.dataArray() }
            for (output, values) in zip(outputs, batchOne) {
                XCTAssertTrue(values.allSatisfy(\.isFinite), "\(name) \(output) finite")
            }

            try data.reshape([2] + single.dropFirst())
            try data.setData(image + second)
            try net.forward()
            for (output, values) in zip(outputs, batchOne) {
                let blob = net.blob(named: output)!
                XCTAssertEqual(blob.shape[0], 2, "\(name) \(output) batch 2")
                let first = Array(blob.dataArray().prefix(values.count))
                XCTAssertNil(toleranceViolation(ours: first, caffe: values, atol: 1e-4, rtol: 1e-4), "\(name) \(output): sample 0 of batch 2 vs batch 1")
            }
            print("\(name): \(net.layers.count) layers, batch 1 and 2 in \(String(format: "%.1f", Date().timeIntervalSince(started))) s; left out: \(removed.count) layers (\(Set(removed.compactMap { r in parameter.layer.first { $0.name == r }?.type }).sorted().joined(separator: ", ")))")
        }
    }
}
