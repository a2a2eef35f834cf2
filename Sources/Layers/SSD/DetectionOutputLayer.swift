import CaffeProto
import DataPipeline
import Detection
import Runtime

/// Caffe's DetectionOutput (src/caffe/layers/detection_output_layer.cpp): decodes the location
/// predictions against the priors, runs per-class NMS and `keep_top_k`, and writes one row
/// `[image, label, score, xmin, ymin, xmax, ymax]` per kept detection into a (1, 1, rows, 7)
/// top. The maths are `DetectionOutputCore`'s (Detection), with Caffe's row order (image, label
/// ascending, score descending within a label), strict `score > confidence_threshold`, and
/// `[i, -1, -1, -1, -1, -1, -1]` placeholder rows only when the whole batch has no detection.
///
/// Bottoms: mbox_loc (N, priors·loc classes·4), the flattened confidences (N, priors·classes),
/// the PriorBox top (1, 2, priors·4). `save_output_param` writes VOC, COCO or ILSVRC result files
/// (`DetectionResultFiles`); `visualize` is not supported (it needs OpenCV drawing).
final class DetectionOutputLayer: Layer {
    override class var caffeType: String { "DetectionOutput" }
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 3, maxBottoms: 4, exactTops: 1) }

    private var core: DetectionOutputCore?
    private var resultFiles: DetectionResultFiles?
    private var numPriors = 0

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.detectionOutputParam
        guard p.hasNumClasses else { throw error("detection_output_param.num_classes must be given") }
        let nms = p.nmsParam
        let settings = DetectionOutputSettings(
            numClasses: caffeInt(p.numClasses), shareLocation: p.shareLocation, backgroundLabelId: Int(p.backgroundLabelID),
            coder: BoxCoder(codeType: BoxCodeType(p.codeType), varianceEncodedInTarget: p.varianceEncodedInTarget),
            keepTopK: Int(p.keepTopK),
            confidenceThreshold: p.hasConfidenceThreshold ? p.confidenceThreshold : -Float.greatestFiniteMagnitude,
            nmsThreshold: nms.nmsThreshold, eta: nms.eta, topK: nms.hasTopK ? Int(nms.topK) : -1)
        // Caffe aborts only in the first Forward for share_location with background_label_id -1
        // ("Could not find location predictions for label -1"); the core refuses it here.
        core = try detectionStep { try DetectionOutputCore(settings: settings) }
        if p.visualize {
            throw error("visualize: true is not supported (Caffe draws the boxes with OpenCV); use `dsod detect` to draw detections")
        }
        resultFiles = try setUpResultFiles(settings)
    }

    /// Caffe's LayerSetUp for `save_output_param`: files are written only when an output
    /// directory, a label map and a name-size file are all given; the label map and the
    /// name-size file are read (and must be readable) whenever they are given.
    private func setUpResultFiles(_ settings: DetectionOutputSettings) throws -> DetectionResultFiles? {
        let save = parameter.detectionOutputParam.saveOutputParam
        // Caffe creates the output directory here; ours creates it when it first writes a file,
        // so a net that cannot be built (or never saves) leaves nothing behind.
        var needSave = !save.outputDirectory.isEmpty
        var labelNames: [Int: String] = [:]
        if save.hasLabelMapFile && !save.labelMapFile.isEmpty {
            let map: Caffe_LabelMap
            do { map = try LabelMaps.read(save.labelMapFile) } catch {
                throw self.error("save_output_param.label_map_file: \(error)")
            }
            for item in map.item {
                // MapLabelToName with strict checking.
                guard labelNames[Int(item.label)] == nil else {
                    throw self.error("save_output_param.label_map_file \(save.labelMapFile): There are many duplicates of label: \(item.label)")
                }
                labelNames[Int(item.label)] = item.name
            }
        } else {
            needSave = false
        }
        var nameSize: NameSizeFile?
        var numTestImages: Int?
        if save.hasNameSizeFile && !save.nameSizeFile.isEmpty {
            let file = try detectionStep { try NameSizeFile(contentsOf: save.nameSizeFile) }
            if save.hasNumTestImage {
                numTestImages = caffeInt(save.numTestImage)
                guard let count = numTestImages, count <= file.names.count else {
                    throw error("save_output_param.num_test_image \(save.numTestImage) is more than the \(file.names.count) images of \(save.nameSizeFile)")
                }
            }
            nameSize = file
        } else {
            needSave = false
        }
        guard needSave, let nameSize else { return nil }
        return try detectionStep {
            try DetectionResultFiles(directory: save.outputDirectory, prefix: save.outputNamePrefix, format: save.outputFormat,
                                     labelNames: labelNames, numClasses: settings.numClasses,
                                     backgroundLabelId: settings.backgroundLabelId, nameSize: nameSize,
                                     numTestImages: numTestImages,
                                     resize: save.hasResizeParam ? ImageResize(save.resizeParam) : nil)
        }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard let core else { throw error("reshape before setup") }
        if let resultFiles { try detectionStep { try resultFiles.startPassIfNeeded() } }
        let settings = core.settings
        guard bottom[0].num == bottom[1].num else {
            throw error("the location (\(bottom[0].shape)) and confidence (\(bottom[1].shape)) bottoms must have the same number of images")
        }
        numPriors = bottom[2].height / 4
        let locClasses = settings.shareLocation ? 1 : settings.numClasses
        guard numPriors * locClasses * 4 == bottom[0].channels, bottom[0].count == bottom[0].num * bottom[0].channels else {
            throw error("Number of priors must match number of location predictions: \(numPriors) priors (prior bottom \(bottom[2].shape)) x \(locClasses) location classes x 4, location bottom \(bottom[0].shape)")
        }
        guard numPriors * settings.numClasses == bottom[1].channels, bottom[1].count == bottom[1].num * bottom[1].channels else {
            throw error("Number of priors must match number of confidence predictions: \(numPriors) priors x \(settings.numClasses) classes, confidence bottom \(bottom[1].shape)")
        }
        guard bottom[2].count >= numPriors * 8 else {
            throw error("the prior bottom \(bottom[2].shape) must hold the \(numPriors) boxes and their variances (shape (1, 2, 4 x priors))")
        }
        // Placeholder height 1: the number of rows is known only after NMS.
        try reshapeBlob(top[0], [1, 1, 1, 7])
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let core else { throw error("forward before setup") }
        let num = bottom[0].num
        let result = try detectionStep {
            try core.detect(loc: bottom[0].dataArray(), conf: bottom[1].dataArray(),
                            priorData: Array(bottom[2].dataBuffer(numPriors * 8)), num: num)
        }
        try reshapeBlob(top[0], [1, 1, result.rowCount, 7])
        let rows = result.rows
        let output = top[0].data
        for (index, value) in rows.enumerated() { output[index] = value }
        if resultFiles != nil {
            try detectionStep { _ = try resultFiles?.add(rows: rows, num: num) }
        }
    }
}
