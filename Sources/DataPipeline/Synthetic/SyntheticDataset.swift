import Foundation

/// Writes a small VOC-style detection dataset made on the spot: `JPEGImages/`, `Annotations/`
/// (VOC XML), `ImageSets/Main/{trainval,test}.txt`, the list files SSD's `create_list.sh` makes
/// (`trainval.txt`, `test.txt`: image and annotation paths), `test_name_size.txt`, and
/// `labelmap.prototxt`. Images are 240-360 pixels a side with 1-5 shapes each on textured
/// backgrounds, some overlapping, some cut by the border. The same seed gives the same files.
public struct SyntheticDataset {
    public var trainCount: Int
    public var testCount: Int
    public var seed: UInt64

    public init(trainCount: Int, testCount: Int, seed: UInt64) {
        self.trainCount = trainCount
        self.testCount = testCount
        self.seed = seed
    }

    /// One drawn object, in VOC's 1-based inclusive pixel coordinates.
    public struct Object: Equatable, Sendable {
        public var shape: SyntheticShape
        public var xmin: Int, ymin: Int, xmax: Int, ymax: Int
        public var truncated: Bool
    }

    public struct Sample: Sendable {
        public var id: String
        public var image: ByteImage
        public var objects: [Object]
    }

    /// Writes every file under `folder` (created if needed); `progress` is told each image done.
    public func write(to folder: String, progress: ((Int, Int) -> Void)? = nil) throws {
        let fm = FileManager.default
        for sub in ["JPEGImages", "Annotations", "ImageSets/Main"] {
            try fm.createDirectory(atPath: folder + "/" + sub, withIntermediateDirectories: true)
        }
        var trainIDs: [String] = [], testIDs: [String] = []
        var nameSizes: [String] = []
        let total = trainCount + testCount
        for index in 0..<total {
            let sample = makeSample(index: index)
            let jpeg = try JPEGCodec.encode(sample.image, quality: 95)
            try write(jpeg, to: folder + "/JPEGImages/\(sample.id).jpg")
            try write(Data(annotationXML(sample).utf8), to: folder + "/Annotations/\(sample.id).xml")
            if index < trainCount { trainIDs.append(sample.id) } else {
                testIDs.append(sample.id)
                nameSizes.append("\(sample.id) \(sample.image.height) \(sample.image.width)")
            }
            progress?(index + 1, total)
        }
        func lines(_ items: [String]) -> Data { Data((items.joined(separator: "\n") + (items.isEmpty ? "" : "\n")).utf8) }
        try write(lines(trainIDs), to: folder + "/ImageSets/Main/trainval.txt")
        try write(lines(testIDs), to: folder + "/ImageSets/Main/test.txt")
        try write(lines(trainIDs.map { "JPEGImages/\($0).jpg Annotations/\($0).xml" }), to: folder + "/trainval.txt")
        try write(lines(testIDs.map { "JPEGImages/\($0).jpg Annotations/\($0).xml" }), to: folder + "/test.txt")
        try write(lines(nameSizes), to: folder + "/test_name_size.txt")
        try write(Data(Self.labelMapText.utf8), to: folder + "/labelmap.prototxt")
    }

    /// The label map: background 0, then the shapes.
    public static var labelMapText: String {
        var text = "item {\n  name: \"none_of_the_above\"\n  label: 0\n  display_name: \"background\"\n}\n"
        for shape in SyntheticShape.allCases {
            text += "item {\n  name: \"\(shape.name)\"\n  label: \(shape.rawValue)\n  display_name: \"\(shape.name)\"\n}\n"
        }
        return text
    }

    private func write(_ data: Data, to path: String) throws {
        guard FileManager.default.createFile(atPath: path, contents: data) else {
            throw DataPipelineError(path, "cannot write the file (is the folder writable and the disk not full?)")
        }
    }

    // MARK: Drawing

    /// Sample `index` (the same for the same seed and index, whatever the counts).
    public func makeSample(index: Int) -> Sample {
        var rng = SyntheticRandom(seed: seed &* 0x9E3779B97F4A7C15 &+ UInt64(index) &+ 1)
        let width = rng.int(240...360), height = rng.int(240...360)
        var image = background(width: width, height: height, rng: &rng)
        var objects: [Object] = []
        let wanted = rng.int(1...5)
        var attempts = 0
        while objects.count < wanted && attempts < 50 {
            attempts += 1
            let shape = SyntheticShape.allCases[rng.int(0...(SyntheticShape.allCases.count - 1))]
            let side = Double(rng.int(44...150))
            let aspect = shape == .square ? rng.double(0.6...1.6) : rng.double(0.8...1.25)
            let w = side * aspect.squareRoot(), h = side / aspect.squareRoot()
            // Centres may sit near the border so that some shapes are cut by it.
            let cx = rng.double(0.05...0.95) * Double(width), cy = rng.double(0.05...0.95) * Double(height)
            let x0 = cx - w / 2, y0 = cy - h / 2
            let box = clippedBox(x0: x0, y0: y0, w: w, h: h, width: width, height: height)
            guard let box, Double((box.xmax - box.xmin + 1) * (box.ymax - box.ymin + 1)) >= 0.45 * w * h else { continue }
            // Partial overlap is fine; hiding most of another shape is not.
            if objects.contains(where: { Self.overlap($0, box) > 0.35 }) { continue }
            let color = Self.color(hue: shape.hue + rng.double(-18...18), saturation: rng.double(0.65...1), value: rng.double(0.6...1))
            draw(shape, x0: x0, y0: y0, w: w, h: h, color: color, into: &image)
            objects.append(Object(shape: shape, xmin: box.xmin, ymin: box.ymin, xmax: box.xmax, ymax: box.ymax,
                                  truncated: x0 < 0 || y0 < 0 || x0 + w > Double(width) || y0 + h > Double(height)))
        }
        return Sample(id: String(format: "%06d", index + 1), image: image, objects: objects)
    }

