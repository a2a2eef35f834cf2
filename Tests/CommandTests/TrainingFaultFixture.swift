import CaffeProto
import Foundation
import TestSupport
import XCTest

/// A tiny training job for the fault tests: a Data layer over the three 3x32x32 images of
/// golden/formats/mean/lmdb with batch_size 3, so every iteration sees the same batch whether
/// the run was resumed or not (Caffe does not save the data cursor), a small conv/pool/ip net and
/// a momentum SGD solver that snapshots every iteration. Everything lives in a fresh folder.
struct TrainingFaultFixture {
    let folder: String
    let solver: String
    let snapshotFolder: String
    let prefixName = "tiny"

    /// The net's learnable parameter count per layer (conv1 weight and bias, ip1 weight and bias).
    static let historyBlobs = 4

    init(maxIter: Int, snapshotFolder relativeOrAbsolute: String = "snaps", baseLR: String = "0.05",
         extraSolverLines: String = "", createSnapshotFolder: Bool = true) throws {
        folder = NSTemporaryDirectory() + "train-faults-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        snapshotFolder = relativeOrAbsolute.hasPrefix("/") ? relativeOrAbsolute : folder + "/" + relativeOrAbsolute
        let lmdb = TestPaths.golden("formats/mean/lmdb").path
        let net = """
            name: "fault_test_net"
            layer {
              name: "data" type: "Data" top: "data" top: "label"
              include { phase: TRAIN }
              transform_param { scale: 0.00390625 }
              data_param { source: "\(lmdb)" batch_size: 3 backend: LMDB }
            }
            layer {
              name: "conv1" type: "Convolution" bottom: "data" top: "conv1"
              convolution_param { num_output: 4 kernel_size: 3 stride: 2
                weight_filler { type: "gaussian" std: 0.1 } bias_filler { type: "constant" value: 0.1 } }
            }
            layer { name: "relu1" type: "ReLU" bottom: "conv1" top: "conv1" }
            layer { name: "pool1" type: "Pooling" bottom: "conv1" top: "pool1" pooling_param { pool: MAX kernel_size: 3 stride: 2 } }
            layer {
              name: "ip1" type: "InnerProduct" bottom: "pool1" top: "ip1"
              inner_product_param { num_output: 3 weight_filler { type: "xavier" } }
            }
            layer { name: "loss" type: "SoftmaxWithLoss" bottom: "ip1" bottom: "label" top: "loss" }
            """
        try net.write(toFile: folder + "/net.prototxt", atomically: true, encoding: .utf8)
        let prefix = relativeOrAbsolute + "/" + prefixName
        solver = folder + "/solver.prototxt"
        let text = """
            net: "net.prototxt"
            type: "SGD"
            base_lr: \(baseLR)
            momentum: 0.9
            weight_decay: 0.0005
            lr_policy: "step"
            gamma: 0.5
            stepsize: 50
            display: 10
            max_iter: \(maxIter)
            snapshot: 1
            snapshot_prefix: "\(prefix)"
            random_seed: 7
            \(extraSolverLines)
            """
        try text.write(toFile: solver, atomically: true, encoding: .utf8)
        if createSnapshotFolder {
            try FileManager.default.createDirectory(atPath: snapshotFolder, withIntermediateDirectories: true)
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: folder) }

    /// Snapshot files by iteration.
    func snapshots(_ fileExtension: String) -> [Int: String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: snapshotFolder)) ?? []
        var found: [Int: String] = [:]
        for name in names where name.hasPrefix(prefixName + "_iter_") && name.hasSuffix(fileExtension) {
            let number = name.dropFirst(prefixName.count + 6).dropLast(fileExtension.count)
            if let iteration = Int(number) { found[iteration] = snapshotFolder + "/" + name }
        }
        return found
    }

    /// Temporary files an interrupted write left behind.
    func temporaryFiles() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: snapshotFolder)) ?? []).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
    }

    /// Every snapshot present decodes completely: weights with the net's four parameter blobs
    /// holding their values, states at the iteration of their name, naming a weights file that
    /// exists, with the history of every parameter. With `memo`, files whose modification time
    /// is already recorded there are skipped (and the memo is updated). Returns the problems.
    func verifySnapshots() -> [String] {
        var memo: [String: Date] = [:]
        return verifySnapshots(memo: &memo)
    }

    func verifySnapshots(memo: inout [String: Date]) -> [String] {
        var problems: [String] = []
        var seen = memo
        func changed(_ path: String) -> Bool {
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
            if seen[path] == modified { return false }
            seen[path] = modified
            return true
        }
        defer { memo = seen }
        for (_, path) in snapshots(".caffemodel") where changed(path) {
            do {
                let net = try CaffeFiles.read(path, as: Caffe_NetParameter.self)
                let blobs = net.layer.flatMap(\.blobs)
                if blobs.count != Self.historyBlobs { problems.append("\(path): \(blobs.count) parameter blobs") }
                for blob in blobs where blob.data.count != Int(blob.shape.dim.reduce(1, *)) {
                    problems.append("\(path): a blob of shape \(blob.shape.dim) holds \(blob.data.count) values")
                }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        for (iteration, path) in snapshots(".solverstate") where changed(path) {
            do {
                let state = try CaffeFiles.read(path, as: Caffe_SolverState.self)
                if state.iter != iteration { problems.append("\(path): holds iteration \(state.iter)") }
                if state.history.count != Self.historyBlobs { problems.append("\(path): \(state.history.count) history blobs") }
                let weights = state.learnedNet.hasPrefix("/") ? state.learnedNet : folder + "/" + state.learnedNet
                if !FileManager.default.fileExists(atPath: weights) { problems.append("\(path): its weights \(state.learnedNet) are missing") }
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return problems
    }

    /// The stored values of every parameter blob of a weights file, in file order.
    static func parameters(_ path: String) throws -> [[Float]] {
        try CaffeFiles.read(path, as: Caffe_NetParameter.self).layer.flatMap(\.blobs).map(\.data)
    }
}
