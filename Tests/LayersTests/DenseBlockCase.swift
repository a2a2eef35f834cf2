import Kernels
import CaffeProto
import Foundation
import Runtime
import TestSupport

/// golden/layers/net_dense_block: a DSOD dense block in TRAIN; checks the layer order (with the
/// inserted Splits), every value inside in-place chains after each writer, every final blob, the
/// BatchNorm running sums, every blob's diff and the diffs inside in-place chains after each
/// reader's backward, and the parameter gradients.
struct DenseBlockCase {
    let goldenCase: GoldenCase
    let parameter: Caffe_NetParameter
    let registry: LayerRegistry

    func verify() throws -> GoldenOutcome {
        let runner = GoldenLayerRunner(registry: registry)
        let net = try runner.buildNet(goldenCase, parameter)
        var failures: [String] = []
        if let order = goldenCase.json["layer_order"] as? [[String: Any]] {
            let expected = order.compactMap { $0["layer"] as? String }
            if expected != net.layerNames { failures.append("layer order \(net.layerNames), expected \(expected)") }
            for entry in order {
                guard let name = entry["layer"] as? String, let index = net.indexOfLayer(named: name) else { continue }
                let bottoms = net.bottomBlobIndices[index].map { net.blobNames[$0] }
                let tops = net.topBlobIndices[index].map { net.blobNames[$0] }
                if bottoms != (entry["bottoms"] as? [String] ?? []) || tops != (entry["tops"] as? [String] ?? []) {
                    failures.append("layer \(name): bottoms \(bottoms) tops \(tops), expected \(entry["bottoms"] ?? "") \(entry["tops"] ?? "")")
                }
            }
        }
        let forward = goldenCase.forwardTolerance ?? GoldenTolerance(atol: 0, rtol: 0)
        let backward = goldenCase.backwardTolerance ?? forward
        try runner.feed(net, goldenCase, from: "bottom")
        let afterLayer = Dictionary(uniqueKeysWithValues: try goldenCase.arrays(in: "after_layer").map { ($0.name, $0.array) })
        for index in net.layers.indices {
            try net.forwardLayer(index)
            for blobId in net.topBlobIndices[index] {
                let key = "\(net.layerNames[index]).\(net.blobNames[blobId])"
                guard let golden = afterLayer[key] else { continue }
                let blob = net.blobs[blobId]
                if let mismatch = goldenMismatch("after_layer/\(key)", shape: blob.shape, values: blob.dataArray(), golden: golden, tolerance: forward) {
                    failures.append(mismatch)
                }
            }
        }
        failures += try runner.compareBlobs(net, goldenCase, folder: "top", tolerance: forward, diff: false)
        failures += try runner.compareParams(net, goldenCase, folder: "blobs_after", tolerance: forward, diff: false)

        net.clearParamDiffs()
        let afterBackward = Dictionary(uniqueKeysWithValues: try goldenCase.arrays(in: "after_layer_backward").map { ($0.name, $0.array) })
        for index in net.layers.indices.reversed() where net.layerNeedsBackward[index] {
            try net.backwardLayer(index)
            for blobId in net.bottomBlobIndices[index] {
                let key = "\(net.layerNames[index]).\(net.blobNames[blobId])"
                guard let golden = afterBackward[key] else { continue }
                let blob = net.blobs[blobId]
                if let mismatch = goldenMismatch("after_layer_backward/\(key)", shape: blob.shape, values: blob.diffArray(), golden: golden, tolerance: backward) {
                    failures.append(mismatch)
                }
            }
        }
        failures += try runner.compareBlobs(net, goldenCase, folder: "blob_diff", tolerance: backward, diff: true)
        failures += try runner.compareBlobs(net, goldenCase, folder: "bottom_diff", tolerance: backward, diff: true)
        failures += try runner.compareParams(net, goldenCase, folder: "param_diff", tolerance: backward, diff: true)
        return failures.isEmpty ? .passed : .failed(failures)
    }

    /// The same block with the BatchNorm/Scale/ReLU chains recomputed by the convolutions
    /// (`NetOptimizations.recomputeBatchNorm`): the chains' tops are not computed, so the checks
    /// are the loss, the BatchNorm running sums, every diff of a blob that is still computed, the
    /// bottom and the parameter gradients. Splits share their first top's gradient.
    func verifyRecomputed() throws -> GoldenOutcome {
        var runner = GoldenLayerRunner(registry: registry)
        runner.optimizations = .all
        let net = try runner.buildNet(goldenCase, parameter)
        let folded = Set(net.layerIsFolded.indices.filter { net.layerIsFolded[$0] }.map { net.layers[$0].type })
        var failures: [String] = []
        if folded != (PackedGemm.isAvailable ? ["BatchNorm", "Scale", "ReLU"] : []) { failures.append("recomputed: folded layer types \(folded.sorted()), expected BatchNorm, ReLU, Scale") }
        // Blobs whose every writer still runs hold Caffe's values.
        let computed = Set(net.layers.indices.filter { !net.layerIsFolded[$0] }.flatMap { net.topBlobIndices[$0] })
        let skipped = Set(net.layers.indices.filter { net.layerIsFolded[$0] }.flatMap { net.topBlobIndices[$0] })
        let kept = computed.subtracting(skipped)
        let forward = goldenCase.forwardTolerance ?? GoldenTolerance(atol: 0, rtol: 0)
        let backward = goldenCase.backwardTolerance ?? forward
        try runner.feed(net, goldenCase, from: "bottom")
        try net.forward()
        var compared = 0
        for (name, array) in try goldenCase.arrays(in: "top") {
            guard let index = net.blobNames.firstIndex(of: name), kept.contains(index) else { continue }
            compared += 1
            if let mismatch = goldenMismatch("recomputed top/\(name)", shape: net.blobs[index].shape, values: net.blobs[index].dataArray(), golden: array, tolerance: forward) {
                failures.append(mismatch)
            }
        }
        failures += try runner.compareParams(net, goldenCase, folder: "blobs_after", tolerance: forward, diff: false)
        net.clearParamDiffs()
        try net.backward()
        for (name, array) in try goldenCase.arrays(in: "blob_diff") {
            // A Split's first top shares its bottom's gradient (NetOptimizations.shareSplitDiff):
            // it reads as the sum, which the bottom's own entry checks.
            guard let index = net.blobNames.firstIndex(of: name), kept.contains(index), !name.hasSuffix("_split_0") else { continue }
            compared += 1
            if let mismatch = goldenMismatch("recomputed blob_diff/\(name)", shape: net.blobs[index].shape, values: net.blobs[index].diffArray(), golden: array, tolerance: backward) {
                failures.append(mismatch)
            }
        }
        failures += try runner.compareBlobs(net, goldenCase, folder: "bottom_diff", tolerance: backward, diff: true)
        failures += try runner.compareParams(net, goldenCase, folder: "param_diff", tolerance: backward, diff: true)
        if compared < 4 { failures.append("recomputed: only \(compared) blobs compared") }
        return failures.isEmpty ? .passed : .failed(failures)
    }
}
