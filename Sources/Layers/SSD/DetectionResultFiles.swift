import CaffeProto
import Detection
import Foundation

/// The result files DetectionOutput writes with `save_output_param`
/// (src/caffe/layers/detection_output_layer.cpp, Reshape and Forward_cpu): every image of every
/// forward takes the next name and size of the name-size file; when `num_test_image` images
/// have passed, the detections of the pass are written and the count starts again.
///
/// - VOC: one file per non-background class, `<dir>/<prefix><class name>.txt`, lines
///   `name score xmin ymin xmax ymax` in pixels (DSOD's comp4_det_test_<class>.txt). At the
///   start of every pass the files of every label of the label map are emptied.
/// - COCO: `<dir>/<prefix>.json`, the detections as boost::property_tree writes them.
/// - ILSVRC: `<dir>/<prefix>.txt`, lines `name label score xmin ymin xmax ymax`.
///
/// Quirks kept: each coordinate goes through a property tree as `float(round(v * 100) / 100.)`
/// (`xmin`, `ymin`, width, height) and the integer columns are those floats truncated, the right
/// and bottom edges being `int(xmin) + int(width)` and `int(ymin) + int(height)`; the score is
/// printed as `std::ostream` prints a float. In the JSON every value is a string written with 9
/// significant digits, then unquoted where it reads as `null`, `true`, `false` or a plain decimal
/// number (Caffe's regex), so a numeric image name becomes a number and `1e-05` stays a string;
/// the file holds the array only, from its `[` to a final `]` on its own line.
struct DetectionResultFiles {
    enum Format: String, CaseIterable {
        case voc = "VOC", coco = "COCO", ilsvrc = "ILSVRC"
    }

    /// One detection as stored in Caffe's property tree.
    struct Entry {
        var name: String
        var label: Int
        var score: Float
        /// `xmin`, `ymin`, width, height in pixels, each `float(round(v * 100) / 100.)`.
        var box: [Float]
    }

    let directory: String
    let prefix: String
    let format: Format
    /// `label_to_name_`: every label of the label map.
    let labelNames: [Int: String]
    let numClasses: Int
    let backgroundLabelId: Int
    let names: [String]
    let sizes: [ImageSize]
    let numTestImages: Int
    let resize: ImageResize?
    /// `name_count_`: the name-size line of the next image.
    private(set) var nameIndex = 0
    private var entries: [Entry] = []

    /// Throws where Caffe's setup would abort (or would later write nothing or crash): an
    /// unknown format, no image in the name-size file, `num_test_image` 0 or above the number
    /// of names, a non-background class without a name in the label map.
    init(directory: String, prefix: String, format formatName: String, labelNames: [Int: String],
         numClasses: Int, backgroundLabelId: Int, nameSize: NameSizeFile, numTestImages: Int?,
         resize: ImageResize?) throws {
        guard let format = Format(rawValue: formatName) else {
            throw DetectionError("save_output_param.output_format is \"\(formatName)\", expected VOC, COCO or ILSVRC (Caffe would write no file)")
        }
        guard !nameSize.names.isEmpty else {
            throw DetectionError("save_output_param.name_size_file lists no image")
        }
        let count = numTestImages ?? nameSize.names.count
        guard count >= 1, count <= nameSize.names.count else {
            throw DetectionError("save_output_param.num_test_image is \(count), expected 1 ... \(nameSize.names.count) (the images of the name size file)")
        }
        for c in 0..<numClasses where c != backgroundLabelId && labelNames[c] == nil {
            throw DetectionError("save_output_param: Cannot find label: \(c) in the label map")
        }
        self.directory = directory
        self.prefix = prefix
        self.format = format
        self.labelNames = labelNames
        self.numClasses = numClasses
        self.backgroundLabelId = backgroundLabelId
        self.names = nameSize.names
        self.sizes = nameSize.sizes
        self.numTestImages = count
        self.resize = resize
    }

    /// The path of a file in the output directory.
    func path(_ file: String) -> String {
        URL(fileURLWithPath: directory).appendingPathComponent(file).path
    }

