import ArgumentParser
import CaffeProto
import Foundation
import Layers
import Runtime

/// `dsod forward`: runs a net forward and writes chosen blobs as .npy files.
struct ForwardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Run a net forward and write its blobs as .npy files.",
        discussion: """
            Builds the net in the given phase, loads the weights (by layer name, as Caffe), writes \
            each --input array into the blob of that name (reshaping the blob to the array's \
            shape), runs --iterations forward passes and writes the requested blobs of the last \
            pass to <out>/<blob>.npy (float32; a '/' in a blob name becomes '__'). Without \
            --blobs or --all the net's outputs (blobs no layer reads) are written, and BatchNorm, \
            Scale and ReLU are folded into the convolutions as in `dsod detect`; with them every \
            layer runs as in Caffe, so every written blob holds Caffe's values.

            Examples:
              dsod forward --model deploy.prototxt --weights DSOD300.caffemodel \\
                --input data=data.npy --blobs mbox_loc,mbox_conf --out blobs/
              dsod forward --model train.prototxt --phase TRAIN --all --out all_blobs/
            """)

    @Option(help: "The net definition (prototxt).")
    var model: String

    @Option(help: "Trained weights (.caffemodel) to load by layer name.")
    var weights: String?

    @Option(name: .customLong("input"), help: "NAME=FILE.npy: values for a blob (repeatable).")
    var inputs: [String] = []

    @Option(help: "The net phase: TEST or TRAIN.")
    var phase: String = "TEST"

    @Option(help: "Comma-separated blob names to write.")
    var blobs: String?

    @Flag(help: "Write every named blob.")
    var all = false

    @Option(help: "Folder for the .npy files (created if missing).")
    var out: String

    @Option(help: "Forward passes to run; the blobs of the last one are written.")
    var iterations: Int = 1

    @Option(help: "Random seed for fillers and Dropout.")
    var seed: UInt64 = RandomSource.defaultSeed

    func validate() throws {
        guard Self.parsePhase(phase) != nil else { throw ValidationError("--phase must be TEST or TRAIN, not '\(phase)'") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        if all && blobs != nil { throw ValidationError("give either --blobs or --all, not both") }
        for input in inputs where Self.parseInput(input) == nil {
            throw ValidationError("--input must be NAME=FILE.npy, got '\(input)'")
        }
    }

    static func parsePhase(_ text: String) -> Caffe_Phase? {
        switch text.uppercased() {
        case "TEST": return .test
        case "TRAIN": return .train
        default: return nil
        }
    }

    static func parseInput(_ text: String) -> (name: String, path: String)? {
        guard let equals = text.firstIndex(of: "="), equals != text.startIndex else { return nil }
        let path = String(text[text.index(after: equals)...])
        return path.isEmpty ? nil : (String(text[..<equals]), path)
    }

    /// One written blob.
    struct Written: Equatable {
        var blob: String
        var path: String
        var shape: [Int]
    }

    /// The command's work: returns the files written and the loss of the last pass.
    func forward(log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> (written: [Written], loss: Float) {
        // Folding and recomputation keep a net's outputs but skip the tops they fold away
        // (BatchNorm, Scale and ReLU outputs): when intermediate blobs are asked for, every layer
        // runs as in Caffe so that each written blob holds Caffe's values.
        let optimizations: NetOptimizations = (all || blobs != nil) ? .none : .all
        let net = try Net(path: model, phase: Self.parsePhase(phase) ?? .test, registry: .standard, seed: seed,
                          optimizations: optimizations)
        if let weights {
            let report = try net.loadWeights(from: weights)
            if !report.layersWithoutWeights.isEmpty {
                log("warning: \(weights) has no weights for \(report.layersWithoutWeights.count) layer(s) with parameters; they keep their fillers: \(report.layersWithoutWeights.joined(separator: ", "))")
            }
        }
        var fed = Set<String>()
        for text in inputs {
            guard let (name, path) = Self.parseInput(text) else { throw ValidationError("--input must be NAME=FILE.npy, got '\(text)'") }
            guard let blob = net.blob(named: name) else {
                throw NetError(file: model, message: "--input \(name): the net has no blob '\(name)' (inputs: \(net.inputBlobNames.joined(separator: ", ")))")
            }
            let array = try NumpyArray.read(path)
            if blob.shape != array.shape { try blob.reshape(array.shape) }
            try blob.setData(array.values)
            fed.insert(name)
        }
        for name in net.inputBlobNames where !fed.contains(name) {
            log("note: input blob '\(name)' was not given (--input \(name)=FILE.npy); it holds zeros")
        }
        var loss: Float = 0
        for _ in 0..<iterations { loss = try net.forward() }

        let names: [String]
        if all {
            var seen = Set<String>()
            names = net.blobNames.filter { $0 != "(automatic)" && seen.insert($0).inserted }
        } else if let blobs {
            names = blobs.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } else {
            names = net.outputBlobNames
        }
        for name in names where net.blob(named: name) == nil {
            throw NetError(file: model, message: "--blobs: the net has no blob '\(name)'")
        }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var written: [Written] = []
        for name in names {
            guard let blob = net.blob(named: name) else { continue }
            let path = (out as NSString).appendingPathComponent(name.replacingOccurrences(of: "/", with: "__") + ".npy")
            try CaffeFiles.writeAtomically(NumpyArray(shape: blob.shape, values: blob.dataArray()).encoded(), to: path)
            written.append(Written(blob: name, path: path, shape: blob.shape))
        }
        return (written, loss)
    }

    func run() throws {
        let (written, loss) = try forward()
        for file in written {
            print("\(file.blob) \(file.shape.map(String.init).joined(separator: "x")) -> \(file.path)")
        }
        if loss != 0 { print("loss = \(loss)") }
    }
}
