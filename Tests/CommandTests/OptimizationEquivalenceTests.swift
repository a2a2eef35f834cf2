import CaffeProto
@testable import DSODCommands
import Foundation
import Kernels
import Layers
import Runtime
import TestSupport
import XCTest

/// The speed and memory levers (`NetOptimizations`: folding, recomputed BatchNorm chains, shared
/// Split gradients, memory reuse) change float rounding only, on every DSOD net and not just on
/// the DSOD300 golden cases: the same weights and inputs through `.none` (every layer as Caffe)
/// and through the defaults give the same outputs, loss and parameter gradients.
final class OptimizationEquivalenceTests: XCTestCase {
    /// GRP_DSOD320 (its recurrent pooling/deconvolution paths), DSOD512 (seven heads) and DSOD_tiny
    /// train one step at batch 2 the same way with and without the levers.
    func testTrainNetsGiveTheSameLossAndGradients() throws {
        for (name, parameter, size) in try trainNets() {
            var results: [(loss: Float, diffs: [String: [Float]], sums: [String: [Float]])] = []
            var optimizedNet: Net?, initial: [String: [[Float]]]?
            for optimizations in [NetOptimizations.none, .all] {
                let net = try Net(parameter: inputFed(parameter, batch: 2, size: size), phase: .train, registry: .standard,
                                  seed: 7, optimizations: optimizations)
                initial = try sameParameters(net, as: initial)
                try feed(net, batch: 2, size: size, seed: 9)
                net.clearParamDiffs()
                let loss = try net.forward()
                try net.backward()
                var diffs: [String: [Float]] = [:], sums: [String: [Float]] = [:]
                for (i, layer) in net.layers.enumerated() {
                    for (j, blob) in layer.blobs.enumerated() {
                        let key = "\(net.layerNames[i]).\(j)"
                        if layer.type == "BatchNorm" { sums[key] = blob.dataArray() } else { diffs[key] = blob.diffArray() }
                    }
                }
                results.append((loss, diffs, sums))
                if optimizations != .none { optimizedNet = net }
            }
            let changed = optimizedNet.map { net in net.layerIsFolded.filter { $0 }.count } ?? 0
            print("\(name) train: \(changed) layers recomputed by convolutions; loss \(results[0].loss) vs \(results[1].loss)")
            XCTAssertTrue(results[0].loss.isFinite && results[0].loss > 0, name)
            XCTAssertEqual(results[1].loss, results[0].loss, accuracy: 1e-4 * abs(results[0].loss), "\(name) loss")
            XCTAssertEqual(Set(results[0].diffs.keys), Set(results[1].diffs.keys))
            // The gradients are real: most weights have one (a head without a matched prior, or a
            // layer with lr_mult 0, has none).
            let weights = results[0].diffs.filter { $0.key.hasSuffix(".0") }
            let moving = weights.filter { $0.value.contains { $0 != 0 } }.count
            print("\(name) train: \(moving) of \(weights.count) weight blobs have a gradient")
            XCTAssertGreaterThan(Double(moving), 0.7 * Double(weights.count), name)
            var worst = (key: "", error: 0.0)
            for (key, reference) in results[0].diffs {
                let error = relativeL2(results[1].diffs[key] ?? [], reference)
                if error > worst.error { worst = (key, error) }
            }
            print("\(name) train: worst relative L2 error of a parameter gradient \(worst.error) (\(worst.key))")
            XCTAssertLessThan(worst.error, 2e-3, "\(name): worst parameter gradient \(worst.key)")
            // Without the packed kernels (no AVX-512, DSOD_KERNELS=blas) nothing is recomputed.
            XCTAssertEqual(changed > 0, PackedGemm.isAvailable, "\(name): chains recomputed")
            for (key, reference) in results[0].sums {
                XCTAssertNil(toleranceViolation(ours: results[1].sums[key] ?? [], caffe: reference, atol: 1e-4, rtol: 1e-4),
                             "\(name) BatchNorm running sums \(key)")
            }
        }
    }

    /// GRP_DSOD320 and DSOD512 deploy: the heads' outputs with folding and memory reuse equal
    /// those of every layer run as Caffe, with BatchNorm statistics and Scale parameters that
    /// are not the identity.
    func testDeployNetsGiveTheSameOutputs() throws {
        for (name, parameter, size) in try deployNets() {
            var outputs: [[String: [Float]]] = []
            var initial: [String: [[Float]]]?
            for optimizations in [NetOptimizations.none, .outputsOnly] {
                let net = try Net(parameter: parameter, phase: .test, registry: .standard, seed: 7, optimizations: optimizations)
                initial = try sameParameters(net, as: initial)
                let data = try XCTUnwrap(net.blob(named: "data"))
                try data.reshape([1, 3, size, size])
                let random = RandomSource(seed: 5)
                try data.setData((0..<data.count).map { _ in random.uniform(-100, 100) })
                try net.forward()
                if optimizations != .none {
                    XCTAssertEqual(net.layerIsFolded.contains(true), PackedGemm.isAvailable, "\(name): layers folded")
                }
                outputs.append(Dictionary(uniqueKeysWithValues: ["mbox_loc", "mbox_conf_softmax", "mbox_conf_flatten"]
                    .compactMap { key in net.blob(named: key).map { (key, $0.dataArray()) } }))
            }
            XCTAssertGreaterThanOrEqual(outputs[0].count, 2, "\(name): the heads are built")
            for (key, reference) in outputs[0] {
                XCTAssertNil(toleranceViolation(ours: outputs[1][key] ?? [], caffe: reference, atol: 1e-4, rtol: 1e-4), "\(name) \(key)")
            }
        }
    }