    /// Caffe's Reshape: at the start of a pass, VOC empties the file of every label of the label
    /// map except the background.
    func startPassIfNeeded() throws {
        guard format == .voc, nameIndex % numTestImages == 0 else { return }
        for (label, name) in labelNames where label != backgroundLabelId {
            try write("", to: path(prefix + name + ".txt"))
        }
    }

    /// One forward's DetectionOutput rows `[image, label, score, xmin, ymin, xmax, ymax]` for a
    /// batch of `num` images (placeholder rows with label -1 are skipped). Writes the files when
    /// the pass completes; returns the paths written.
    @discardableResult
    mutating func add(rows: [Float], num: Int) throws -> [String] {
        guard rows.count % 7 == 0 else { throw DetectionError("detection rows hold \(rows.count) values, expected 7 per row") }
        var byImage: [Int: [(label: Int, score: Float, box: NormalizedBox)]] = [:]
        for r in 0..<(rows.count / 7) {
            let row = rows[(r * 7)..<(r * 7 + 7)].map { $0 }
            guard let image = Self.index(row[0]), let label = Self.index(row[1]) else {
                throw DetectionError("detection row \(r) has image \(row[0]) and label \(row[1]), expected integers")
            }
            if label == -1 { continue }
            byImage[image, default: []].append((label, row[2], NormalizedBox(xmin: row[3], ymin: row[4], xmax: row[5], ymax: row[6])))
        }
        var written: [String] = []
        for image in 0..<num {
            for detection in byImage[image] ?? [] {
                entries.append(try entry(label: detection.label, score: detection.score, box: detection.box, line: nameIndex))
            }
            nameIndex += 1
            if nameIndex % numTestImages == 0 {
                written += try writePass()
                nameIndex = 0
                entries.removeAll()
            }
        }
        return written
    }

    private static func index(_ value: Float) -> Int? {
        guard value.isFinite, value >= -2_147_483_648, value < 2_147_483_648, value == value.rounded(.towardZero) else { return nil }
        return Int(value)
    }

    private func entry(label: Int, score: Float, box normalized: NormalizedBox, line: Int) throws -> Entry {
        guard labelNames[label] != nil else {
            throw DetectionError("save_output_param: Cannot find label: \(label) in the label map")
        }
        let size = sizes[line]
        let box = try normalized.outputBox(imageHeight: size.height, imageWidth: size.width, resize: resize)
        // pt.put<float>("", round(v * 100) / 100.): the rounding is exact in float, the division
        // is in double, the stored value a float.
        func treeFloat(_ v: Float) -> Float { Float(Double((v * 100).rounded(.toNearestOrAwayFromZero)) / 100) }
        return Entry(name: names[line], label: label, score: score,
                     box: [treeFloat(box.xmin), treeFloat(box.ymin), treeFloat(box.xmax - box.xmin), treeFloat(box.ymax - box.ymin)])
    }

    /// The files of the finished pass: file path → content.
    func passContents() throws -> [(path: String, content: String)] {
        switch format {
        case .voc:
            var order: [String] = []
            var contents: [String: String] = [:]
            for c in 0..<numClasses where c != backgroundLabelId {
                let name = labelNames[c] ?? ""
                if contents[name] == nil { order.append(name) }
                contents[name] = ""
            }
            for e in entries {
                let name = labelNames[e.label] ?? ""
                let b = try integerBox(e)
                contents[name, default: ""] += "\(e.name) \(DetectionScore.caffeFloatString(e.score)) \(b[0]) \(b[1]) \(b[0] + b[2]) \(b[1] + b[3])\n"
            }
            return order.map { (path(prefix + $0 + ".txt"), contents[$0] ?? "") }
        case .ilsvrc:
            var text = ""
            for e in entries {
                let b = try integerBox(e)
                text += "\(e.name) \(e.label) \(DetectionScore.caffeFloatString(e.score)) \(b[0]) \(b[1]) \(b[0] + b[2]) \(b[1] + b[3])\n"
            }
            return [(path(prefix + ".txt"), text)]
        case .coco:
            return [(path(prefix + ".json"), cocoJSON())]
        }
    }

