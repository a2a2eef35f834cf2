import Kernels
import CaffeProto
import Foundation
import Layers
@testable import Runtime
import TestSupport
import XCTest

/// golden/nets/dsod300_deploy: DSOD300's deploy net with Caffe's weights on astronaut.jpg; every
/// saved blob within its tolerance (detection_out row by row), the layer order and top shapes of
/// layer_order.txt. Every layer type of the net is registered: nothing may be pruned.
final class DSOD300DeployGoldenTests: XCTestCase {
    /// With folding (the default): BatchNorm/Scale/ReLU taken over by the convolutions.
    func testForwardMatchesCaffe() throws {
        let net = try checkForward(optimizations: .all)
        let folded = net.layerIsFolded.enumerated().filter(\.element).map { net.layers[$0.offset].type }
        print("dsod300_deploy: folded \(folded.count) layers (\(Dictionary(grouping: folded, by: { $0 }).mapValues(\.count).sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        // Every BatchNorm, Scale and ReLU of DSOD300 sits next to a convolution it can be folded into.
        // (Without the packed kernels, DSOD_KERNELS=blas or no AVX-512, nothing is folded.)
        XCTAssertEqual(folded.count, PackedGemm.isAvailable ? 92 + 92 + 80 : 0)
    }

    /// Without folding every layer runs as in Caffe; folded and unfolded outputs agree within the
    /// golden tolerances.
    func testUnfoldedForwardMatchesCaffeAndFolded() throws {
        let unfolded = try checkForward(optimizations: .none)
        XCTAssertFalse(unfolded.layerIsFolded.contains(true))
        let folded = try checkForward(optimizations: .all)
        let goldenCase = try GoldenCase(folder: TestPaths.golden("nets/dsod300_deploy"))
        let tolerances = goldenCase.json["blob_tolerance"] as? [String: Any] ?? [:]
        var compared = 0
        for name in ["Convolution5", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "mbox_loc", "mbox_conf", "mbox_conf_softmax", "detection_out"] {
            let a = try XCTUnwrap(unfolded.blob(named: name)), b = try XCTUnwrap(folded.blob(named: name))
            XCTAssertEqual(a.shape, b.shape, name)
            let tolerance = GoldenTolerance(json: tolerances[name]) ?? GoldenTolerance(atol: 2e-4, rtol: 1e-5)
            XCTAssertNil(toleranceViolation(ours: b.dataArray(), caffe: a.dataArray(), atol: tolerance.atol, rtol: tolerance.rtol), "\(name): folded vs unfolded")
            compared += 1
        }
        XCTAssertEqual(compared, 11)
    }

    /// With memory reuse the outputs are the same bits as without, at batch 1 and then 2 (slots
    /// grow), and far fewer blobs keep memory of their own.
    func testMemoryReuseKeepsOutputs() throws {
        let folder = TestPaths.golden("nets/dsod300_deploy")
        var parameter = try CaffeFiles.readNet(folder.appendingPathComponent("deploy.prototxt").path)
        for i in parameter.layer.indices where parameter.layer[i].type == "DetectionOutput" {
            parameter.layer[i].detectionOutputParam.clearSaveOutputParam()
        }
        let input = try GoldenCase(folder: folder).arrays(in: "blobs").first { $0.name == "data" }!.array.values
        var results: [[[Float]]] = []
        for optimizations in [NetOptimizations.all, .outputsOnly] {
            let net = try Net(parameter: parameter, phase: .test, registry: .standard, optimizations: optimizations)
            try net.loadWeights(from: folder.appendingPathComponent("weights.caffemodel").path)
            var outputs: [[Float]] = []
            for batch in [1, 2] {
                let data = try XCTUnwrap(net.blob(named: "data"))
                try data.reshape([batch, 3, 300, 300])
                try data.setData(Array((0..<batch).map { _ in input }.joined()))
                try net.forward()
                outputs.append(try XCTUnwrap(net.blob(named: "detection_out")).dataArray())
            }
            if optimizations.reuseMemory {
                let plan = try XCTUnwrap(net.memoryPlan, "a plan for the TEST net")
                print("dsod300_deploy: memory reuse: \(plan.plannedBlobs) blobs in \(plan.slotCount) slots")
                XCTAssertGreaterThan(plan.plannedBlobs, 150)
                XCTAssertLessThan(plan.slotCount, 20)
            }
            results.append(outputs)
        }
        XCTAssertEqual(results[0], results[1], "detection_out with and without memory reuse")
        XCTAssertEqual(results[0][0].count, 68 * 7)
    }

    @discardableResult
    private func checkForward(optimizations: NetOptimizations) throws -> Net {
        let folder = TestPaths.golden("nets/dsod300_deploy")
        let goldenCase = try GoldenCase(folder: folder)
        var parameter = try CaffeFiles.readNet(folder.appendingPathComponent("deploy.prototxt").path)
        // save_output_param names VOC files that do not exist here; it only writes result files.
        for i in parameter.layer.indices where parameter.layer[i].type == "DetectionOutput" {
            parameter.layer[i].detectionOutputParam.clearSaveOutputParam()
        }
        let (pruned, removed) = try pruneToRegistered(parameter, registry: .standard)
        XCTAssertEqual(removed, [], "every DSOD300 layer type must be registered")

        var started = Date()
        let net = try Net(parameter: pruned, phase: .test, registry: .standard, optimizations: optimizations)
        print("dsod300_deploy: built \(net.layers.count) layers in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        started = Date()
        let report = try net.loadWeights(from: folder.appendingPathComponent("weights.caffemodel").path)
        print("dsod300_deploy: loaded weights of \(report.loadedLayers.count) layers in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        XCTAssertEqual(report.layersWithoutWeights, [], "every layer with parameters gets weights")

        let blobs = try goldenCase.arrays(in: "blobs")
        let data = try XCTUnwrap(blobs.first(where: { $0.name == "data" }), "no blobs/data.npy")
        try net.blob(named: "data")!.setData(data.array.values)
        started = Date()
        try net.forward()
        print("dsod300_deploy: forward in \(String(format: "%.2f", Date().timeIntervalSince(started))) s")

        let tolerances = goldenCase.json["blob_tolerance"] as? [String: Any] ?? [:]
        var compared: [String] = []
        if let golden = blobs.first(where: { $0.name == "detection_out" })?.array, let detections = net.blob(named: "detection_out") {
            compared.append("detection_out")
            let spec = (goldenCase.json["blobs"] as? [String: Any])?["detection_out"] as? [String: Any] ?? [:]
            let atolScore = (spec["atol_score"] as? NSNumber)?.floatValue ?? 2e-4
            let atolBox = (spec["atol_box"] as? NSNumber)?.floatValue ?? 4e-5
            XCTAssertEqual(detections.shape, golden.shape, "detection_out: row count")
            let ours = detections.dataArray()
            if ours.count == golden.values.count {
                for row in 0..<(ours.count / 7) {
                    let a = Array(ours[(row * 7)..<(row * 7 + 7)]), b = Array(golden.values[(row * 7)..<(row * 7 + 7)])
                    XCTAssertEqual(a[0], b[0], "detection_out row \(row): image id")
                    XCTAssertEqual(a[1], b[1], "detection_out row \(row): label (row order)")
                    XCTAssertLessThanOrEqual(abs(a[2] - b[2]), atolScore, "detection_out row \(row): score \(a[2]) vs \(b[2])")
                    for column in 3..<7 {
                        XCTAssertLessThanOrEqual(abs(a[column] - b[column]), atolBox, "detection_out row \(row) column \(column): \(a[column]) vs \(b[column])")
                    }
                }
            }
        }
        for (name, array) in blobs where name != "data" && name != "detection_out" {
            guard let blob = net.blob(named: name) else {
                XCTFail("dsod300_deploy: our net has no blob \(name)")
                continue
            }
            guard let tolerance = GoldenTolerance(json: tolerances[name]) else {
                print("dsod300_deploy: blob \(name) has no blob_tolerance entry; not compared")
                continue
            }
            compared.append(name)
            if let mismatch = goldenMismatch(name, shape: blob.shape, values: blob.dataArray(), golden: array, tolerance: tolerance) {
                XCTFail(mismatch)
            }
        }
        print("dsod300_deploy: compared \(compared.count) blobs: \(compared.joined(separator: ", "))")
        var required = ["Convolution5", "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Second_norm", "Sixth_norm", "mbox_loc", "mbox_conf", "mbox_conf_softmax"]
        if LayerRegistry.standard.contains("PriorBox") { required.append("mbox_priorbox") }
        if LayerRegistry.standard.contains("DetectionOutput") { required.append("detection_out") }
        for required in required {
            XCTAssertTrue(compared.contains(required), "\(required) must be compared")
        }
        if let softmax = net.blob(named: "mbox_conf_softmax"), let flatten = net.blob(named: "mbox_conf_flatten") {
            XCTAssertEqual(flatten.dataArray(), softmax.dataArray(), "mbox_conf_flatten is mbox_conf_softmax flattened")
        }

        // layer_order.txt: names, types, bottoms and top shapes of every layer we built that is
        // not an automatic Split (splits depend on which consumers exist).
        let order = try String(contentsOf: folder.appendingPathComponent("layer_order.txt"), encoding: .utf8)
        var checked = 0
        for line in order.split(separator: "\n") where !line.hasPrefix("#") {
            let fields = line.split(separator: "\t").map(String.init)
            guard fields.count >= 5, fields[2] != "Split", let index = net.indexOfLayer(named: fields[1]) else { continue }
            XCTAssertEqual(net.layers[index].type, fields[2], "type of \(fields[1])")
            for topField in fields[4].split(separator: " ") {
                let parts = topField.split(separator: ":")
                guard parts.count == 2, let blob = net.blob(named: String(parts[0])) else { continue }
                let expected = parts[1].split(separator: "x").compactMap { Int($0) }
                if blob.shape != expected && fields[2] != "DetectionOutput" {
                    XCTFail("\(fields[1]) top \(parts[0]) has shape \(blob.shape), Caffe's \(expected)")
                }
            }
            checked += 1
        }
        print("dsod300_deploy: checked \(checked) layers against layer_order.txt")
        XCTAssertGreaterThan(checked, 400)
        if removed.isEmpty {
            let expectedNames = order.split(separator: "\n").filter { !$0.hasPrefix("#") }.map { String($0.split(separator: "\t")[1]) }
            XCTAssertEqual(net.layerNames, expectedNames, "layer order including the automatic Splits")
        }
        return net
    }
}