    // MARK: - Nets and inputs

    private func trainNets() throws -> [(String, Caffe_NetParameter, Int)] {
        let grp = try CaffeFiles.readNet(TestPaths.repoRoot.appendingPathComponent("prototxt/GRP_DSOD320_pascal/train.prototxt").path)
        let tiny = try CaffeFiles.readNet(TestPaths.repoRoot.appendingPathComponent("prototxt/DSOD_tiny_synth/train.prototxt").path)
        let text = try DsodgenCommand.parse(["DSOD512", "--phase", "train"]).render(home: "/home/user")
        let dsod512 = try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "DSOD512 train")
        return [("GRP_DSOD320", grp, 320), ("DSOD512", dsod512, 512), ("DSOD_tiny", tiny, 160)]
    }

    private func deployNets() throws -> [(String, Caffe_NetParameter, Int)] {
        var grp = try CaffeFiles.readNet(TestPaths.repoRoot.appendingPathComponent("prototxt/GRP_DSOD320_pascal/deploy.prototxt").path)
        let text = try DsodgenCommand.parse(["DSOD512"]).render(home: "/home/user")
        var dsod512 = try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "DSOD512 deploy")
        // DetectionOutput's save_output_param names VOC files under the Caffe root; not wanted here.
        for i in grp.layer.indices where grp.layer[i].type == "DetectionOutput" { grp.layer[i].detectionOutputParam.clearSaveOutputParam() }
        for i in dsod512.layer.indices where dsod512.layer[i].type == "DetectionOutput" { dsod512.layer[i].detectionOutputParam.clearSaveOutputParam() }
        return [("GRP_DSOD320", grp, 320), ("DSOD512", dsod512, 512)]
    }

    /// The train net with its AnnotatedData layer replaced by an Input layer of the same tops.
    private func inputFed(_ parameter: Caffe_NetParameter, batch: Int, size: Int) throws -> Caffe_NetParameter {
        var net = parameter
        let index = try XCTUnwrap(net.layer.firstIndex { $0.type == "AnnotatedData" })
        var input = Caffe_LayerParameter()
        input.name = net.layer[index].name
        input.type = "Input"
        input.top = ["data", "label"]
        var dataShape = Caffe_BlobShape(), labelShape = Caffe_BlobShape()
        dataShape.dim = [Int64(batch), 3, Int64(size), Int64(size)]
        labelShape.dim = [1, 1, Int64(2 * batch), 8]
        input.inputParam.shape = [dataShape, labelShape]
        net.layer[index] = input
        return net
    }

    /// Random pixels and two ground-truth boxes per image.
    private func feed(_ net: Net, batch: Int, size: Int, seed: UInt64) throws {
        let random = RandomSource(seed: seed)
        let data = try XCTUnwrap(net.blob(named: "data"))
        try data.setData((0..<data.count).map { _ in random.uniform(-100, 100) })
        var rows: [Float] = []
        for item in 0..<batch {
            for instance in 0..<2 {
                let x = random.uniform(0, 0.5), y = random.uniform(0, 0.5)
                let label = Float(1 + (item * 2 + instance) % 5)
                rows += [Float(item), label, Float(instance), x, y, x + random.uniform(0.1, 0.5), y + random.uniform(0.1, 0.5), 0]
            }
        }
        try XCTUnwrap(net.blob(named: "label")).setData(rows)
    }

    /// Gives `net` the parameters recorded from the first net, or (the first net) fills its
    /// BatchNorm statistics and Scale parameters away from the identity, so that folding has work
    /// to do, and records its parameters before anything runs.
    private func sameParameters(_ net: Net, as recorded: [String: [[Float]]]?) throws -> [String: [[Float]]] {
        if let recorded {
            for (i, layer) in net.layers.enumerated() {
                let values = try XCTUnwrap(recorded[net.layerNames[i]])
                for (blob, data) in zip(layer.blobs, values) { try blob.setData(data) }
            }
            return recorded
        }
        let random = RandomSource(seed: 3)
        for layer in net.layers {
            switch layer.type {
            case "BatchNorm" where layer.blobs.count == 3:
                try layer.blobs[0].setData((0..<layer.blobs[0].count).map { _ in random.uniform(-0.5, 0.5) })
                try layer.blobs[1].setData((0..<layer.blobs[1].count).map { _ in random.uniform(0.5, 2) })
                layer.blobs[2].fillData(1)
            case "Scale":
                for (j, blob) in layer.blobs.enumerated() {
                    // Scale's gamma near 1, its bias near 0.
                    try blob.setData((0..<blob.count).map { _ in random.uniform(0.5, 1.5) - (j == 0 ? 0 : 1) })
                }
            default: break
            }
        }
        var values: [String: [[Float]]] = [:]
        for (i, layer) in net.layers.enumerated() { values[net.layerNames[i]] = layer.blobs.map { $0.dataArray() } }
        return values
    }

    private func relativeL2(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return norm == 0 ? (difference == 0 ? 0 : .infinity) : (difference / norm).squareRoot()
    }
}
