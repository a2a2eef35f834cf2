import ArgumentParser
import CaffeProto
import DataPipeline
import Foundation
import Layers
import Runtime

/// `dsod detect`: DSOD's detection demo (DSOD300_detection_demo.py) for any number of images.
struct DetectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects in images and draw them (DSOD's demo).",
        discussion: """
            Each image is prepared as DSOD's demo does: resized to the net's input size, BGR, \
            the mean pixel (104, 117, 123) subtracted. Detections with a score at or above the \
            threshold are printed (image, label, name, score, xmin, ymin, xmax, ymax in pixels), \
            and with --out drawn on the image, written as <out>/<image>_detections.png. \
            DetectionOutput's save_output_param (VOC result files) is ignored here.

            Examples:
              dsod detect --model deploy.prototxt --weights DSOD300_VOC0712.caffemodel \\
                --labelmap labelmap_voc.prototxt cat.jpg
              dsod detect --model deploy.prototxt --weights W.caffemodel \\
                --labelmap L.prototxt --out shown/ --json *.jpg
            """)

    @Option(help: "The deploy net (its last layer a DetectionOutput).")
    var model: String

    @Option(help: "The trained weights (.caffemodel).")
    var weights: String

    @Option(help: "The label map (labelmap_voc.prototxt) naming the labels.")
    var labelmap: String?

    @Option(help: "The lowest score shown.")
    var threshold: Float = 0.6

    @Option(help: "Write annotated images to this folder.")
    var out: String?

    @Option(help: "The mean pixel, B,G,R.")
    var mean: String = "104,117,123"

    @Flag(help: "Print the detections as JSON.")
    var json = false

    @Argument(help: "JPEG images.")
    var images: [String]

    func validate() throws {
        if images.isEmpty { throw ValidationError("give at least one image") }
        if !(0...1).contains(threshold) { throw ValidationError("--threshold must be between 0 and 1") }
        if Self.parseMean(mean) == nil { throw ValidationError("--mean must be three numbers, B,G,R (e.g. 104,117,123)") }
    }

    static func parseMean(_ text: String) -> [Float]? {
        let values = text.split(separator: ",").compactMap { Float($0.trimmingCharacters(in: .whitespaces)) }
        return values.count == 3 ? values : nil
    }

    func run() throws {
        let detector = try Detector(model: model, weights: weights, labelMap: labelmap, mean: Self.parseMean(mean) ?? [104, 117, 123])
        if let out { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) }
        var all: [[String: Any]] = []
        for path in images {
            let (image, detections) = try detector.detect(imagePath: path, threshold: threshold)
            if let out {
                let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                let target = (out as NSString).appendingPathComponent("\(name)_detections.png")
                try CaffeFiles.writeAtomically(DetectionDrawing.draw(detections, on: image).png(), to: target)
                if !json { FileHandle.standardError.write(Data("Wrote \(target)\n".utf8)) }
            }
            if json {
                all.append(["image": path, "width": image.width, "height": image.height, "detections": detections.map(\.jsonObject)])
            } else {
                for d in detections {
                    print("\(path) \(d.label) \(d.name) \(String(format: "%.4f", d.score)) \(d.xmin) \(d.ymin) \(d.xmax) \(d.ymax)")
                }
            }
        }
        if json {
            let data = try JSONSerialization.data(withJSONObject: all, options: [.prettyPrinted, .sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        }
    }
}

/// One detection in pixel coordinates of the original image.
struct PixelDetection: Equatable {
    var label: Int
    var name: String
    var score: Float
    var xmin: Int, ymin: Int, xmax: Int, ymax: Int

    var jsonObject: [String: Any] {
        ["label": label, "name": name, "score": Double(score), "xmin": xmin, "ymin": ymin, "xmax": xmax, "ymax": ymax]
    }
}

/// A deploy net with its weights, ready to run on images.
final class Detector {
    let net: Net
    let labelNames: [Int: String]
    let mean: [Float]

