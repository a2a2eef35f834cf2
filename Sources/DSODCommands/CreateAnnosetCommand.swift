import ArgumentParser
import DataPipeline
import Foundation

/// `dsod create-annoset`: SSD's `scripts/create_annoset.py` + `convert_annoset` in one step.
struct CreateAnnosetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-annoset",
        abstract: "Create an AnnotatedDatum LMDB from images and VOC XML (or JSON/txt) annotations.",
        discussion: """
            Same options and output as SSD's create_annoset.py/convert_annoset: keys %08d_<image path>, \
            JPEG files stored verbatim when --encode-type matches, boxes normalized by the XML <size>.

            Example (data/VOC0712/create_data.sh):
              dsod create-annoset --anno-type detection \\
                --label-map-file labelmap_voc.prototxt --check-label \\
                --encode-type jpg --encoded --redo \\
                VOCdevkit/ test.txt VOC0712_test_lmdb
            """)

    @Argument(help: "Root folder the list file's paths are relative to.") var root: String
    @Argument(help: "List file: `image annotation` (detection) or `image label` (classification) per line.") var listFile: String
    @Argument(help: "Output LMDB folder (must not exist unless --redo).") var outDir: String
    @Argument(help: "Optional folder to put a symbolic link to the LMDB in (create_annoset.py's exampledir).") var exampleDir: String?

    @Option(help: "classification or detection.") var annoType: String = "classification"
    @Option(help: "Label file format for detection: xml, json or txt.") var labelType: String = "xml"
    @Option(help: "LabelMap prototxt (detection).") var labelMapFile: String = ""
    @Flag(help: "Fail on repeated names in the label map.") var checkLabel = false
    @Option(help: "Minimum image dimension to resize to (keeps aspect).") var minDim: Int = 0
    @Option(help: "Maximum image dimension to resize to (keeps aspect).") var maxDim: Int = 0
    @Option(help: "Height images are resized to.") var resizeHeight: Int = 0
    @Option(help: "Width images are resized to.") var resizeWidth: Int = 0
    @Flag(help: "Check that all datums have the same size.") var checkSize = false
    @Flag(help: "Store encoded images.") var encoded = false
    @Option(help: "Encoding of stored images (jpg).") var encodeType: String = ""
    @Flag(help: "Treat images as grayscale.") var gray = false
    @Flag(help: "Shuffle the list first.") var shuffle = false
    @Flag(help: "Delete an existing output first.") var redo = false
    @Option(help: "Backend: lmdb.") var backend: String = "lmdb"

    func options() throws -> AnnosetOptions {
        var o = AnnosetOptions()
        guard let kind = AnnosetOptions.AnnotationKind(rawValue: annoType) else {
            throw ValidationError("--anno-type must be classification or detection, not \(annoType)")
        }
        guard let format = AnnosetOptions.LabelFormat(rawValue: labelType) else {
            throw ValidationError("--label-type must be xml, json or txt, not \(labelType)")
        }
        guard backend == "lmdb" else { throw ValidationError("--backend \(backend) is not supported; use lmdb") }
        o.annoType = kind
        o.labelType = format
        o.labelMapFile = labelMapFile
        o.checkLabel = checkLabel
        o.minDim = max(0, minDim); o.maxDim = max(0, maxDim)
        o.resizeHeight = max(0, resizeHeight); o.resizeWidth = max(0, resizeWidth)
        o.checkSize = checkSize
        o.encoded = encoded
        o.encodeType = encodeType
        o.gray = gray
        o.shuffle = shuffle
        return o
    }

    /// The work, callable from tests; returns the conversion report.
    func execute() throws -> AnnosetReport {
        let options = try options()
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("root directory \(root) does not exist")
        }
        let rootSlash = root.hasSuffix("/") ? root : root + "/"
        if FileManager.default.fileExists(atPath: outDir) {
            guard redo else { throw ValidationError("\(outDir) already exists; pass --redo to recreate it") }
            try FileManager.default.removeItem(atPath: outDir)
        }
        let parent = (outDir as NSString).deletingLastPathComponent
        if !parent.isEmpty { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) }
        let report = try DatasetTools.createAnnoset(root: rootSlash, listFile: listFile, output: outDir, options: options)
        if let exampleDir {
            try FileManager.default.createDirectory(atPath: exampleDir, withIntermediateDirectories: true)
            let link = (exampleDir as NSString).appendingPathComponent((outDir as NSString).lastPathComponent)
            try? FileManager.default.removeItem(atPath: link)
            let target = outDir.hasPrefix("/") ? outDir : FileManager.default.currentDirectoryPath + "/" + outDir
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        }
        return report
    }

    func run() throws {
        let report = try execute()
        for warning in report.warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        print("Processed \(report.written) files into \(outDir)\(report.skipped.isEmpty ? "" : " (\(report.skipped.count) skipped)").")
    }
}

/// `dsod get-image-size`: SSD's `get_image_size` (the name-size file of the score scripts).
struct GetImageSizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get-image-size",
        abstract: "Write `name height width` for every image of a list file (SSD's get_image_size).",
        discussion: """
            The name-size file DetectionOutput's save_output_param and the score scripts read: \
            one line per image of the list, its file name without folder and extension, then \
            its height and width in pixels.

            Example (data/VOC0712/create_data.sh):
              dsod get-image-size $HOME/data/VOCdevkit/ test.txt test_name_size.txt
            """)

    @Argument(help: "Root folder the list file's paths are relative to.") var root: String
    @Argument(help: "List file (image path first on each line).") var listFile: String
    @Argument(help: "Output name-size file.") var outFile: String

    func run() throws {
        let text = try DatasetTools.imageSizes(root: root, listFile: listFile)
        do {
            try text.write(toFile: outFile, atomically: true, encoding: .utf8)
        } catch {
            throw ValidationError("cannot write \(outFile): \(error.localizedDescription)")
        }
    }
}

/// `dsod create-labelmap`: a LabelMap prototxt from a file of class names.
struct CreateLabelmapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create-labelmap",
        abstract: "Create a LabelMap prototxt from class names (one per line: name [label] [display_name]).",
        discussion: """
            Every line has the same number of fields. With names alone, classes are numbered in \
            file order after the background class none_of_the_above (label 0), or from 0 with \
            --no-background.

            Examples:
              dsod create-labelmap classes.txt -o labelmap.prototxt
              dsod create-labelmap --no-background classes.txt
            """)

    @Argument(help: "File with one class per line.") var namesFile: String
    @Option(name: .shortAndLong, help: "Output prototxt (default: standard output).") var output: String?
    @Flag(help: "Do not add the background class none_of_the_above (label 0).") var noBackground = false
    @Option(help: "Field delimiter characters.") var delimiter: String = " :;"

    func run() throws {
        let map = try LabelMaps.fromNamesFile(namesFile, includeBackground: !noBackground, delimiter: delimiter)
        let text = LabelMaps.format(map)
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
        }
    }
}
