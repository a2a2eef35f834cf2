import CaffeProto
import Foundation
@testable import Layers
import Runtime
import TestSupport
import XCTest

/// The SSD layer cases of golden/layers (priorbox_*, detectionoutput_*, multiboxloss_*,
/// detectionevaluate_*, smoothl1loss_*), run layer by layer from each case's net.prototxt:
/// Input layers are fed from bottom/*.npy, the SSD layers run through a registry holding only
/// `SSDLayers`, tops are compared with top/*.npy and, after backward, bottom diffs with
/// bottom_diff/*.npy at the case's tolerance. The MultiBoxLoss nets' in-place Bias pass-through
/// layers (x + 0, there only to make Caffe run the backward) are skipped, as the README allows;
/// priorbox_dsod300's Concat is done by hand.
final class SSDLayerGoldenTests: XCTestCase {
    static let prefixes = ["priorbox_", "detectionoutput_", "multiboxloss_", "detectionevaluate_", "smoothl1loss_"]

    static var registry: LayerRegistry {
        var registry = LayerRegistry()
        SSDLayers.register(into: &registry)
        return registry
    }

    func testEverySSDLayerCase() throws {
        let folders = TestPaths.subfolders(of: TestPaths.golden("layers")).filter { folder in
            Self.prefixes.contains { folder.lastPathComponent.hasPrefix($0) }
                && FileManager.default.fileExists(atPath: folder.appendingPathComponent("case.json").path)
        }
        try XCTSkipIf(folders.isEmpty, "golden data not found")
        var passed: [String: Int] = [:], total: [String: Int] = [:]
        for folder in folders {
            let json = try SSDCase.json(folder)
            guard (json["type"] as? String) != "SolverTestDetection" else { continue }  // the solver's case
            let type = json["type"] as? String ?? "?"
            total[type, default: 0] += 1
            let failures: [String]
            do {
                failures = try SSDCase(folder: folder, json: json).run()
            } catch {
                failures = ["\(error)"]
            }
            if failures.isEmpty {
                passed[type, default: 0] += 1
                print("  pass  \(folder.lastPathComponent)")
            } else {
                XCTFail("\(folder.lastPathComponent): \(failures.joined(separator: "\n    "))")
            }
        }
        for type in total.keys.sorted() {
            print("SSD golden layer cases \(type): \(passed[type] ?? 0)/\(total[type] ?? 0)")
        }
    }
}

/// One golden case run layer by layer (no Net: the Input, Bias and Concat layers of the case
/// nets are not part of SSDLayers).
struct SSDCase {
    let folder: URL
    let json: [String: Any]
    var name: String { folder.lastPathComponent }

    static func json(_ folder: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: folder.appendingPathComponent("case.json"))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    func tolerance(_ pass: String) -> (atol: Double, rtol: Double) {
        let entry = (json["tolerance"] as? [String: Any])?[pass] as? [String: Any]
        return ((entry?["atol"] as? NSNumber)?.doubleValue ?? 0, (entry?["rtol"] as? NSNumber)?.doubleValue ?? 0)
    }

    func array(_ relative: String) throws -> NumpyArray {
        try NumpyArray.read(folder.appendingPathComponent(relative).path)
    }

    func exists(_ relative: String) -> Bool {
        FileManager.default.fileExists(atPath: folder.appendingPathComponent(relative).path)
    }

    /// The case's net with file paths made absolute (Caffe opens them from the case folder).
    func net() throws -> Caffe_NetParameter {
        var net = try CaffeFiles.readNet(folder.appendingPathComponent("net.prototxt").path)
        for i in net.layer.indices where net.layer[i].detectionEvaluateParam.hasNameSizeFile {
            let path = net.layer[i].detectionEvaluateParam.nameSizeFile
            if !path.hasPrefix("/") { net.layer[i].detectionEvaluateParam.nameSizeFile = folder.appendingPathComponent(path).path }
        }
        return net
    }

    /// The layers under test, built and set up on the blobs of `blobs` (created on demand).
    struct Built {
        var layers: [(parameter: Caffe_LayerParameter, layer: Layer, bottom: [Blob], top: [Blob])] = []
        var blobs: [String: Blob] = [:]
        var forceBackward = false
        /// Concat layers, run after the tested layers: (bottoms, top, axis).
        var concats: [(bottoms: [String], top: String, axis: Int)] = []
    }

