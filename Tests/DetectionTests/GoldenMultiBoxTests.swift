import Detection
import Runtime
import TestSupport
import XCTest

/// The MultiBoxLoss cases of golden/layers, checked through the Detection pieces a
/// MultiBoxLoss layer is built from: matching, mining, location and confidence targets. The
/// cases pin which priors are matched and mined through the non-zero pattern of Caffe's
/// gradients, and the internal loss sums through case.json (float64 reference of Caffe's run).
final class GoldenMultiBoxTests: XCTestCase {
    struct Case {
        let matching: MultiBoxMatchingSettings
        let mining: MiningSettings
        let useDifficult: Bool
        let locLoss: LocLossType
        let confLoss: ConfLossType
    }

    func parse(_ p: [String: Any]) throws -> Case {
        let codeTypes: [String: BoxCodeType] = ["CORNER": .corner, "CENTER_SIZE": .centerSize, "CORNER_SIZE": .cornerSize]
        let miningTypes: [String: MiningType] = ["NONE": .none, "MAX_NEGATIVE": .maxNegative, "HARD_EXAMPLE": .hardExample]
        let coder = BoxCoder(codeType: try XCTUnwrap(codeTypes[(p["code_type"] as? String) ?? "CORNER"]),
                             varianceEncodedInTarget: (p["encode_variance_in_target"] as? Bool) ?? false)
        let matching = MultiBoxMatchingSettings(
            numClasses: try XCTUnwrap(p["num_classes"] as? Int), shareLocation: (p["share_location"] as? Bool) ?? true,
            matchType: (p["match_type"] as? String) == "BIPARTITE" ? .bipartite : .perPrediction,
            overlapThreshold: Float((p["overlap_threshold"] as? Double) ?? 0.5),
            usePriorForMatching: (p["use_prior_for_matching"] as? Bool) ?? true,
            backgroundLabelId: (p["background_label_id"] as? Int) ?? 0, coder: coder,
            ignoreCrossBoundary: (p["ignore_cross_boundary_bbox"] as? Bool) ?? false)
        var nms: (threshold: Float, topK: Int)?
        if let n = p["nms_param"] as? [String: Any] {
            nms = (Float((n["nms_threshold"] as? Double) ?? 0.3), (n["top_k"] as? Int) ?? 0)
        }
        let mining = MiningSettings(miningType: try XCTUnwrap(miningTypes[(p["mining_type"] as? String) ?? "MAX_NEGATIVE"]),
                                    negPosRatio: Float((p["neg_pos_ratio"] as? Double) ?? 3),
                                    negOverlap: Float((p["neg_overlap"] as? Double) ?? 0.5),
                                    sampleSize: (p["sample_size"] as? Int) ?? 64, nms: nms,
                                    usePriorForNMS: (p["use_prior_for_nms"] as? Bool) ?? false)
        return Case(matching: matching, mining: mining, useDifficult: (p["use_difficult_gt"] as? Bool) ?? true,
                    locLoss: (p["loc_loss_type"] as? String) == "L2" ? .l2 : .smoothL1,
                    confLoss: (p["conf_loss_type"] as? String) == "LOGISTIC" ? .logistic : .softmax)
    }

    func testMatchesMinedNegativesAndLossSums() throws {
        let cases = GoldenData.layerCases(prefix: "multiboxloss_")
        try XCTSkipIf(cases.isEmpty, "golden data not found")
        var passed = 0, total = 0
        for folder in cases {
            let name = folder.lastPathComponent
            let json = try GoldenData.caseJSON(folder)
            guard let params = json["params"] as? [String: Any], json["expected_error"] == nil else { continue }
            total += 1
            let failuresBefore = testRun?.failureCount ?? 0
            try check(folder: folder, name: name, json: json, settings: try parse(params))
            if (testRun?.failureCount ?? 0) == failuresBefore { passed += 1 }
        }
        XCTAssertEqual(passed, total)
        print("MultiBoxLoss golden cases whose matches, negatives and loss sums are reproduced: \(passed)/\(total)")
    }

