import Foundation

/// Readers of detection annotation files into annotation groups, as SSD's io.cpp:
/// `ReadXMLToAnnotatedDatum` (VOC), `ReadJSONToAnnotatedDatum` (COCO-style per-image JSON) and
/// `ReadTxtToAnnotatedDatum` (label xmin ymin xmax ymax). Warnings Caffe logs are returned.
public enum AnnotationReaders {
    /// Adds an object to its group in first-appearance order (instance ids count per group).
    static func add(_ box: NormalizedBox, label: Int32, to groups: inout [AnnotationGroup]) {
        if let g = groups.firstIndex(where: { $0.label == label }) {
            let next = (groups[g].annotations.last?.instanceID ?? -1) + 1
            groups[g].annotations.append(BoxAnnotation(instanceID: next, box: box))
        } else {
            groups.append(AnnotationGroup(label: label, annotations: [BoxAnnotation(instanceID: 0, box: box)]))
        }
    }

    static func boundaryWarnings(_ file: String, _ v: (Float, Float, Float, Float), width: Float, height: Float) -> [String] {
        var w: [String] = []
        let (xmin, ymin, xmax, ymax) = v
        for (value, limit) in [(xmin, width), (ymin, height), (xmax, width), (ymax, height)] where value > limit {
            w.append("\(file) bounding box exceeds image boundary."); _ = value; _ = limit
        }
        for value in [xmin, ymin, xmax, ymax] where value < 0 { w.append("\(file) bounding box exceeds image boundary."); _ = value }
        if xmin > xmax || ymin > ymax { w.append("\(file) bounding box irregular.") }
        return w
    }