    init(model: String, weights: String, labelMap: String?, mean: [Float]) throws {
        var parameter = try CaffeFiles.readNet(model)
        // The demo needs no VOC result files; DSOD's deploy nets still name them.
        for i in parameter.layer.indices where parameter.layer[i].type == "DetectionOutput" {
            parameter.layer[i].detectionOutputParam.clearSaveOutputParam()
        }
        // Only detection_out is read: the other blobs may share memory.
        net = try Net(parameter: parameter, phase: .test, registry: .standard, optimizations: .outputsOnly)
        _ = try net.loadWeights(from: weights)
        if let labelMap {
            let map = try CaffeFiles.read(labelMap, as: Caffe_LabelMap.self)
            labelNames = Dictionary(map.item.map { (Int($0.label), $0.displayName.isEmpty ? $0.name : $0.displayName) }, uniquingKeysWith: { a, _ in a })
        } else {
            labelNames = [:]
        }
        self.mean = mean
        guard let input = net.inputBlobs.first, input.numAxes == 4, input.dim(1) == 3, input.dim(2) > 0, input.dim(3) > 0 else {
            throw ValidationError("\(model): the net needs one input blob of shape N x 3 x H x W with H, W > 0")
        }
    }

    /// Decodes, prepares and runs one image; returns it (for drawing) and its detections.
    func detect(imagePath: String, threshold: Float) throws -> (ByteImage, [PixelDetection]) {
        let bytes = try CaffeFiles.contents(of: imagePath)
        let image = try JPEGCodec.decode(bytes, mode: .color, source: imagePath)
        let input = net.inputBlobs[0]
        let height = input.dim(2), width = input.dim(3)
        if input.dim(0) != 1 { try input.reshape([1, 3, height, width]); try net.reshape() }
        let resized = Resizer.resize(image, width: width, height: height, interpolation: .linear)
        let plane = height * width
        let data = input.data
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 {
                    data[c * plane + y * width + x] = Float(resized.pixels[(y * width + x) * 3 + c]) - mean[c]
                }
            }
        }
        try net.forward()
        guard let output = net.outputBlobs.first(where: { $0.shape.last == 7 }) else {
            throw ValidationError("the net has no DetectionOutput output (rows of 7 values)")
        }
        var detections: [PixelDetection] = []
        for r in 0..<(output.count / 7) {
            let row = output.data + r * 7
            let label = Int(row[1]), score = row[2]
            guard label >= 0, score >= threshold else { continue }
            // As the demo: round(normalized × size).
            func px(_ v: Float, _ size: Int) -> Int { Int((v * Float(size)).rounded()) }
            detections.append(PixelDetection(label: label, name: labelNames[label] ?? "class\(label)", score: score,
                                             xmin: px(row[3], image.width), ymin: px(row[4], image.height),
                                             xmax: px(row[5], image.width), ymax: px(row[6], image.height)))
        }
        return (image, detections)
    }
}

/// Boxes and labels drawn over an image.
enum DetectionDrawing {
    static func draw(_ detections: [PixelDetection], on image: ByteImage) -> Canvas {
        var canvas = Canvas(width: image.width, height: image.height)
        for y in 0..<image.height {
            for x in 0..<image.width {
                let o = (y * image.width + x) * image.channels
                if image.channels == 3 {
                    canvas.set(x, y, (image.pixels[o + 2], image.pixels[o + 1], image.pixels[o]))
                } else {
                    canvas.set(x, y, (image.pixels[o], image.pixels[o], image.pixels[o]))
                }
            }
        }
        for d in detections {
            let color = palette[d.label % palette.count]
            canvas.rectangle(x0: d.xmin, y0: d.ymin, x1: d.xmax, y1: d.ymax, color, thickness: 3)
            let text = "\(d.name) \(String(format: "%.2f", d.score))"
            let ty = max(0, d.ymin - 18)
            canvas.fill(x: d.xmin, y: ty, w: Canvas.textWidth(text, scale: 2) + 6, h: 18, color)
            canvas.text(text, x: d.xmin + 3, y: ty + 2, (255, 255, 255), scale: 2)
        }
        return canvas
    }

    static let palette: [Canvas.Color] = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180),
                                          (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190), (0, 128, 128),
                                          (170, 110, 40), (128, 0, 0), (0, 0, 128), (128, 128, 0), (255, 225, 25)]
}