    func check(folder: URL, name: String, json: [String: Any], settings s: Case) throws {
        let loc = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_loc.npy"))
        let conf = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_conf.npy"))
        let priorData = try GoldenData.npy(folder.appendingPathComponent("bottom/mbox_priorbox.npy"))
        let labels = try GoldenData.npy(folder.appendingPathComponent("bottom/label.npy"))
        let num = loc.shape[0]
        let numClasses = s.matching.numClasses
        let priors = try PriorBoxes(topData: priorData.values)
        let numPriors = priors.count
        let bg = s.matching.backgroundLabelId

        let groundTruth = try labels.values.withUnsafeBufferPointer {
            try DetectionRows.groundTruthForTraining($0, backgroundLabelId: bg, useDifficult: s.useDifficult)
        }
        let locations = try LocationPredictions(data: loc.values, num: num, numPriors: numPriors,
                                                shareLocation: s.matching.shareLocation, numClasses: numClasses)
        var matches: [[LabeledMatch]] = []
        for i in 0..<num {
            matches.append(try BoxMatching.findMatches(groundTruth: groundTruth[i], priors: priors, locations: locations,
                                                       image: i, settings: s.matching))
        }
        let overlaps = matches.map(BoxMatching.overlapsByLabel)
        var losses = try conf.values.withUnsafeBufferPointer {
            try MultiBoxTargets.confidenceLosses(conf: $0, num: num, numPriors: numPriors, numClasses: numClasses,
                                                 backgroundLabelId: bg, lossType: s.confLoss, matches: matches, groundTruth: groundTruth)
        }
        if s.mining.miningType == .hardExample {
            let encoded = try MultiBoxTargets.encodeLocations(locations: locations, groundTruth: groundTruth, matches: matches,
                                                              priors: priors, coder: s.matching.coder, bpInside: false,
                                                              usePriorForMatching: s.matching.usePriorForMatching)
            let locLosses = try MultiBoxTargets.locationLosses(prediction: encoded.prediction, target: encoded.target,
                                                               matches: matches, num: num, numPriors: numPriors, lossType: s.locLoss)
            for i in 0..<num { for p in 0..<numPriors { losses[i][p] += locLosses[i][p] } }
        }
        let outcome = try NegativeMining.mine(matches: &matches, overlaps: overlaps, losses: losses, num: num, settings: s.mining) { image, label in
            s.mining.usePriorForNMS ? priors.boxes
                : try locations.decodedBoxes(image: image, label: label, priors: priors, coder: s.matching.coder, clip: false)
        }
        XCTAssertEqual(outcome.numMatches, json["num_matches_after_mining"] as? Int, "\(name) matches")
        XCTAssertEqual(outcome.numNegatives, json["num_negatives"] as? Int, "\(name) negatives")

        // Which loc slots Caffe's gradient touched = the matched (image, prior, location class).
        let propagate = (json["propagate_down"] as? [Bool]) ?? [true, true]
        let locClasses = s.matching.locationClasses
        if propagate[0] {
            let locDiff = try GoldenData.npy(folder.appendingPathComponent("bottom_diff/mbox_loc.npy")).values
            var caffeMatched = Set<[Int]>(), ourMatched = Set<[Int]>()
            for i in 0..<num { for p in 0..<numPriors { for c in 0..<locClasses {
                let s0 = ((i * numPriors + p) * locClasses + c) * 4
                if locDiff[s0..<(s0 + 4)].contains(where: { $0 != 0 }) { caffeMatched.insert([i, p, c]) }
            } } }
            for (i, list) in matches.enumerated() { for m in list { for (p, gt) in m.result.indices.enumerated() where gt > -1 {
                ourMatched.insert([i, p, s.matching.shareLocation ? 0 : m.label])
            } } }
            XCTAssertEqual(ourMatched, caffeMatched, "\(name): matched priors (non-zero loc gradient)")
        }
        // With mining, the conf rows Caffe's gradient touched = positives and mined negatives.
        if s.mining.miningType != .none && propagate[1] {
            let confDiff = try GoldenData.npy(folder.appendingPathComponent("bottom_diff/mbox_conf.npy")).values
            var caffeRows = Set<[Int]>(), ourRows = Set<[Int]>()
            for i in 0..<num { for p in 0..<numPriors {
                let s0 = (i * numPriors + p) * numClasses
                if confDiff[s0..<(s0 + numClasses)].contains(where: { $0 != 0 }) { caffeRows.insert([i, p]) }
            } }
            for (i, list) in matches.enumerated() { for m in list { for (p, gt) in m.result.indices.enumerated() where gt > -1 {
                ourRows.insert([i, p])
            } } }
            for (i, list) in outcome.negatives.enumerated() { for p in list { ourRows.insert([i, p]) } }
            XCTAssertEqual(ourRows, caffeRows, "\(name): positive and negative conf rows (non-zero conf gradient)")
        }

        // The internal loss sums, in double from our targets, against the float64 reference.
        let encoded = try MultiBoxTargets.encodeLocations(locations: locations, groundTruth: groundTruth, matches: matches,
                                                          priors: priors, coder: s.matching.coder, bpInside: false,
                                                          usePriorForMatching: s.matching.usePriorForMatching)
        var locSum = 0.0
        for (a, b) in zip(encoded.prediction, encoded.target) {
            let d = Double(a) - Double(b)
            switch s.locLoss {
            case .smoothL1: locSum += abs(d) < 1 ? 0.5 * d * d : abs(d) - 0.5
            case .l2: locSum += 0.5 * d * d
            }
        }
        let targets = try conf.values.withUnsafeBufferPointer {
            try MultiBoxTargets.encodeConfidences(conf: $0, num: num, numPriors: numPriors, numClasses: numClasses,
                                                  backgroundLabelId: bg, lossType: s.confLoss, miningType: s.mining.miningType,
                                                  mapObjectToAgnostic: false, matches: matches, negatives: outcome.negatives,
                                                  groundTruth: groundTruth)
        }
        let prediction = targets.prediction ?? conf.values
        var confSum = 0.0
        for r in 0..<targets.rows {
            let row = prediction[(r * numClasses)..<((r + 1) * numClasses)].map(Double.init)
            switch s.confLoss {
            case .softmax:
                let maxValue = row.max() ?? 0
                let sum = row.reduce(0) { $0 + exp($1 - maxValue) }
                confSum -= log(max(exp(row[Int(targets.target[r])] - maxValue) / sum, Double(Float.leastNormalMagnitude)))
            case .logistic:
                for c in 0..<numClasses {
                    let x = row[c], t = Double(targets.target[r * numClasses + c])
                    let positive = x >= 0 ? 1.0 : 0.0
                    confSum -= x * (t - positive) - log(1 + exp(x - 2 * x * positive))
                }
            }
        }
        let expectedLoc = try XCTUnwrap(json["loc_loss_sum"] as? Double)
        let expectedConf = try XCTUnwrap(json["conf_loss_sum"] as? Double)
        XCTAssertEqual(locSum, expectedLoc, accuracy: 1e-5 * max(1, abs(expectedLoc)), "\(name) loc loss sum")
        XCTAssertEqual(confSum, expectedConf, accuracy: 1e-5 * max(1, abs(expectedConf)), "\(name) conf loss sum")
    }
}
