import CaffeProto
import Foundation

/// `convert_annoset` / `convert_imageset` / `get_image_size` as functions.
public enum DatasetTools {
    /// One line of a list file: image path and either an integer label or an annotation path.
    public struct ListEntry: Equatable, Sendable {
        public var image: String
        public var annotation: String
    }

    /// Reads `image label-or-annotation` pairs (whitespace separated, as `infile >> a >> b`).
    public static func readList(_ path: String) throws -> [ListEntry] {
        let text = String(decoding: try CaffeFiles.contents(of: path), as: UTF8.self)
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map(String.init)
        if tokens.count % 2 != 0 {
            throw DataPipelineError(path, "odd number of fields: every line needs an image path and a label or annotation path")
        }
        return stride(from: 0, to: tokens.count, by: 2).map { ListEntry(image: tokens[$0], annotation: tokens[$0 + 1]) }
    }

    /// `convert_annoset ROOT/ LISTFILE DB`: writes AnnotatedDatum records with keys
    /// `%08d_<image path>` in list order (after the optional shuffle).
    @discardableResult
    public static func createAnnoset(root: String, listFile: String, output: String, options: AnnosetOptions) throws -> AnnosetReport {
        var entries = try readList(listFile)
        var nameToLabel: [String: Int32] = [:]
        if options.annoType == .detection {
            guard !options.labelMapFile.isEmpty else {
                throw DataPipelineError("create-annoset", "detection data needs --label-map-file")
            }
            nameToLabel = try LabelMaps.nameToLabel(LabelMaps.read(options.labelMapFile), strict: options.checkLabel,
                                                    file: options.labelMapFile)
        } else {
            for e in entries where Int32(e.annotation) == nil {
                throw DataPipelineError(listFile, "classification label \"\(e.annotation)\" of \(e.image) is not an integer")
            }
        }
        if options.shuffle {
            var rng = CaffeRandom(seed: options.shuffleSeed)
            for i in stride(from: entries.count - 1, to: 0, by: -1) { entries.swapAt(i, rng.below(i + 1)) }
        }
        let writer = try LMDBWriter(path: output)
        var report = AnnosetReport()
        var firstSize: Int? = nil
        let labels = nameToLabel
        // Images are decoded on all cores, a chunk at a time; records are written in list order.
        try forEachPrepared(entries, prepare: { entry in
            let imagePath = root + entry.image
            var warnings: [String] = []
            let label: Int32 = options.annoType == .classification ? (Int32(entry.annotation) ?? 0) : -1
            let datum: DatumRecord
            do {
                datum = try readImageToDatum(imagePath, label: label, options: options, encoding: encoding(for: entry.image, options))
            } catch let error as DataPipelineError {
                // An unreadable image is skipped with a warning, as convert_annoset does.
                return .unreadable("Failed to read \(entry.image): \(error)")
            }
            var record = AnnotatedRecord(datum: datum, hasBoxType: options.annoType == .detection, groups: [])
            if options.annoType == .detection {
                let annotationPath = root + entry.annotation
                // A missing annotation file gives an image without boxes (ReadRichImageToAnnotatedDatum).
                if FileManager.default.fileExists(atPath: annotationPath) {
                    // Boxes are normalized by the original image size (GetImageSize = imread colour).
                    let size = try ImageFiles.size(imagePath)
                    let result: (groups: [AnnotationGroup], warnings: [String])
                    switch options.labelType {
                    case .xml: result = try AnnotationReaders.voc(annotationPath, imageHeight: size.height, imageWidth: size.width, nameToLabel: labels)
                    case .json: result = try AnnotationReaders.json(annotationPath, imageHeight: size.height, imageWidth: size.width, nameToLabel: labels)
                    case .txt: result = try AnnotationReaders.text(annotationPath, imageHeight: size.height, imageWidth: size.width)
                    }
                    record.groups = result.groups
                    warnings = result.warnings
                }
            }
            let value: Data
            if options.annoType == .detection {
                value = try record.proto.serializedBytes()
            } else {
                // Classification records are AnnotatedDatums without a type (convert_annoset).
                var proto = Caffe_AnnotatedDatum()
                proto.datum = record.datum.proto
                value = try proto.serializedBytes()
            }
            return .record(value: value, pixels: datum.channels * datum.height * datum.width, warnings: warnings)
        }, consume: { lineID, entry, outcome in
            switch outcome {
            case .unreadable(let warning):
                report.skipped.append(entry.image)
                report.warnings.append(warning)
            case .record(let value, let pixels, let warnings):
                report.warnings += warnings
                if options.checkSize {
                    // Caffe compares data bytes with the first datum's C·H·W (and aborts for
                    // encoded data); the intent, equal image sizes, is checked instead.
                    if let expected = firstSize, pixels != expected {
                        throw DataPipelineError(entry.image, "image of \(pixels) values differs from the first image's \(expected) (--check-size)")
                    }
                    if firstSize == nil { firstSize = pixels }
                }
                try writer.put(key: String(format: "%08d", lineID) + "_" + entry.image, value: value)
                report.written += 1
            }
        })
        try writer.commit()
        return report
    }

