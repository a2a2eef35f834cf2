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
}
