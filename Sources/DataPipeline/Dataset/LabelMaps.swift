import CaffeProto
import Foundation

/// Label maps (`LabelMap` prototxt) as SSD's tools read and write them.
public enum LabelMaps {
    /// Reads a LabelMap prototxt.
    public static func read(_ path: String) throws -> Caffe_LabelMap {
        do {
            return try CaffeFiles.read(path, as: Caffe_LabelMap.self)
        } catch let error as CaffeFormatError {
            // Keep the parser's line:column in the location.
            var location = path
            if let line = error.line { location += ":\(line)" }
            if let column = error.column { location += ":\(column)" }
            throw DataPipelineError(location, "cannot read the label map: \(error.message)")
        }
    }

    /// `MapNameToLabel`: with `strict`, a repeated name is an error (Caffe: LOG(FATAL)); otherwise
    /// the last one wins.
    public static func nameToLabel(_ map: Caffe_LabelMap, strict: Bool, file: String) throws -> [String: Int32] {
        var result: [String: Int32] = [:]
        for item in map.item {
            if strict, result[item.name] != nil {
                throw DataPipelineError(file, "the label map has several items named \"\(item.name)\" (--check-label)")
            }
            result[item.name] = item.label
        }
        return result
    }

    /// `ReadLabelFileToLabelMap`: one class per line as `name [label] [display_name]`, fields
    /// split on any of `delimiter`'s characters; every line must have as many fields as the
    /// first; `includeBackground` adds `none_of_the_above` (label 0, display "background").
    public static func fromNamesFile(_ path: String, includeBackground: Bool = true, delimiter: String = " :;") throws -> Caffe_LabelMap {
        let text = String(decoding: try CaffeFiles.contents(of: path), as: UTF8.self)
        var map = Caffe_LabelMap()
        var label: Int32 = 0
        if includeBackground {
            var item = Caffe_LabelMapItem()
            item.name = "none_of_the_above"
            item.label = label
            item.displayName = "background"
            map.item.append(item)
            label += 1
        }
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var fieldCount = -1
        let separators = CharacterSet(charactersIn: delimiter)
        for (n, line) in lines.enumerated() {
            let fields = line.components(separatedBy: separators)
            if fieldCount == -1 { fieldCount = fields.count }
            guard fields.count == fieldCount else {
                throw DataPipelineError("\(path):\(n + 1)", "\(fields.count) field(s), the first line has \(fieldCount); every line needs the same number")
            }
            var item = Caffe_LabelMapItem()
            item.name = fields[0]
            switch fieldCount {
            case 1:
                item.label = label; label += 1
                item.displayName = fields[0]
            case 2, 3:
                guard let value = Int32(fields[1].trimmingCharacters(in: .whitespaces)) else {
                    throw DataPipelineError("\(path):\(n + 1)", "label \"\(fields[1])\" is not an integer")
                }
                label = value
                item.label = value
                item.displayName = fieldCount == 3 ? fields[2] : fields[0]
            default:
                throw DataPipelineError("\(path):\(n + 1)", "expected 1 to 3 fields (name [label] [display_name]), got \(fieldCount)")
            }
            map.item.append(item)
        }
        return map
    }

    /// The prototxt text of a label map.
    public static func format(_ map: Caffe_LabelMap) -> String { CaffeText.format(map) }
}
