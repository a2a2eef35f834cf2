import CaffeProto
import Detection
import Runtime

/// Caffe's DetectionEvaluate (src/caffe/layers/detection_evaluate_layer.cpp): turns one batch
/// of DetectionOutput rows and label rows into the rows the solver's detection test scores: one
/// `[-1, class, ground truth count, -1, -1]` row per non-background class, then
/// `[image, label, score, tp, fp]` per detection. The maths are `DetectionEvaluator`'s
/// (Detection), stateful like the layer: the name-size line index runs on across forwards,
/// advancing only for images with detection rows; ground truth is read up to the first -1 row;
/// with a name-size file boxes are compared in pixels with the +1 convention after clipping.
///
/// Bottoms: the (1, 1, N, 7) detections and the (1, 1, G, 8) labels.
final class DetectionEvaluateLayer: Layer {
    override class var caffeType: String { "DetectionEvaluate" }
    // Caffe declares `ExactBottomBlobs` (never checked by Layer): extra bottoms are ignored.
    override var blobCounts: BlobCounts { BlobCounts(minBottoms: 2, exactTops: 1) }

    private var evaluator: DetectionEvaluator?

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.detectionEvaluateParam
        guard p.hasNumClasses else { throw error("detection_evaluate_param.num_classes must be given") }
        var nameSizes: [ImageSize] = []
        if p.hasNameSizeFile {
            // Opened relative to the working directory, as Caffe does.
            nameSizes = try detectionStep { try NameSizeFile(contentsOf: p.nameSizeFile) }.sizes
        }
        let settings = DetectionEvaluateSettings(
            numClasses: caffeInt(p.numClasses), backgroundLabelId: caffeInt(p.backgroundLabelID),
            overlapThreshold: p.overlapThreshold, evaluateDifficultGT: p.evaluateDifficultGt, nameSizes: nameSizes,
            resize: p.hasResizeParam ? ImageResize(p.resizeParam) : nil)
        evaluator = try detectionStep { try DetectionEvaluator(settings: settings) }
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard let evaluator else { throw error("reshape before setup") }
        let detections = bottom[0], labels = bottom[1]
        guard detections.num == 1, detections.channels == 1, detections.width == 7, detections.numAxes <= 4 else {
            throw error("the detections must have shape (1, 1, N, 7), got \(detections.shape)")
        }
        guard labels.num == 1, labels.channels == 1, labels.width == 8, labels.numAxes <= 4 else {
            throw error("the labels must have shape (1, 1, G, 8), got \(labels.shape)")
        }
        try reshapeBlob(top[0], [1, 1, evaluator.outputRowCount(detections: detections.dataBuffer()), 5])
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard var current = evaluator else { throw error("forward before setup") }
        let rows = try detectionStep {
            try current.evaluate(detections: bottom[0].dataBuffer(), groundTruth: bottom[1].dataBuffer())
        }
        evaluator = current
        guard rows.count == top[0].count else {
            throw error("wrote \(rows.count / 5) evaluation rows for a top of \(top[0].count / 5)")
        }
        let output = top[0].data
        for (index, value) in rows.enumerated() { output[index] = value }
    }
}
