import Kernels
import CaffeProto
import Foundation
import Layers
import Runtime
import TestSupport
import XCTest

/// golden/nets/dsod300_train_step: one TRAIN step of DSOD300 (batch 2) with the deploy weights.
/// The BatchNorm running sums after the forward are checked now; the loss and the parameter
/// gradients need MultiBoxLoss and PriorBox, and are checked once those types are registered.
final class DSOD300TrainStepGoldenTests: XCTestCase {
    func testTrainStepMatchesCaffe() throws {
        let folder = TestPaths.golden("nets/dsod300_train_step")
        let goldenCase = try GoldenCase(folder: folder)
        let parameter = try CaffeFiles.readNet(folder.appendingPathComponent("train_input.prototxt").path)
        let (pruned, removed) = try pruneToRegistered(parameter, registry: .standard)
        let complete = removed.isEmpty
        if !complete { print("dsod300_train_step: not built yet (unregistered types): \(removed.joined(separator: ", "))") }

        let net = try Net(parameter: pruned, phase: .train, registry: .standard)
        let recomputed = net.layerIsFolded.indices.filter { net.layerIsFolded[$0] }.map { net.layers[$0].type }
        print("dsod300_train_step: recomputed in convolutions: \(Dictionary(grouping: recomputed, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))")
        // 92 BatchNorms: all but the 12 of the heads (before Permute) and the stem's last (before Pooling).
        XCTAssertEqual(recomputed.filter { $0 == "BatchNorm" }.count, PackedGemm.isAvailable ? 79 : 0, "every BatchNorm chain in front of a convolution is recomputed")
        try net.loadWeights(from: TestPaths.golden("nets/dsod300_deploy/weights.caffemodel").path)
        for (name, array) in try goldenCase.arrays(in: "blobs") {
            guard let blob = net.blob(named: name) else { continue }
            if blob.shape != array.shape { try blob.reshape(array.shape) }
            try blob.setData(array.values)
        }
        net.clearParamDiffs()
        var started = Date()
        let loss = try net.forward()
        print("dsod300_train_step: TRAIN forward (batch 2) in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")

        let afterTolerances = goldenCase.json["blobs_after_tolerance"] as? [String: Any] ?? [:]
        for (name, array) in try goldenCase.arrays(in: "blobs_after") {
            let parts = name.split(separator: ".")
            guard parts.count == 2, let layer = net.layer(named: String(parts[0])), let index = Int(parts[1]) else {
                XCTFail("blobs_after/\(name): no such layer blob")
                continue
            }
            let tolerance = GoldenTolerance(json: afterTolerances[name]) ?? GoldenTolerance(atol: 0, rtol: 0)
            if let mismatch = goldenMismatch("blobs_after/\(name)", shape: layer.blobs[index].shape, values: layer.blobs[index].dataArray(), golden: array, tolerance: tolerance) {
                XCTFail(mismatch)
            }
        }
        guard complete else {
            print("dsod300_train_step: loss and gradients not checked until MultiBoxLoss/PriorBox are registered")
            return
        }

        let lossData = try Data(contentsOf: folder.appendingPathComponent("loss.json"))
        let lossJSON = try JSONSerialization.jsonObject(with: lossData) as? [String: Any] ?? [:]
        if let expected = (lossJSON["mbox_loss"] as? NSNumber)?.doubleValue {
            let tolerance = GoldenTolerance(json: lossJSON["tolerance"]) ?? GoldenTolerance(atol: 6e-5, rtol: 1e-5)
            XCTAssertLessThanOrEqual(abs(Double(loss) - expected), tolerance.atol + tolerance.rtol * abs(expected), "mbox_loss \(loss), Caffe's \(expected)")
        }
        started = Date()
        try net.backward()
        print("dsod300_train_step: TRAIN backward in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        let diffTolerances = goldenCase.json["param_diff_tolerance"] as? [String: [String: Any]] ?? [:]
        let gradients = try goldenCase.arrays(in: "param_diff")
        XCTAssertEqual(gradients.count, 22)
        print("dsod300_train_step: loss \(loss); comparing \(gradients.count) parameter gradients")
        for (name, array) in gradients {
            guard let dot = name.lastIndex(of: "."), let index = Int(name[name.index(after: dot)...]),
                  let layer = net.layer(named: String(name[..<dot])), index < layer.blobs.count else {
                XCTFail("param_diff/\(name): no such layer blob")
                continue
            }
            let entry = diffTolerances[name] ?? [:]
            let tolerance = GoldenTolerance(json: entry) ?? GoldenTolerance(atol: 0, rtol: 0)
            let ours = layer.blobs[index].diffArray()
            if let mismatch = goldenMismatch("param_diff/\(name)", shape: layer.blobs[index].shape, values: ours, golden: array, tolerance: tolerance) {
                XCTFail(mismatch)
            }
            if let limit = (entry["rel_l2"] as? NSNumber)?.doubleValue {
                let distance = relativeL2(ours: ours, caffe: array.values)
                XCTAssertLessThanOrEqual(distance, limit, "param_diff/\(name): relative L2 \(distance) > \(limit)")
            }
        }
    }
}