    func feed(_ blobs: inout [String: Blob], from subfolder: String) throws {
        let dir = folder.appendingPathComponent(subfolder)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path) where file.hasSuffix(".npy") {
            let array = try NumpyArray.read(dir.appendingPathComponent(file).path)
            let blob = try blobs[String(file.dropLast(4))] ?? Blob()
            try blob.reshape(array.shape)
            try blob.setData(array.values)
            blobs[String(file.dropLast(4))] = blob
        }
    }

    func build(bottoms subfolder: String) throws -> Built {
        let net = try net()
        var built = Built()
        built.forceBackward = net.forceBackward
        try feed(&built.blobs, from: subfolder)
        let registry = SSDLayerGoldenTests.registry
        let context = LayerContext(random: RandomSource())
        for var parameter in net.layer {
            switch parameter.type {
            case "Input", "Bias": continue   // fed from bottom/; Bias is the x + 0 pass-through
            case "Concat":
                built.concats.append((parameter.bottom, parameter.top[0], Int(parameter.concatParam.axis)))
                continue
            default: break
            }
            if !parameter.hasPhase { parameter.phase = (json["phase"] as? String) == "TEST" ? .test : .train }
            let layer = try registry.makeLayer(parameter, context: context)
            let bottom = try parameter.bottom.map { try blob(built.blobs, $0) }
            var top: [Blob] = []
            for name in parameter.top {
                let blob = try built.blobs[name] ?? Blob()
                built.blobs[name] = blob
                top.append(blob)
            }
            try layer.setUp(bottom: bottom, top: top)
            built.layers.append((parameter, layer, bottom, top))
        }
        return built
    }

    func blob(_ blobs: [String: Blob], _ name: String) throws -> Blob {
        guard let blob = blobs[name] else { throw NetError(message: "\(name): no such blob in the case") }
        return blob
    }

    /// Concat of (1, 2, n_i) prior blobs along `axis` (only priorbox_dsod300 has one).
    func concatenate(_ parts: [Blob], axis: Int) throws -> Blob {
        guard let first = parts.first else { return try Blob() }
        let outer = first.count(from: 0, to: axis)
        var shape = first.shape
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        var values: [Float] = []
        for o in 0..<outer {
            for part in parts {
                let inner = part.count(from: axis)
                values += part.dataArray()[(o * inner)..<((o + 1) * inner)]
            }
        }
        return try Blob(shape: shape, values: values)
    }

    func forward(_ built: inout Built) throws {
        for entry in built.layers { try entry.layer.runForward(bottom: entry.bottom, top: entry.top) }
        for concat in built.concats {
            let blobs = built.blobs
            built.blobs[concat.top] = try concatenate(concat.bottoms.map { try blob(blobs, $0) }, axis: concat.axis)
        }
    }

    /// Backward through the tested layers with Caffe's propagate-down rules for these nets:
    /// the layer's `propagate_down` if given, else (force_backward) what the layer allows.
    func backward(_ built: Built) throws {
        for entry in built.layers.reversed() {
            let down: [Bool]
            if !entry.parameter.propagateDown.isEmpty {
                down = entry.parameter.propagateDown
            } else {
                down = entry.bottom.indices.map { built.forceBackward && entry.layer.allowForceBackward(bottomIndex: $0) }
            }
            guard down.contains(true) else { continue }
            try entry.layer.backward(top: entry.top, propagateDown: down, bottom: entry.bottom)
        }
    }

    func compare(_ built: Built, folder subfolder: String, diff: Bool, tolerance: (atol: Double, rtol: Double)) throws -> [String] {
        var failures: [String] = []
        let dir = folder.appendingPathComponent(subfolder)
        for file in try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() where file.hasSuffix(".npy") {
            let name = String(file.dropLast(4))
            let caffe = try NumpyArray.read(dir.appendingPathComponent(file).path)
            guard let blob = built.blobs[name] else {
                failures.append("\(subfolder)/\(name): no such blob")
                continue
            }
            if blob.shape != caffe.shape && !(blob.count == caffe.count && (blob.shape.isEmpty || caffe.shape.isEmpty)) {
                failures.append("\(subfolder)/\(name): shape \(blob.shape), Caffe's \(caffe.shape)")
                continue
            }
            let ours = diff ? blob.diffArray() : blob.dataArray()
            if let violation = toleranceViolation(ours: ours, caffe: caffe.values, atol: tolerance.atol, rtol: tolerance.rtol) {
                failures.append("\(subfolder)/\(name): \(violation)")
            }
        }
        return failures
    }

    /// Runs the case; returns what differs from Caffe (empty = pass).
    func run() throws -> [String] {
        if let expected = json["expected_error"] as? [String: Any] {
            return runAbortCase(expected)
        }
        if let iterations = (json["iterations"] as? NSNumber)?.intValue {
            var built = try build(bottoms: "iter_0/bottom")
            var failures: [String] = []
            for k in 0..<iterations {
                try feed(&built.blobs, from: "iter_\(k)/bottom")
                try forward(&built)
                failures += try compare(built, folder: "iter_\(k)/top", diff: false, tolerance: tolerance("forward"))
            }
            return failures
        }
        var built = try build(bottoms: "bottom")
        try forward(&built)
        var failures = try compare(built, folder: "top", diff: false, tolerance: tolerance("forward"))
        if (json["backward"] as? Bool) == true && exists("bottom_diff") {
            for blob in built.blobs.values { blob.fillDiff(0) }
            // Loss tops keep their loss weight in the diff (set by setUp).
            for entry in built.layers {
                for (index, top) in entry.top.enumerated() { top.fillDiff(entry.layer.lossWeight(top: index)) }
            }
            try backward(built)
            failures += try compare(built, folder: "bottom_diff", diff: true, tolerance: tolerance("backward"))
        }
        return failures
    }

    /// Caffe aborts: ours must throw (at setup, forward or backward, as Caffe's stage says).
    func runAbortCase(_ expected: [String: Any]) -> [String] {
        let message = expected["message"] as? String ?? ""
        do {
            var built = try build(bottoms: "bottom")
            try forward(&built)
            try backward(built)
        } catch {
            print("    \(name): Caffe: \(message)\n      ours: \(error)")
            return []
        }
        return ["Caffe aborts (\(message)); ours ran without an error"]
    }
}
