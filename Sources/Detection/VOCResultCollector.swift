import Foundation

/// The VOC result files DetectionOutput writes with `save_output_param { output_format: "VOC" }`
/// (detection_output_layer.cpp Forward_cpu), as text; the layer does the file I/O.
///
/// Every image of every forward advances the name index (`name_count_`), with or without
/// detections; when it reaches `numTestImages` the pass is complete and one file per
/// non-background class is produced, `<prefix><class name>.txt`, holding that class's lines
/// in the order the detections arrived: `name score xmin ymin xmax ymax`.
///
/// Quirks kept: each pixel coordinate is `round(v * 100) / 100` truncated to an int, and the
/// right and bottom edges are written as `int(xmin) + int(width)` and `int(ymin) +
/// int(height)`, not `int(xmax)`; the score is printed as a C++ stream prints a float.
public struct VOCResultCollector: Sendable {
    public let labelNames: [Int: String]
    public let numClasses: Int
    public let backgroundLabelId: Int
    public let names: [String]
    public let sizes: [ImageSize]
    public let numTestImages: Int
    public let resize: ImageResize?
    /// `name_count_`: the name-size line of the next image.
    public private(set) var nameIndex = 0
    private var lines: [(label: Int, text: String)] = []

    /// `names`/`sizes` come from the name-size file. Throws where Caffe's setup checks abort
    /// or the pass could not complete (no names, numTestImages < 1).
    public init(labelNames: [Int: String], numClasses: Int, backgroundLabelId: Int, names: [String], sizes: [ImageSize],
                numTestImages: Int, resize: ImageResize? = nil) throws {
        guard names.count == sizes.count, !names.isEmpty else {
            throw DetectionError("DetectionOutput save_output_param: the name size file lists no images")
        }
        for c in 0..<numClasses where c != backgroundLabelId && labelNames[c] == nil {
            // Caffe checks every class's name on each forward (CHECK in Forward_cpu).
            throw DetectionError("DetectionOutput save_output_param: Cannot find label: \(c) in the label map")
        }
        guard numTestImages >= 1 else {
            throw DetectionError("DetectionOutput save_output_param: num_test_image is \(numTestImages), expected >= 1")
        }
        self.labelNames = labelNames
        self.numClasses = numClasses
        self.backgroundLabelId = backgroundLabelId
        self.names = names
        self.sizes = sizes
        self.numTestImages = numTestImages
        self.resize = resize
    }

    /// One result line (`name score xmin ymin xmax ymax`) for a decoded box of an image.
    public static func line(name: String, score: Float, box: NormalizedBox, imageSize: ImageSize,
                            resize: ImageResize?) throws -> String {
        let out = try box.outputBox(imageHeight: imageSize.height, imageWidth: imageSize.width, resize: resize)
        // round(float * 100) / 100. in double, stored through a float, then static_cast<int>.
        func pixel(_ v: Float) throws -> Int {
            let stored = Float(Double((v * 100).rounded(.toNearestOrAwayFromZero)) / 100)
            return try caffeInt(stored, "result coordinate")
        }
        let xmin = try pixel(out.xmin), ymin = try pixel(out.ymin)
        let width = try pixel(out.xmax - out.xmin), height = try pixel(out.ymax - out.ymin)
        return "\(name) \(DetectionScore.caffeFloatString(score)) \(xmin) \(ymin) \(xmin + width) \(ymin + height)"
    }

    /// Adds one forward's DetectionOutput rows for a batch of `batchSize` images. Returns the
    /// class files (file-name class part → content) when this forward completes a pass.
    public mutating func add(rows: [Float], batchSize: Int) throws -> [String: String]? {
        guard rows.count % 7 == 0 else { throw DetectionError("detection rows hold \(rows.count) values, expected 7 per row") }
        var byImage: [Int: [(label: Int, score: Float, box: NormalizedBox)]] = [:]
        for r in 0..<(rows.count / 7) {
            let s = r * 7
            let image = try caffeInt(rows[s], "detection row \(r) image")
            let label = try caffeInt(rows[s + 1], "detection row \(r) label")
            if label == -1 { continue }  // placeholder rows of a batch without detections
            byImage[image, default: []].append((label, rows[s + 2],
                                                NormalizedBox(xmin: rows[s + 3], ymin: rows[s + 4], xmax: rows[s + 5], ymax: rows[s + 6])))
        }
        var files: [String: String]?
        for image in 0..<batchSize {
            for detection in byImage[image] ?? [] {
                guard labelNames[detection.label] != nil else {
                    throw DetectionError("DetectionOutput save_output_param: Cannot find label: \(detection.label) in the label map")
                }
                guard nameIndex < names.count else {
                    throw DetectionError("DetectionOutput save_output_param: image \(nameIndex) but the name size file lists \(names.count)")
                }
                lines.append((detection.label, try Self.line(name: names[nameIndex], score: detection.score, box: detection.box,
                                                             imageSize: sizes[nameIndex], resize: resize)))
            }
            nameIndex += 1
            if nameIndex % numTestImages == 0 {
                var contents: [String: String] = [:]
                for c in 0..<numClasses where c != backgroundLabelId {
                    contents[labelNames[c] ?? ""] = ""
                }
                for line in lines {
                    contents[labelNames[line.label] ?? "", default: ""] += line.text + "\n"
                }
                files = contents
                nameIndex = 0
                lines.removeAll()
            }
        }
        return files
    }
}