    /// VOC XML. Boxes are divided by the XML `<size>` (falling back to the image size), read as
    /// integers with ptree semantics ("12.5" → 0), stored unclipped; `<difficult>` is true only
    /// for the text "1".
    public static func voc(_ path: String, imageHeight: Int, imageWidth: Int, nameToLabel: [String: Int32]) throws -> (groups: [AnnotationGroup], warnings: [String]) {
        let text = String(decoding: try ImageFiles.read(path), as: UTF8.self)
        let root = try MiniXML.parse(text, file: path)
        guard let annotation = root.child("annotation") else {
            throw DataPipelineError(path, "no <annotation> element (expected a VOC annotation file)")
        }
        var warnings: [String] = []
        var width = 0, height = 0
        if let h = root.path("annotation.size.height").flatMap({ ptreeInt($0.text) }),
           let w = root.path("annotation.size.width").flatMap({ ptreeInt($0.text) }) {
            height = h; width = w
        } else {
            warnings.append("When parsing \(path): no valid annotation.size.height/width; using the image size")
            height = imageHeight; width = imageWidth
        }
        if height != imageHeight { warnings.append("\(path) inconsistent image height.") }
        if width != imageWidth { warnings.append("\(path) inconsistent image width.") }
        guard width != 0 && height != 0 else {
            throw DataPipelineError(path, "no valid image width/height")
        }
        var groups: [AnnotationGroup] = []
        for object in annotation.children where object.name == "object" {
            var current: (group: Int, index: Int)? = nil
            var difficult = false
            for field in object.children {
                switch field.name {
                case "name":
                    guard let label = nameToLabel[field.text] else {
                        throw DataPipelineError(path, "unknown name \"\(field.text)\": not in the label map")
                    }
                    add(NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0), label: label, to: &groups)
                    if let g = groups.firstIndex(where: { $0.label == label }) {
                        current = (g, groups[g].annotations.count - 1)
                    }
                case "difficult":
                    difficult = field.text == "1"
                case "bndbox":
                    guard let (g, a) = current else {
                        throw DataPipelineError(path, "<bndbox> before <name> in an <object>")
                    }
                    func value(_ key: String) -> Int { field.child(key).flatMap { ptreeInt($0.text) } ?? 0 }
                    let xmin = value("xmin"), ymin = value("ymin"), xmax = value("xmax"), ymax = value("ymax")
                    warnings += boundaryWarnings(path, (Float(xmin), Float(ymin), Float(xmax), Float(ymax)),
                                                 width: Float(width), height: Float(height))
                    var box = groups[g].annotations[a].box
                    box.xmin = Float(xmin) / Float(width)
                    box.ymin = Float(ymin) / Float(height)
                    box.xmax = Float(xmax) / Float(width)
                    box.ymax = Float(ymax) / Float(height)
                    box.difficult = difficult
                    groups[g].annotations[a].box = box
                default:
                    break
                }
            }
        }
        return (groups, warnings)
    }

    /// Per-image JSON as SSD's COCO tools write it: `image.height/width`, `annotation` array of
    /// `{category_id, iscrowd, bbox: [x, y, w, h]}`; category ids are looked up as names.
    public static func json(_ path: String, imageHeight: Int, imageWidth: Int, nameToLabel: [String: Int32]) throws -> (groups: [AnnotationGroup], warnings: [String]) {
        let data = try ImageFiles.read(path)
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            // Foundation says where in its debug description ("... around line 3, column 7").
            let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? error.localizedDescription
            throw DataPipelineError(path, "not valid JSON: \(detail)")
        }
        guard let root = object as? [String: Any] else {
            throw DataPipelineError(path, "not a JSON object")
        }
        var warnings: [String] = []
        var width = imageWidth, height = imageHeight
        if let image = root["image"] as? [String: Any], let h = (image["height"] as? NSNumber)?.intValue,
           let w = (image["width"] as? NSNumber)?.intValue {
            height = h; width = w
        } else {
            warnings.append("When parsing \(path): no image.height/width; using the image size")
        }
        if height != imageHeight { warnings.append("\(path) inconsistent image height.") }
        if width != imageWidth { warnings.append("\(path) inconsistent image width.") }
        guard width != 0 && height != 0 else { throw DataPipelineError(path, "no valid image width/height") }
        guard let annotations = root["annotation"] as? [[String: Any]] else {
            throw DataPipelineError(path, "no \"annotation\" array")
        }
        var groups: [AnnotationGroup] = []
        for (n, object) in annotations.enumerated() {
            guard let category = object["category_id"] else {
                throw DataPipelineError(path, "annotation \(n) has no category_id")
            }
            let name = (category as? String) ?? "\(category)"
            guard let label = nameToLabel[name] else {
                throw DataPipelineError(path, "unknown name \"\(name)\": not in the label map")
            }
            guard let bbox = object["bbox"] as? [NSNumber], bbox.count == 4 else {
                throw DataPipelineError(path, "annotation \(n): bbox must be [x, y, width, height]")
            }
            let iscrowd = (object["iscrowd"] as? NSNumber)?.intValue ?? 0
            let xmin = bbox[0].floatValue, ymin = bbox[1].floatValue
            let xmax = bbox[0].floatValue + bbox[2].floatValue, ymax = bbox[1].floatValue + bbox[3].floatValue
            warnings += boundaryWarnings(path, (xmin, ymin, xmax, ymax), width: Float(width), height: Float(height))
            add(NormalizedBox(xmin: xmin / Float(width), ymin: ymin / Float(height), xmax: xmax / Float(width),
                              ymax: ymax / Float(height), difficult: iscrowd != 0), label: label, to: &groups)
        }
        return (groups, warnings)
    }

    /// Plain text: `label xmin ymin xmax ymax` per object (pixels, divided by the image size).
    public static func text(_ path: String, imageHeight: Int, imageWidth: Int) throws -> (groups: [AnnotationGroup], warnings: [String]) {
        let text = String(decoding: try ImageFiles.read(path), as: UTF8.self)
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" })
        var groups: [AnnotationGroup] = []
        var warnings: [String] = []
        var i = 0
        while i + 5 <= tokens.count {
            guard let label = Int32(tokens[i]), let xmin = Float(tokens[i + 1]), let ymin = Float(tokens[i + 2]),
                  let xmax = Float(tokens[i + 3]), let ymax = Float(tokens[i + 4]) else { break }
            warnings += boundaryWarnings(path, (xmin, ymin, xmax, ymax), width: Float(imageWidth), height: Float(imageHeight))
            add(NormalizedBox(xmin: xmin / Float(imageWidth), ymin: ymin / Float(imageHeight),
                              xmax: xmax / Float(imageWidth), ymax: ymax / Float(imageHeight)), label: label, to: &groups)
            i += 5
        }
        return (groups, warnings)
    }
}