    private func writePass() throws -> [String] {
        let files = try passContents()
        for file in files { try write(file.content, to: file.path) }
        return files.map(\.path)
    }

    /// `static_cast<int>` of the four tree floats, refusing values an int cannot hold.
    private func integerBox(_ e: Entry) throws -> [Int] {
        try e.box.map { v in
            guard v.isFinite, v >= -2_147_483_648, v < 2_147_483_648 else {
                throw DetectionError("save_output_param: result coordinate \(v) of image \(e.name) is not a pixel position")
            }
            return Int(v)
        }
    }

    /// The COCO file: write_json of {"detections": [...]} with 4-space indents, numbers unquoted
    /// by Caffe's regex, cut from the first `[` to before the last `]`, then `\n]\n`.
    func cocoJSON() -> String {
        guard !entries.isEmpty else {
            // Caffe's substr would throw std::out_of_range on the empty tree (no '['): an empty array.
            return "[\n]\n"
        }
        let pad8 = String(repeating: " ", count: 8), pad12 = String(repeating: " ", count: 12)
        let pad16 = String(repeating: " ", count: 16)
        var text = "[\n"
        for (index, e) in entries.enumerated() {
            let category = labelNames[e.label] ?? ""
            text += pad8 + "{\n"
            text += pad12 + "\"image_id\": " + Self.jsonValue(e.name) + ",\n"
            text += pad12 + "\"category_id\": " + Self.jsonValue(category) + ",\n"
            text += pad12 + "\"bbox\": [\n"
            for (k, v) in e.box.enumerated() {
                text += pad16 + Self.jsonValue(Self.treeString(v)) + (k < 3 ? ",\n" : "\n")
            }
            text += pad12 + "],\n"
            text += pad12 + "\"score\": " + Self.jsonValue(Self.treeString(e.score)) + "\n"
            text += pad8 + "}" + (index < entries.count - 1 ? ",\n" : "\n")
        }
        text += "    \n]\n"
        return text
    }

    /// A float as `ptree::put<float>` stores it: 9 significant digits (`max_digits10`).
    static func treeString(_ v: Float) -> String { String(format: "%.9g", Double(v)) }

    /// A value as write_json quotes and escapes it, then unquoted when the whole value matches
    /// `null|true|false|-?[0-9]+(\.[0-9]+)?` (the regex Caffe runs over the JSON text).
    static func jsonValue(_ value: String) -> String {
        if isBareToken(value) { return value }
        var bytes: [UInt8] = [UInt8(ascii: "\"")]
        func append(_ text: String) { bytes += Array(text.utf8) }
        for unit in value.utf8 {
            switch unit {
            // Bytes above 0x7F pass unchanged, so UTF-8 names stay UTF-8.
            case 0x20, 0x21, 0x23...0x2E, 0x30...0x5B, 0x5D...0xFF: bytes.append(unit)
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x2F: append("\\/")
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            default: append(String(format: "\\u%04X", Int(unit)))
            }
        }
        bytes.append(UInt8(ascii: "\""))
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isBareToken(_ value: String) -> Bool {
        if value == "null" || value == "true" || value == "false" { return true }
        var bytes = Substring(value).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        let isDigit: (UInt8) -> Bool = { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }
        let integer = bytes.prefix(while: isDigit)
        guard !integer.isEmpty else { return false }
        let rest = bytes.dropFirst(integer.count)
        if rest.isEmpty { return true }
        guard rest.first == UInt8(ascii: ".") else { return false }
        let fraction = rest.dropFirst()
        return !fraction.isEmpty && fraction.allSatisfy(isDigit)
    }

    private func write(_ text: String, to path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try CaffeFiles.writeAtomically(Data(text.utf8), to: path)
        } catch {
            throw DetectionError("save_output_param: cannot write \(path): \(error)")
        }
    }
}
