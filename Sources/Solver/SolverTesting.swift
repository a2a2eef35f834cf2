import CaffeProto
import Detection
import Runtime

/// What one test pass of a test net produced.
public struct TestResult: Sendable {
    public struct Output: Sendable {
        public var name: String
        public var value: Float
        public var lossWeight: Float
    }
    public var netIndex: Int
    public var iteration: Int
    /// Classification: the mean of every output element. Detection: one mAP per output.
    public var outputs: [Output]
    /// Detection only: the score of each output.
    public var detection: [DetectionScore]
    public var loss: Float?
}

extension Solver {
    /// `Solver::TestAll`.
    public func testAll() throws {
        var results: [TestResult] = []
        for i in testNets.indices {
            guard let result = parameter.evalType == "detection" ? try testDetection(i) : try testClassification(i) else { break }
            results.append(result)
        }
        setLastTestResults(results)
    }

    /// Test nets use the train net's current parameters (`Net::ShareTrainedLayersWith`): every
    /// layer of the same name shares its blobs' memory.
    func shareTrainedLayers(into testNet: Net) throws {
        for layer in testNet.layers {
            guard let source = net.layer(named: layer.name), !layer.blobs.isEmpty else { continue }
            guard source.blobs.count == layer.blobs.count else {
                throw SolverError(file: solverFile, "layer '\(layer.name)' has \(layer.blobs.count) blobs in the test net but \(source.blobs.count) in the train net")
            }
            for (target, from) in zip(layer.blobs, source.blobs) where !target.sharesData(with: from) {
                guard target.shape == from.shape else {
                    throw SolverError(file: solverFile, "layer '\(layer.name)' has a blob of shape \(target.shapeString) in the test net but \(from.shapeString) in the train net")
                }
                try target.shareData(with: from)
            }
        }
    }

    /// Returns false when a stop was requested (the test is abandoned, as Caffe does).
    private func pollDuringTest() throws -> Bool {
        while true {
            switch requestedAction() {
            case .none: return true
            case .snapshot: try snapshot()
            case .stop: markEarlyExit(); return false
            }
        }
    }

    private func testClassification(_ index: Int) throws -> TestResult? {
        log(SolverLogLine("solver.cpp:433", "Iteration \(iteration), Testing net (#\(index))"))
        let testNet = testNets[index]
        try shareTrainedLayers(into: testNet)
        var scores: [Float] = []
        var loss: Float = 0
        let batches = Int(parameter.testIter[index])
        for batch in 0..<batches {
            guard try pollDuringTest() else { log(SolverLogLine("solver.cpp:470", "Test interrupted.")); return nil }
            try beforeTestForward?(testNet, index, batch)
            let iterLoss = try testNet.forward()
            if parameter.testComputeLoss { loss += iterLoss }
            var k = 0
            for blob in testNet.outputBlobs {
                for e in 0..<blob.count {
                    if batch == 0 { scores.append(blob.data[e]) } else { scores[k] += blob.data[e] }
                    k += 1
                }
            }
        }
        var result = TestResult(netIndex: index, iteration: iteration, outputs: [], detection: [], loss: nil)
        if parameter.testComputeLoss {
            loss /= Float(batches)
            result.loss = loss
            log(SolverLogLine("solver.cpp:476", "Test loss: \(CaffeNumber.format(loss))"))
        }
        var k = 0
        for (j, blob) in testNet.outputBlobs.enumerated() {
            let blobIndex = testNet.outputBlobIndices[j]
            let name = testNet.blobNames[blobIndex]
            let weight = testNet.blobLossWeights[blobIndex]
            for _ in 0..<blob.count {
                let mean = scores[k] / Float(batches)
                let lossText = weight != 0 ? " (* \(CaffeNumber.format(weight)) = \(CaffeNumber.format(weight * mean)) loss)" : ""
                log(SolverLogLine("solver.cpp:489", "    Test net output #\(k): \(name) = \(CaffeNumber.format(mean))\(lossText)"))
                result.outputs.append(.init(name: name, value: mean, lossWeight: weight))
                k += 1
            }
        }
        return result
    }

    /// `Solver::TestDetection`: DetectionEvaluate rows of every batch, then AP per class and
    /// mAP over every class that had a ground-truth count row.
    private func testDetection(_ index: Int) throws -> TestResult? {
        log(SolverLogLine("solver.cpp:498", "Iteration \(iteration), Testing net (#\(index))"))
        let testNet = testNets[index]
        try shareTrainedLayers(into: testNet)
        let version = try APVersion(caffeName: parameter.apVersion)
        guard let evaluation = try DetectionTest.run(
            net: testNet, iterations: Int(parameter.testIter[index]), apVersion: version,
            shouldContinue: { try self.pollDuringTest() },
            beforeForward: { try self.beforeTestForward?($0, index, $1) })
        else {
            log(SolverLogLine("solver.cpp:535", "Test interrupted."))
            return nil
        }
        var result = TestResult(netIndex: index, iteration: iteration, outputs: [], detection: [], loss: nil)
        if parameter.testComputeLoss {
            result.loss = evaluation.loss
            log(SolverLogLine("solver.cpp:541", "Test loss: \(CaffeNumber.format(evaluation.loss))"))
        }
        for (j, score) in evaluation.scores {
            let name = testNet.outputBlobNames[j]
            for line in score.logLines(outputIndex: j, outputName: name, showPerClassResult: parameter.showPerClassResult) {
                let level: SolverLogLine.Level = line.hasPrefix("Missing") ? .warning : .info
                log(SolverLogLine(level, line.hasPrefix("    Test") ? "solver.cpp:584" : "solver.cpp:577", line))
            }
            result.detection.append(score)
            result.outputs.append(.init(name: name, value: score.mAP, lossWeight: 0))
        }
        return result
    }
}

/// A detection test pass over a net whose outputs are DetectionEvaluate rows: what the solver's
/// test does for `eval_type: "detection"`, and what `dsod score --model` runs on its own.
public enum DetectionTest {
    public struct Evaluation {
        /// (output index, its score) for every output that had detections.
        public var scores: [(Int, DetectionScore)]
        /// The mean weighted loss of the forwards.
        public var loss: Float
    }

    /// Runs `iterations` forwards and scores the accumulated rows; nil when `shouldContinue`
    /// says stop before the end.
    public static func run(net: Net, iterations: Int, apVersion: APVersion,
                           shouldContinue: () throws -> Bool = { true },
                           beforeForward: (Net, Int) throws -> Void = { _, _ in }) throws -> Evaluation? {
        let outputs = net.outputBlobs
        var accumulators = Array(repeating: DetectionScoreAccumulator(), count: outputs.count)
        var loss: Float = 0
        for batch in 0..<iterations {
            guard try shouldContinue() else { return nil }
            try beforeForward(net, batch)
            loss += try net.forward()
            for (j, blob) in outputs.enumerated() {
                guard blob.numAxes >= 1, blob.shape.last == 5 else {
                    throw SolverError("eval_type \"detection\" needs every test net output to be DetectionEvaluate rows of width 5; output '\(net.outputBlobNames[j])' has shape \(blob.shapeString)")
                }
                try accumulators[j].add(rows: UnsafeBufferPointer(start: blob.data, count: blob.count))
            }
        }
        var scores: [(Int, DetectionScore)] = []
        for (j, accumulator) in accumulators.enumerated() {
            if let score = try accumulator.score(apVersion: apVersion) { scores.append((j, score)) }
        }
        return Evaluation(scores: scores, loss: iterations > 0 ? loss / Float(iterations) : 0)
    }
}