    /// One list entry after conversion, before it is written.
    enum Prepared: Sendable {
        case record(value: Data, pixels: Int, warnings: [String])
        case unreadable(String)
    }

    /// Runs `prepare` for every entry on all cores, 64 entries at a time, and hands the results
    /// to `consume` in list order. The first error (of `prepare`, in list order, or of `consume`)
    /// stops the run.
    static func forEachPrepared(_ entries: [ListEntry], prepare: @Sendable (ListEntry) throws -> Prepared,
                                consume: (Int, ListEntry, Prepared) throws -> Void) throws {
        let chunk = 64
        var start = 0
        while start < entries.count {
            let end = min(start + chunk, entries.count)
            var results = [Result<Prepared, Error>?](repeating: nil, count: end - start)
            results.withUnsafeMutableBufferPointer { buffer in
                // Each iteration writes only its own slot.
                nonisolated(unsafe) let slots = buffer
                let base = start
                DispatchQueue.concurrentPerform(iterations: end - start) { i in
                    slots[i] = Result { try prepare(entries[base + i]) }
                }
            }
            for (offset, result) in results.enumerated() {
                guard let result else { continue }
                try consume(start + offset, entries[start + offset], try result.get())
            }
            start = end
        }
    }

    /// `convert_imageset ROOT/ LISTFILE DB`: plain Datum records for the Data layer.
    @discardableResult
    public static func createImageset(root: String, listFile: String, output: String, options: AnnosetOptions) throws -> AnnosetReport {
        var entries = try readList(listFile)
        if options.shuffle {
            var rng = CaffeRandom(seed: options.shuffleSeed)
            for i in stride(from: entries.count - 1, to: 0, by: -1) { entries.swapAt(i, rng.below(i + 1)) }
        }
        for e in entries where Int32(e.annotation) == nil {
            throw DataPipelineError(listFile, "label \"\(e.annotation)\" of \(e.image) is not an integer")
        }
        let writer = try LMDBWriter(path: output)
        var report = AnnosetReport()
        try forEachPrepared(entries, prepare: { entry in
            let datum: DatumRecord
            do {
                datum = try readImageToDatum(root + entry.image, label: Int32(entry.annotation) ?? 0, options: options,
                                             encoding: encoding(for: entry.image, options))
            } catch let error as DataPipelineError {
                return .unreadable("Failed to read \(entry.image): \(error)")
            }
            return .record(value: try datum.proto.serializedBytes(), pixels: datum.channels * datum.height * datum.width, warnings: [])
        }, consume: { lineID, entry, outcome in
            switch outcome {
            case .unreadable(let warning):
                report.skipped.append(entry.image)
                report.warnings.append(warning)
            case .record(let value, _, _):
                try writer.put(key: String(format: "%08d", lineID) + "_" + entry.image, value: value)
                report.written += 1
            }
        })
        try writer.commit()
        return report
    }

    /// `get_image_size ROOT/ LISTFILE OUTFILE`: one line `stem height width` per image.
    public static func imageSizes(root: String, listFile: String) throws -> String {
        var out = ""
        for entry in try readList(listFile) {
            let path = (root as NSString).appendingPathComponent(entry.image)
            let size = try ImageFiles.size(path)
            let name = ((entry.image as NSString).lastPathComponent as NSString).deletingPathExtension
            out += "\(name) \(size.height) \(size.width)\n"
        }
        return out
    }
}
