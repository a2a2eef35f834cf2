import CaffeProto
import Foundation
import Layers
import Runtime

/// Checks on a weights file that `inspect` and `convert` make: each stored blob must hold as
/// many values as its shape says (what Caffe's `Blob::FromProto` CHECKs when it loads one), and,
/// with `--model`, the weights must load into that net (`caffe test -model M -weights W`).
enum WeightChecks {
    /// Every stored blob's value count against its shape (legacy 4-D dims win, as in Caffe).
    static func checkStoredBlobs(_ net: Caffe_NetParameter, file: String) throws {
        for layer in net.layer {
            for (i, blob) in layer.blobs.enumerated() {
                let shape = Blob.shape(of: blob)
                let stored = !blob.doubleData.isEmpty ? blob.doubleData.count : blob.data.count
                let field = !blob.doubleData.isEmpty ? "double_data" : "data"
                guard let expected = product(shape), expected == stored else {
                    let needs = product(shape).map { "\($0) values" } ?? "more values than can be counted"
                    throw NetError(file: file, layer: layer.name, message: "param \(i): a blob of shape \(shape) needs \(needs), the file stores \(stored) in '\(field)' (Caffe aborts here: Check failed: count_ == proto.data_size())")
                }
                let diffs = !blob.doubleDiff.isEmpty ? blob.doubleDiff.count : blob.diff.count
                guard diffs == 0 || diffs == expected else {
                    throw NetError(file: file, layer: layer.name, message: "param \(i): a blob of shape \(shape) needs \(expected) diff values, the file stores \(diffs)")
                }
            }
        }
    }

    /// Loads `weights` into the net of `model` (data layers replaced by inputs of their shape)
    /// and returns the warnings Caffe would not give: net layers with parameters the file has no
    /// weights for. Mismatches (blob count, shape, value count) are errors naming the layer.
    static func checkAgainstModel(_ weights: Caffe_NetParameter, weightsFile: String, model: String) throws -> [String] {
        let definition = try CaffeFiles.readNet(model)
        let net: Net
        do {
            let shapeNet = try NetShapes.shapeOnly(definition)
            do {
                net = try Net(parameter: shapeNet, phase: .test, registry: .standard)
            } catch let testError {
                guard let trained = try? Net(parameter: shapeNet, phase: .train, registry: .standard) else { throw testError }
                net = trained
            }
        } catch let error as NetError where error.file == nil {
            throw NetError(file: model, layer: error.layer, message: error.message)
        } catch let error as LayerError {
            throw NetError(file: model, message: error.description)
        }
        let report = try net.copyTrainedLayers(from: weights, file: weightsFile)
        var warnings: [String] = []
        if !report.layersWithoutWeights.isEmpty {
            warnings.append("\(weightsFile) has no weights for \(report.layersWithoutWeights.count) layer(s) of \(model) with parameters; they keep their fillers: \(report.layersWithoutWeights.joined(separator: ", "))")
        }
        return warnings
    }

    private static func product(_ shape: [Int]) -> Int? {
        var result = 1
        for dim in shape {
            guard dim >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: dim)
            if overflow { return nil }
            result = next
        }
        return result
    }
}