    /// The tight box of the shape's pixels inside the image, 1-based inclusive (VOC).
    private func clippedBox(x0: Double, y0: Double, w: Double, h: Double, width: Int, height: Int) -> (xmin: Int, ymin: Int, xmax: Int, ymax: Int)? {
        let xmin = max(0, Int(x0.rounded(.down))), ymin = max(0, Int(y0.rounded(.down)))
        let xmax = min(width - 1, Int((x0 + w).rounded(.up)) - 1), ymax = min(height - 1, Int((y0 + h).rounded(.up)) - 1)
        guard xmax - xmin >= 8, ymax - ymin >= 8 else { return nil }
        return (xmin + 1, ymin + 1, xmax + 1, ymax + 1)
    }

    private static func overlap(_ a: Object, _ b: (xmin: Int, ymin: Int, xmax: Int, ymax: Int)) -> Double {
        let iw = min(a.xmax, b.xmax) - max(a.xmin, b.xmin) + 1
        let ih = min(a.ymax, b.ymax) - max(a.ymin, b.ymin) + 1
        guard iw > 0, ih > 0 else { return 0 }
        let smaller = min((a.xmax - a.xmin + 1) * (a.ymax - a.ymin + 1), (b.xmax - b.xmin + 1) * (b.ymax - b.ymin + 1))
        return Double(iw * ih) / Double(smaller)
    }

    /// A textured background: a soft two-colour gradient, stripes or a checker pattern at low
    /// contrast, and pixel noise. Colours are greyish so that shapes stand out by shape and hue.
    private func background(width: Int, height: Int, rng: inout SyntheticRandom) -> ByteImage {
        let a = (0..<3).map { _ in rng.double(60...190) }, b = (0..<3).map { _ in rng.double(60...190) }
        let pattern = rng.int(0...2)
        let period = rng.double(10...40)
        let angle = rng.double(0...Double.pi)
        let (ca, sa) = (cos(angle), sin(angle))
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let t = (Double(x) * ca + Double(y) * sa) / Double(max(width, height))
                var texture: Double
                switch pattern {
                case 0: texture = sin((Double(x) * ca + Double(y) * sa) / period * 2 * .pi) * 14
                case 1: texture = ((Int(Double(x) / period) + Int(Double(y) / period)) % 2 == 0) ? 10 : -10
                default: texture = sin(Double(x) / period) * cos(Double(y) / period) * 16
                }
                for c in 0..<3 {
                    let base = a[c] * (1 - t) + b[c] * t
                    let noise = Double(rng.int(-12...12))
                    pixels[(y * width + x) * 3 + c] = UInt8(max(0, min(255, base + texture + noise)))
                }
            }
        }
        return ByteImage(height: height, width: width, channels: 3, pixels: pixels)
    }

    private func draw(_ shape: SyntheticShape, x0: Double, y0: Double, w: Double, h: Double, color: [UInt8], into image: inout ByteImage) {
        let xs = max(0, Int(x0.rounded(.down))), xe = min(image.width - 1, Int((x0 + w).rounded(.up)))
        let ys = max(0, Int(y0.rounded(.down))), ye = min(image.height - 1, Int((y0 + h).rounded(.up)))
        guard xs <= xe, ys <= ye else { return }
        for y in ys...ye {
            for x in xs...xe where shape.contains(x: Double(x) + 0.5 - x0, y: Double(y) + 0.5 - y0, w: w, h: h) {
                let o = (y * image.width + x) * 3
                // Light shading so the shapes are not perfectly flat.
                let shade = 0.85 + 0.15 * Double(y - ys) / Double(max(1, ye - ys))
                for c in 0..<3 { image.pixels[o + c] = UInt8(min(255, Double(color[c]) * shade)) }
            }
        }
    }

    /// BGR bytes of an HSV colour (hue in degrees).
    static func color(hue: Double, saturation s: Double, value v: Double) -> [UInt8] {
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let c = v * s, x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1)), m = v - c
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        return [b, g, r].map { UInt8(max(0, min(255, (($0 + m) * 255).rounded()))) }
    }

    /// The VOC annotation XML of a sample.
    public func annotationXML(_ sample: Sample) -> String {
        var xml = """
            <annotation>
            \t<folder>synthetic</folder>
            \t<filename>\(sample.id).jpg</filename>
            \t<size>
            \t\t<width>\(sample.image.width)</width>
            \t\t<height>\(sample.image.height)</height>
            \t\t<depth>3</depth>
            \t</size>
            \t<segmented>0</segmented>

            """
        for object in sample.objects {
            xml += """
                \t<object>
                \t\t<name>\(object.shape.name)</name>
                \t\t<pose>Unspecified</pose>
                \t\t<truncated>\(object.truncated ? 1 : 0)</truncated>
                \t\t<difficult>0</difficult>
                \t\t<bndbox>
                \t\t\t<xmin>\(object.xmin)</xmin>
                \t\t\t<ymin>\(object.ymin)</ymin>
                \t\t\t<xmax>\(object.xmax)</xmax>
                \t\t\t<ymax>\(object.ymax)</ymax>
                \t\t</bndbox>
                \t</object>

                """
        }
        return xml + "</annotation>\n"
    }
}

/// SplitMix64, for reproducible datasets.
struct SyntheticRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E3779B97F4A7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
        z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
        return z ^ (z >> 31)
    }
    mutating func double(_ range: ClosedRange<Double>) -> Double {
        range.lowerBound + Double(next() >> 11) * 0x1.0p-53 * (range.upperBound - range.lowerBound)
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}
