import CaffeProto
import Foundation
import Layers
import Runtime

/// The nets the benchmark runs, made from the committed prototxt/ files, and the weights they
/// share (written by our own fillers, no download).
enum BenchNets {
    /// The repository root: the working directory when it holds prototxt/ (`make bench`), else
    /// found from this source file.
    static let root: URL = {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        if FileManager.default.fileExists(atPath: cwd.appendingPathComponent("prototxt").path) { return cwd }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }()

    /// Scratch folder for the generated weights and prototxts (under .build, ignored by git).
    static let workDirectory = root.appendingPathComponent(".build/bench")

    static func prototxt(_ model: String, _ file: String) -> String {
        root.appendingPathComponent("prototxt/\(model)_pascal/\(file).prototxt").path
    }

    static func weightsPath(_ model: String) -> String {
        workDirectory.appendingPathComponent("\(model)_filled.caffemodel").path
    }

    static func deployPath(_ model: String) -> String {
        workDirectory.appendingPathComponent("\(model)_deploy.prototxt").path
    }

    /// The deploy net without DetectionOutput's save_output_param (it names VOC result files;
    /// `dsod detect` drops it the same way).
    static func deployParameter(_ model: String) throws -> Caffe_NetParameter {
        var parameter = try CaffeFiles.readNet(prototxt(model, "deploy"))
        for i in parameter.layer.indices where parameter.layer[i].type == "DetectionOutput" {
            parameter.layer[i].detectionOutputParam.clearSaveOutputParam()
        }
        return parameter
    }

    /// Ground-truth rows per image in the synthetic label blob.
    static let boxesPerImage = 3

    /// The train net with its AnnotatedData layer replaced by an Input layer giving `data`
    /// (batch x 3 x size x size) and `label` (1 x 1 x boxes x 8), so timing excludes decoding.
    static func trainParameter(_ model: String, batch: Int, size: Int) throws -> Caffe_NetParameter {
        var parameter = try CaffeFiles.readNet(prototxt(model, "train"))
        guard let dataIndex = parameter.layer.firstIndex(where: { $0.type == "AnnotatedData" }) else {
            throw BenchError("\(prototxt(model, "train")): no AnnotatedData layer to replace")
        }
        var input = Caffe_LayerParameter()
        input.name = "data"
        input.type = "Input"
        input.top = ["data", "label"]
        var dataShape = Caffe_BlobShape()
        dataShape.dim = [Int64(batch), 3, Int64(size), Int64(size)]
        var labelShape = Caffe_BlobShape()
        labelShape.dim = [1, 1, Int64(batch * boxesPerImage), 8]
        input.inputParam.shape = [dataShape, labelShape]
        parameter.layer[dataIndex] = input
        return parameter
    }

    /// Fills `data` with image-like values (BGR minus mean) and `label` with a few boxes per image.
    static func fillInputs(_ net: Net, batch: Int, seed: UInt64) throws {
        let random = RandomSource(seed: seed)
        if let data = net.blob(named: "data") {
            let pointer = data.data
            for i in 0..<data.count { pointer[i] = random.uniform(-120, 135) }
        }
        if let label = net.blob(named: "label") {
            var rows: [Float] = []
            for image in 0..<batch {
                for box in 0..<boxesPerImage {
                    let x = random.uniform(0.05, 0.5), y = random.uniform(0.05, 0.5)
                    let w = random.uniform(0.1, 0.45), h = random.uniform(0.1, 0.45)
                    rows += [Float(image), Float(1 + (image * boxesPerImage + box) % 20), Float(box), x, y, x + w, y + h, 0]
                }
            }
            try label.setData(rows)
        }
    }

    /// Writes `<model>_filled.caffemodel`: the train net's fillers (seeded), then one TRAIN forward
    /// on image-like noise so every BatchNorm holds plausible running statistics (a fresh net's
    /// zero sums would divide by sqrt(eps) ninety times over).
    static func writeWeights(_ model: String, size: Int) throws {
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        let net = try Net(parameter: trainParameter(model, batch: 2, size: size), phase: .train, registry: .standard, seed: 1701)
        try fillInputs(net, batch: 2, seed: 7)
        try net.forward()
        makeConfidenceHeadsConfident(net)
        try net.saveWeights(to: weightsPath(model))
        var deploy = try deployParameter(model)
        deploy.name += "_bench"
        try CaffeFiles.writeAtomically(Data(CaffeText.format(deploy).utf8), to: deployPath(model))
    }

    /// Biases the background class of every confidence head, as a trained detector's heads are
    /// (the golden dsod300_deploy weights do the same): with untrained heads every prior scores
    /// ~1/21 per class and DetectionOutput sorts ~150,000 candidates, which no deployed detector does.
    static func makeConfidenceHeadsConfident(_ net: Net) {
        let classes = 21
        for layer in net.layers where layer.type == "Scale" && layer.name.hasSuffix("_mbox_conf_scale") && layer.blobs.count == 2 {
            let bias = layer.blobs[1]
            let values = bias.data
            for c in stride(from: 0, to: bias.count, by: classes) { values[c] += 17 }
        }
    }

    /// Multiply-adds of every Convolution/InnerProduct layer for the net's current shapes.
    static func multiplyAdds(_ net: Net) -> Double {
        var total = 0.0
        for (index, layer) in net.layers.enumerated() where layer.type == "Convolution" || layer.type == "InnerProduct" {
            guard let weights = layer.blobs.first, let top = net.tops[index].first else { continue }
            let perOutput = layer.type == "Convolution" ? weights.count(from: 1) : weights.count(from: 1)
            total += Double(top.count) * Double(perOutput) * Double(net.tops[index].count)
        }
        return total
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
