import CaffeProto
import Runtime

/// Caffe's Accuracy (src/caffe/layers/accuracy_layer.cpp), forward only: top-k accuracy along
/// `axis`, ignoring `ignore_label`; an optional second top holds the per-class accuracy (0 for
/// absent classes). Quirk kept: ties are broken in favour of the LARGER class index
/// (partial_sort with std::greater on (score, class) pairs).
final class AccuracyLayer: Layer {
    override class var caffeType: String { "Accuracy" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 2, minTops: 1, maxTops: 2) }

    private var topK = 1
    private var ignoreLabel: Int?
    private var outer = 0, inner = 0, labelAxis = 1

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.accuracyParam
        topK = Int(p.topK)
        guard topK >= 1 else { throw error("top_k must be at least 1") }
        ignoreLabel = p.hasIgnoreLabel ? Int(p.ignoreLabel) : nil
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        guard bottom[1].count > 0, topK <= bottom[0].count / bottom[1].count else {
            throw error("top_k \(topK) must not exceed the number of classes (\(bottom[1].count > 0 ? bottom[0].count / bottom[1].count : 0))")
        }
        labelAxis = try axisIndex(parameter.accuracyParam.axis, of: bottom[0], parameter: "accuracy_param.axis")
        outer = bottom[0].count(from: 0, to: labelAxis)
        inner = bottom[0].count(from: labelAxis + 1)
        guard outer * inner == bottom[1].count else {
            throw error("the number of labels must match the number of predictions: predictions \(bottom[0].shape) with label axis \(labelAxis) need \(outer * inner) labels, got \(bottom[1].count)")
        }
        try reshapeBlob(top[0], [])
        if top.count > 1 { try reshapeBlob(top[1], [bottom[0].shape[labelAxis]], what: "per-class top") }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let scores = bottom[0].data, labels = bottom[1].data
        let numLabels = bottom[0].shape[labelAxis]
        let dim = bottom[0].count / max(1, outer)
        var perClassCount = [Float](repeating: 0, count: numLabels)
        var perClassCorrect = [Float](repeating: 0, count: numLabels)
        var correct: Float = 0
        var count = 0
        var candidates = [(score: Float, label: Int)]()
        candidates.reserveCapacity(numLabels)
        for i in 0..<outer {
            for j in 0..<inner {
                guard let label = integerLabel(labels[i * inner + j]) else {
                    throw error("label \(labels[i * inner + j]) at position \(i * inner + j) is not a class index")
                }
                if let ignoreLabel, label == ignoreLabel { continue }
                guard label >= 0, label < numLabels else {
                    throw error("label \(labels[i * inner + j]) at position \(i * inner + j) is outside 0..<\(numLabels)")
                }
                perClassCount[label] += 1
                candidates.removeAll(keepingCapacity: true)
                for k in 0..<numLabels { candidates.append((scores[i * dim + k * inner + j], k)) }
                // Greater (score, class) first: equal scores order the larger class first.
                candidates.sort { $0.score != $1.score ? $0.score > $1.score : $0.label > $1.label }
                if candidates.prefix(topK).contains(where: { $0.label == label }) {
                    correct += 1
                    perClassCorrect[label] += 1
                }
                count += 1
            }
        }
        top[0].data[0] = correct / Float(count)
        if top.count > 1 {
            for c in 0..<numLabels {
                top[1].data[c] = perClassCount[c] == 0 ? 0 : perClassCorrect[c] / perClassCount[c]
            }
        }
    }
}
