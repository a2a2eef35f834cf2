import CaffeProto
import Detection
import Foundation
import Kernels
import Runtime

/// Caffe's MultiBoxLoss (src/caffe/layers/multibox_loss_layer.cpp): matches the priors to the
/// ground truth, mines negatives (or hard examples), and adds a localization loss (SmoothL1 or
/// L2 on the encoded offsets of the matched priors, times `loc_weight`) and a confidence loss
/// (softmax or logistic on the positives and mined negatives, or on every prior without mining),
/// both divided by the normalizer of `loss_param` (VALID = matches after mining, FULL = batch ×
/// priors, BATCH_SIZE = batch, NONE = 1; at least 1).
///
/// Bottoms: mbox_loc (N, priors·loc classes·4), mbox_conf (N, priors·classes), the PriorBox top
/// (1, 2, priors·4), the labels (1, 1, G, 8) with rows `[item, label, instance, xmin, ymin, xmax,
/// ymax, difficult]`. Matching, mining and the targets are the Detection module's
/// (`BoxMatching`, `NegativeMining`, `MultiBoxTargets`); the internal losses are `LossMath`.
///
/// Quirks kept:
/// - The loss holds only the terms whose bottom has `propagate_down` true in the layer's
///   parameter (default `true, true, false, false`).
/// - Each forward APPENDS its matches and mined negatives to lists that only Backward clears,
///   and every step reads the first `num` entries: a second forward without a backward (the
///   solver's display forward, `dsod forward` on a train net) mines, encodes and backpropagates
///   the FIRST forward's matches (with this forward's overlaps and predictions).
/// - Label rows with item -1 are skipped and reading continues; an image without ground truth
///   contributes nothing under MAX_NEGATIVE (no negatives) and is all background under NONE.
/// - force_backward forces the prior and label bottoms (LossLayer allows every bottom but 1),
///   and Backward then refuses them ("cannot backpropagate to prior inputs").
final class MultiBoxLossLayer: LossLayer {
    override class var caffeType: String { "MultiBoxLoss" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 4, exactTops: 1) }
    // LossLayer::AllowForceBackward is inherited: every bottom but 1, which here is the
    // confidences, not the labels.

    // Parameters.
    private var matching = MultiBoxMatchingSettings(numClasses: 1)
    private var mining = MiningSettings()
    private var locLossType: LocLossType = .smoothL1
    private var confLossType: ConfLossType = .softmax
    private var locWeight: Float = 1
    private var useDifficultGT = true
    private var bpInside = false
    private var mapObjectToAgnostic = false

    // Shapes of the current bottoms.
    private var num = 0
    private var numPriors = 0
    private var numGroundTruthRows = 0

    /// `all_match_indices_` / `all_neg_indices_`: appended by every forward, cleared by backward.
    private var matchLists: [[LabeledMatch]] = []
    private var negativeLists: [[Int]] = []

    // What the last forward left for the backward.
    private var numMatches = 0
    private var numConf = 0
    /// Encoded prediction minus target of the matched priors (the internal loc loss's `diff_`).
    private var locDifference: [Float] = []
    /// SOFTMAX: probabilities; LOGISTIC: sigmoid outputs (rows × classes).
    private var confOutput: [Float] = []
    /// SOFTMAX: one label per row; LOGISTIC: rows × classes targets.
    private var confTarget: [Float] = []

    private var numClasses: Int { matching.numClasses }
    private var backgroundLabelId: Int { matching.backgroundLabelId }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        try super.layerSetUp(bottom: bottom, top: top)
        if parameter.propagateDown.isEmpty { parameter.propagateDown = [true, true, false, false] }
        guard parameter.propagateDown.count == 4 else {
            throw error("propagate_down must be given 0 or 4 times, got \(parameter.propagateDown.count)")
        }
        let p = parameter.multiboxLossParam
        guard p.hasNumClasses else { throw error("multibox_loss_param.num_classes must be given") }
        let numClasses = caffeInt(p.numClasses)
        guard numClasses >= 1 else { throw error("multibox_loss_param.num_classes is \(numClasses), should not be less than 1") }
        let background = caffeInt(p.backgroundLabelID)
        let miningType: MiningType
        switch p.miningType {
        case .none: miningType = .none
        case .maxNegative: miningType = .maxNegative
        case .hardExample: miningType = .hardExample
        }
        if p.hasDoNegMining && p.doNegMining != (miningType != .none) {
            throw error("the deprecated do_neg_mining \(p.doNegMining) contradicts mining_type \(p.miningType) (use mining_type only)")
        }
        if miningType != .none && !p.shareLocation {
            throw error("negative mining (mining_type \(p.miningType)) needs share_location: true (Currently only support negative mining if share_location is true)")
        }
        locLossType = p.locLossType == .l2 ? .l2 : .smoothL1
        confLossType = p.confLossType == .logistic ? .logistic : .softmax
        if confLossType == .softmax && !(background >= 0 && background < numClasses) {
            throw error("background_label_id \(background) should be within [0, num_classes \(numClasses)) for Softmax")
        }
        matching = MultiBoxMatchingSettings(
            numClasses: numClasses, shareLocation: p.shareLocation,
            matchType: p.matchType == .bipartite ? .bipartite : .perPrediction,
            overlapThreshold: p.overlapThreshold, usePriorForMatching: p.usePriorForMatching, backgroundLabelId: background,
            coder: BoxCoder(codeType: BoxCodeType(p.codeType), varianceEncodedInTarget: p.encodeVarianceInTarget),
            ignoreCrossBoundary: p.ignoreCrossBoundaryBbox)
        // MineHardExamples: nms_param's top_k defaults to 0 here (the proto default), which
        // selects nothing; DetectionOutput's -1 does not apply.
        mining = MiningSettings(miningType: miningType, negPosRatio: p.negPosRatio, negOverlap: p.negOverlap,
                                sampleSize: Int(p.sampleSize),
                                nms: p.hasNmsParam ? (p.nmsParam.nmsThreshold, Int(p.nmsParam.topK)) : nil,
                                usePriorForNMS: p.usePriorForNms)
        locWeight = p.locWeight
        useDifficultGT = p.useDifficultGt
        bpInside = p.bpInside
        mapObjectToAgnostic = p.mapObjectToAgnostic
    }

    override func reshape(bottom: [Blob], top: [Blob]) throws {
        try super.reshape(bottom: bottom, top: top)
        num = bottom[0].num
        numPriors = bottom[2].height / 4
        numGroundTruthRows = bottom[3].height
        let locClasses = matching.locationClasses
        guard numPriors * locClasses * 4 == bottom[0].channels, bottom[0].count == num * bottom[0].channels else {
            throw error("Number of priors must match number of location predictions: \(numPriors) priors (prior bottom \(bottom[2].shape)) x \(locClasses) location classes x 4, location bottom \(bottom[0].shape)")
        }
        guard numPriors * numClasses == bottom[1].channels, bottom[1].count == num * bottom[1].channels else {
            throw error("Number of priors must match number of confidence predictions: \(numPriors) priors x \(numClasses) classes, confidence bottom \(bottom[1].shape)")
        }
        guard bottom[2].count >= numPriors * 8 else {
            throw error("the prior bottom \(bottom[2].shape) must hold the \(numPriors) boxes and their variances (shape (1, 2, 4 x priors))")
        }
        guard bottom[3].count >= numGroundTruthRows * 8 else {
            throw error("the label bottom \(bottom[3].shape) must hold rows of 8 values (shape (1, 1, G, 8))")
        }
    }

    /// LossLayer::GetNormalizer with the number of matches (after mining) as the valid count.
    private func normalizer() -> Float {
        LossLayer.normalizer(normalizationMode, outer: num, inner: numPriors, validCount: numMatches)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        let bg = backgroundLabelId
        let groundTruth = try detectionStep {
            try DetectionRows.groundTruthForTraining(bottom[3].dataBuffer(numGroundTruthRows * 8), backgroundLabelId: bg,
                                                     useDifficult: useDifficultGT)
        }
        let priors = try detectionStep { try PriorBoxes(topData: bottom[2].dataBuffer(numPriors * 8)) }
        let locations = try detectionStep {
            try LocationPredictions(data: bottom[0].dataArray(), num: num, numPriors: numPriors,
                                    shareLocation: matching.shareLocation, numClasses: numClasses)
        }
        let conf = bottom[1].dataBuffer()

        // FindMatches appends to the member list; the overlaps are this forward's.
        var overlaps: [[Int: [Float]]] = []
        for i in 0..<num {
            let matches = try detectionStep {
                try BoxMatching.findMatches(groundTruth: groundTruth[i], priors: priors, locations: locations, image: i,
                                            settings: matching)
            }
            matchLists.append(matches)
            overlaps.append(BoxMatching.overlapsByLabel(matches))
        }
        let outcome = try mine(conf: conf, groundTruth: groundTruth, priors: priors, locations: locations, overlaps: overlaps)
        negativeLists.append(contentsOf: outcome.negatives)
        numMatches = outcome.numMatches

        var locLoss: Float = 0
        locDifference = []
        if numMatches >= 1 {
            locLoss = try locationLoss(groundTruth: groundTruth, priors: priors, locations: locations)
        }
        numConf = mining.miningType != .none ? numMatches + outcome.numNegatives : num * numPriors
        var confLoss: Float = 0
        confOutput = []
        confTarget = []
        if numConf >= 1 {
            confLoss = try confidenceLoss(conf: conf, groundTruth: groundTruth)
        }

        var loss: Float = 0
        let normalizer = normalizer()
        if parameter.propagateDown[0] { loss += locWeight * locLoss / normalizer }
        if parameter.propagateDown[1] { loss += confLoss / normalizer }
        top[0].data[0] = loss
    }

    /// MineHardExamples on the first `num` entries of the member match list.
    private func mine(conf: UnsafeBufferPointer<Float>, groundTruth: [Int: [NormalizedBox]], priors: PriorBoxes,
                      locations: LocationPredictions, overlaps: [[Int: [Float]]]) throws -> MiningOutcome {
        let (num, numPriors, numClasses, matching, mining) = (self.num, self.numPriors, self.numClasses, self.matching, self.mining)
        // Without mining MineHardExamples only counts the matches.
        var losses = [[Float]](repeating: [], count: num)
        if mining.miningType != .none {
            losses = try detectionStep {
                try MultiBoxTargets.confidenceLosses(conf: conf, num: num, numPriors: numPriors, numClasses: numClasses,
                                                     backgroundLabelId: matching.backgroundLabelId, lossType: confLossType,
                                                     matches: matchLists, groundTruth: groundTruth)
            }
            if mining.miningType == .hardExample {
                let encoded = try detectionStep {
                    try MultiBoxTargets.encodeLocations(locations: locations, groundTruth: groundTruth, matches: matchLists,
                                                        priors: priors, coder: matching.coder, bpInside: bpInside,
                                                        usePriorForMatching: matching.usePriorForMatching)
                }
                let locLosses = try detectionStep {
                    try MultiBoxTargets.locationLosses(prediction: encoded.prediction, target: encoded.target, matches: matchLists,
                                                       num: num, numPriors: numPriors, lossType: locLossType)
                }
                for i in 0..<num { for p in 0..<numPriors { losses[i][p] += locLosses[i][p] } }
            }
        }
        return try detectionStep {
            try NegativeMining.mine(matches: &matchLists, overlaps: overlaps, losses: losses, num: num, settings: mining) { image, label in
                mining.usePriorForNMS ? priors.boxes
                    : try locations.decodedBoxes(image: image, label: label, priors: priors, coder: matching.coder, clip: false)
            }
        }
    }

    /// The internal SmoothL1Loss / EuclideanLoss on the (1, 4·matches) encoded predictions and
    /// targets; unweighted, as the internal layer's top.
    private func locationLoss(groundTruth: [Int: [NormalizedBox]], priors: PriorBoxes,
                              locations: LocationPredictions) throws -> Float {
        let encoded = try detectionStep {
            try MultiBoxTargets.encodeLocations(locations: locations, groundTruth: groundTruth, matches: matchLists,
                                                priors: priors, coder: matching.coder, bpInside: bpInside,
                                                usePriorForMatching: matching.usePriorForMatching)
        }
        guard encoded.prediction.count == numMatches * 4 else {
            throw error("encoded \(encoded.prediction.count / 4) matched locations for \(numMatches) matches (the matches of an earlier forward no longer fit this batch)")
        }
        locDifference = [Float](repeating: 0, count: encoded.prediction.count)
        let sum = locDifference.withUnsafeMutableBufferPointer { d in
            encoded.prediction.withUnsafeBufferPointer { a in
                encoded.target.withUnsafeBufferPointer { b -> Double in
                    guard let d = d.baseAddress, let a = a.baseAddress, let b = b.baseAddress else { return 0 }
                    switch locLossType {
                    case .smoothL1: return LossMath.smoothL1(encoded.prediction.count, a, b, difference: d)
                    // EuclideanLoss: Σ d² / num / 2 with num = 1.
                    case .l2: return LossMath.squaredDifference(encoded.prediction.count, a, b, difference: d) / 2
                    }
                }
            }
        }
        return Float(sum)
    }

    /// The internal SoftmaxWithLoss (normalization NONE) or SigmoidCrossEntropyLoss (a sum) on
    /// the rows EncodeConfPrediction builds; unweighted.
    private func confidenceLoss(conf: UnsafeBufferPointer<Float>, groundTruth: [Int: [NormalizedBox]]) throws -> Float {
        let (num, numPriors, numClasses) = (self.num, self.numPriors, self.numClasses)
        let targets = try detectionStep {
            try MultiBoxTargets.encodeConfidences(conf: conf, num: num, numPriors: numPriors, numClasses: numClasses,
                                                  backgroundLabelId: backgroundLabelId, lossType: confLossType,
                                                  miningType: mining.miningType, mapObjectToAgnostic: mapObjectToAgnostic,
                                                  matches: matchLists, negatives: negativeLists, groundTruth: groundTruth)
        }
        guard targets.rows == numConf else {
            throw error("encoded \(targets.rows) confidence rows for \(numConf) (the matches of an earlier forward no longer fit this batch)")
        }
        let rows = numConf
        confTarget = targets.target
        confOutput = [Float](repeating: 0, count: rows * numClasses)
        let input = targets.prediction.map { ContiguousArray($0) } ?? ContiguousArray(conf.prefix(rows * numClasses))
        let loss: Double = try input.withUnsafeBufferPointer { x in
            try confTarget.withUnsafeBufferPointer { t in
                try confOutput.withUnsafeMutableBufferPointer { y -> Double in
                    guard let x = x.baseAddress, let t = t.baseAddress, let y = y.baseAddress else { return 0 }
                    switch confLossType {
                    case .softmax:
                        for r in 0..<rows where !(t[r] >= 0 && Int(t[r]) < numClasses) {
                            throw error("confidence target \(t[r]) of row \(r) is outside 0 ..< num_classes \(numClasses) (a ground truth label out of range)")
                        }
                        SoftmaxLayer.softmax(input: x, output: y, outer: rows, channels: numClasses, inner: 1)
                        return LossMath.softmaxLoss(rows: rows, classes: numClasses, probabilities: y, labels: t)
                    case .logistic:
                        LossMath.sigmoid(rows * numClasses, x, y)
                        return LossMath.sigmoidCrossEntropy(rows * numClasses, input: x, target: t)
                    }
                }
            }
        }
        return Float(loss)
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown[2] { throw error("MultiBoxLoss Layer cannot backpropagate to prior inputs.") }
        if propagateDown[3] { throw error("MultiBoxLoss Layer cannot backpropagate to label inputs.") }
        if propagateDown[0] || propagateDown[1] {
            guard matchLists.count >= num else { throw error("backward without a forward") }
        }
        let scale = top[0].diff[0] / normalizer()
        if propagateDown[0] {
            try backwardLocations(bottom[0], scale: scale)
        }
        if propagateDown[1] {
            try backwardConfidences(bottom[1], scale: scale)
        }
        // After backward, the match statistics are removed.
        matchLists.removeAll()
        negativeLists.removeAll()
    }

    /// Scatters the internal loc loss's gradient (times loc_weight, then times loss weight /
    /// normalizer) into the matched priors' slots; every other slot gets 0.
    private func backwardLocations(_ loc: Blob, scale: Float) throws {
        let diff = loc.diff
        Elementwise.fill(loc.count, 0, diff)
        guard numMatches >= 1 else { return }
        var gradient = locDifference
        switch locLossType {
        case .smoothL1: gradient.withUnsafeMutableBufferPointer { if let g = $0.baseAddress { LossMath.smoothL1Derivative($0.count, g) } }
        case .l2: break
        }
        // Internal layer: alpha = loc_weight (its loss weight) / num (1); then MultiBoxLoss's scale.
        for k in gradient.indices { gradient[k] = gradient[k] * locWeight * scale }
        let locClasses = matching.locationClasses
        let perImage = loc.count / max(1, num)
        var count = 0
        for i in 0..<num {
            for m in matchLists[i] {
                let slot = matching.shareLocation ? 0 : m.label
                for (j, gt) in m.result.indices.enumerated() where gt > -1 {
                    let start = i * perImage + locClasses * 4 * j + slot * 4
                    guard count * 4 + 4 <= gradient.count, start >= 0, start + 4 <= loc.count else {
                        throw error("the matches no longer fit the location gradient (\(gradient.count / 4) encoded, bottom \(loc.shape))")
                    }
                    for k in 0..<4 { diff[start + k] = gradient[count * 4 + k] }
                    count += 1
                }
            }
        }
    }

    /// The internal confidence loss's gradient, times loss weight / normalizer: scattered to the
    /// positive and negative rows with mining, else the whole blob (Caffe shares the diff).
    private func backwardConfidences(_ confBlob: Blob, scale: Float) throws {
        let diff = confBlob.diff
        Elementwise.fill(confBlob.count, 0, diff)
        guard numConf >= 1 else { return }
        let numClasses = self.numClasses
        var gradient = [Float](repeating: 0, count: numConf * numClasses)
        confOutput.withUnsafeBufferPointer { y in
            confTarget.withUnsafeBufferPointer { t in
                gradient.withUnsafeMutableBufferPointer { g in
                    guard let y = y.baseAddress, let t = t.baseAddress, let g = g.baseAddress else { return }
                    switch confLossType {
                    case .softmax:
                        LossMath.softmaxLossGradient(rows: numConf, classes: numClasses, probabilities: y, labels: t, scale: scale, gradient: g)
                    case .logistic:
                        LossMath.sigmoidCrossEntropyGradient(numConf * numClasses, sigmoid: y, target: t, scale: scale, gradient: g)
                    }
                }
            }
        }
        if mining.miningType == .none {
            guard gradient.count == confBlob.count else {
                throw error("the confidence gradient has \(gradient.count) values for a bottom of \(confBlob.count)")
            }
            gradient.withUnsafeBufferPointer { if let g = $0.baseAddress { Elementwise.copy($0.count, g, diff) } }
            return
        }
        var count = 0
        func copyRow(image: Int, prior: Int) throws {
            let start = (image * numPriors + prior) * numClasses
            guard (count + 1) * numClasses <= gradient.count, prior >= 0, prior < numPriors, start + numClasses <= confBlob.count else {
                throw error("the mined rows no longer fit the confidence gradient (\(numConf) rows, bottom \(confBlob.shape))")
            }
            for c in 0..<numClasses { diff[start + c] = gradient[count * numClasses + c] }
            count += 1
        }
        for i in 0..<num {
            for m in matchLists[i] {
                for (j, gt) in m.result.indices.enumerated() where gt > -1 { try copyRow(image: i, prior: j) }
            }
            if i < negativeLists.count {
                for j in negativeLists[i] { try copyRow(image: i, prior: j) }
            }
        }
    }
}
