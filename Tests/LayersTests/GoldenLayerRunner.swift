import CaffeProto
import Foundation
import Layers
import Runtime
import TestSupport

/// What running one golden case gave.
enum GoldenOutcome {
    case passed
    case skipped(reason: String, types: [String])
    case failed([String])
}

/// Runs the case folders of golden/layers by their case.json: builds net.prototxt, loads
/// weights.caffemodel, feeds bottom/, compares top/ and blobs_after/ (forward tolerance), then
/// with top_diff/ set runs backward and compares bottom_diff/ and param_diff/ (backward
/// tolerance). Cases whose net uses a layer type the registry lacks are skipped, not passed.
struct GoldenLayerRunner {
    let registry: LayerRegistry
    var options = LayerOptions()
    /// Caffe's layers one by one (no folding), so that every intermediate blob is checked.
    var optimizations = NetOptimizations.none

    func run(_ goldenCase: GoldenCase) -> GoldenOutcome {
        if goldenCase.type == "SolverTestDetection" {
            return .skipped(reason: "solver TestDetection case (Solver tests)", types: ["SolverTestDetection"])
        }
        if goldenCase.type == "Fillers" {
            return FillersCase(goldenCase: goldenCase, registry: registry).verify()
        }
        let netPath = goldenCase.url("net.prototxt").path
        guard goldenCase.exists("net.prototxt") else {
            return .failed(["no net.prototxt in \(goldenCase.folder.path)"])
        }
        let parameter: Caffe_NetParameter
        do {
            parameter = try LegacyNetInput.upgrade(CaffeFiles.readNet(netPath))
        } catch {
            return .failed(["cannot read net.prototxt: \(error)"])
        }
        let missing = Set(parameter.layer.map(\.type)).filter { !registry.contains($0) }.sorted()
        if !missing.isEmpty {
            return .skipped(reason: "unregistered layer types", types: missing)
        }
        // Paths inside a case's prototxt are relative to the case folder.
        let previousDirectory = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(goldenCase.folder.path)
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previousDirectory) }
        do {
            if goldenCase.expectedError != nil {
                return try expectFailure(goldenCase, parameter)
            }
            switch goldenCase.name {
            case "dropout_train_random": return try DropoutStatisticsCase(goldenCase: goldenCase, parameter: parameter, registry: registry).verify()
            case "net_dense_block":
                let denseBlock = DenseBlockCase(goldenCase: goldenCase, parameter: parameter, registry: registry)
                let exact = try denseBlock.verify()
                guard case .passed = exact else { return exact }
                return try denseBlock.verifyRecomputed()
            default: return try runGeneric(goldenCase, parameter)
            }
        } catch {
            return .failed(["\(error)"])
        }
    }

    /// Builds the case net with its weights.
    func buildNet(_ goldenCase: GoldenCase, _ parameter: Caffe_NetParameter) throws -> Net {
        let net = try Net(parameter: parameter, phase: goldenCase.phase, registry: registry, options: options, optimizations: optimizations)
        if goldenCase.exists("weights.caffemodel") {
            try net.loadWeights(from: goldenCase.url("weights.caffemodel").path)
        }
        return net
    }

    /// Writes the arrays of `folder` into the blobs of the same name (reshaping when needed).
    func feed(_ net: Net, _ goldenCase: GoldenCase, from folder: String) throws {
        for (name, array) in try goldenCase.arrays(in: folder) {
            guard let blob = net.blob(named: name) else { throw NetError(message: "\(folder)/\(name).npy: the net has no blob '\(name)'") }
            if blob.shape != array.shape { try blob.reshape(array.shape) }
            try blob.setData(array.values)
        }
    }

    func compareBlobs(_ net: Net, _ goldenCase: GoldenCase, folder: String, tolerance: GoldenTolerance, diff: Bool) throws -> [String] {
        var failures: [String] = []
        for (name, array) in try goldenCase.arrays(in: folder) {
            guard let blob = net.blob(named: name) else {
                failures.append("\(folder)/\(name): the net has no blob '\(name)'")
                continue
            }
            if let mismatch = goldenMismatch("\(folder)/\(name)", shape: blob.shape, values: diff ? blob.diffArray() : blob.dataArray(), golden: array, tolerance: tolerance) {
                failures.append(mismatch)
            }
        }
        return failures
    }

    /// Compares `<layer>.<i>.npy` files with parameter blob i of the layer (data or diff).
    func compareParams(_ net: Net, _ goldenCase: GoldenCase, folder: String, tolerance: GoldenTolerance, diff: Bool) throws -> [String] {
        var failures: [String] = []
        for (name, array) in try goldenCase.arrays(in: folder) {
            guard let dot = name.lastIndex(of: "."), let index = Int(name[name.index(after: dot)...]) else {
                failures.append("\(folder)/\(name).npy: not <layer>.<index>")
                continue
            }
            let layerName = String(name[..<dot])
            guard let layer = net.layer(named: layerName), index < layer.blobs.count else {
                failures.append("\(folder)/\(name): the net has no layer '\(layerName)' with blob \(index)")
                continue
            }
            let blob = layer.blobs[index]
            if let mismatch = goldenMismatch("\(folder)/\(name)", shape: blob.shape, values: diff ? blob.diffArray() : blob.dataArray(), golden: array, tolerance: tolerance) {
                failures.append(mismatch)
            }
        }
        return failures
    }

    func runGeneric(_ goldenCase: GoldenCase, _ parameter: Caffe_NetParameter) throws -> GoldenOutcome {
        let net = try buildNet(goldenCase, parameter)
        var failures: [String] = []
        let forwardTolerance = goldenCase.forwardTolerance ?? GoldenTolerance(atol: 0, rtol: 0)
        if let iterations = goldenCase.iterations {
            for k in 0..<iterations {
                try feed(net, goldenCase, from: "iter_\(k)/bottom")
                try net.forward()
                failures += try compareBlobs(net, goldenCase, folder: "iter_\(k)/top", tolerance: forwardTolerance, diff: false)
            }
        } else {
            try feed(net, goldenCase, from: "bottom")
            try net.forward()
            failures += try compareBlobs(net, goldenCase, folder: "top", tolerance: forwardTolerance, diff: false)
            failures += try compareParams(net, goldenCase, folder: "blobs_after", tolerance: forwardTolerance, diff: false)
        }
        if let shapes = goldenCase.json["expected_shapes"] as? [String: [Int]] {
            for (name, shape) in shapes where net.blob(named: name)?.shape != shape {
                failures.append("blob '\(name)' has shape \(net.blob(named: name)?.shape ?? []), expected \(shape)")
            }
        }
        if let layers = goldenCase.json["expected_layers"] as? [String], net.layerNames != layers {
            failures.append("layers \(net.layerNames), expected \(layers)")
        }
        if goldenCase.backward && (goldenCase.exists("bottom_diff") || goldenCase.exists("param_diff")) {
            let tolerance = goldenCase.backwardTolerance ?? forwardTolerance
            net.clearParamDiffs()
            for param in net.params { param.fillDiff(0) }
            for (name, array) in try goldenCase.arrays(in: "top_diff") {
                guard let blob = net.blob(named: name) else { throw NetError(message: "top_diff/\(name): the net has no such blob") }
                try blob.setDiff(array.values)
            }
            if let prefill = goldenCase.prefillBottomDiff {
                for (name, _) in try goldenCase.arrays(in: "bottom_diff") { net.blob(named: name)?.fillDiff(prefill) }
            }
            for _ in 0..<goldenCase.backwardPasses { try net.backward() }
            failures += try compareBlobs(net, goldenCase, folder: "bottom_diff", tolerance: tolerance, diff: true)
            failures += try compareParams(net, goldenCase, folder: "param_diff", tolerance: tolerance, diff: true)
        }
        return failures.isEmpty ? .passed : .failed(failures)
    }

    /// Cases where Caffe aborts: ours must report an error (at build, forward or backward).
    func expectFailure(_ goldenCase: GoldenCase, _ parameter: Caffe_NetParameter) throws -> GoldenOutcome {
        do {
            let net = try buildNet(goldenCase, parameter)
            try feed(net, goldenCase, from: "bottom")
            try net.forward()
            try net.backward()
        } catch {
            return .passed
        }
        let message = goldenCase.expectedError?["message"] as? String ?? ""
        return .failed(["Caffe aborts here (\(message)); ours ran without an error"])
    }
}
