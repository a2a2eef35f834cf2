import CaffeProto
import Detection
import Foundation
import Kernels
import Runtime

/// Caffe's `Solver`/`SGDSolver` (src/caffe/solver.cpp, src/caffe/solvers/): trains a net with the
/// solver's update rule and lr policy, tests its test nets, snapshots and restores.
public final class Solver {
    public let parameter: Caffe_SolverParameter
    public let solverFile: String?
    public let net: Net
    public let testNets: [Net]
    /// Updates done so far (Caffe's `iter_`).
    public private(set) var iteration = 0
    public private(set) var smoothedLoss: Float = 0
    public private(set) var policy: LearningRatePolicy
    let rule: UpdateRule
    /// One blob per learnable parameter (two sets for AdaDelta and Adam).
    public private(set) var history: [Blob] = []
    private var losses: [Float] = []

    /// Receives every log line (the CLI prints them glog-style).
    public var log: (SolverLogLine) -> Void = { _ in }
    /// Polled after each update and test batch (SIGINT/SIGHUP handling).
    public var requestedAction: () -> SolverAction = { .none }
    /// Called before each forward pass of the train net with the pass number (every iter_size
    /// pass and the final display pass count): a way to feed input blobs without a data layer.
    public var beforeTrainForward: ((Net, Int) throws -> Void)?
    /// Called before each forward pass of test net `i` with its batch number within the test.
    public var beforeTestForward: ((Net, Int, Int) throws -> Void)?
    /// Called after each update with the iteration count and the loss (progress bars).
    public var afterIteration: ((Int, Float) -> Void)?
    /// The results of the most recent test of each test net.
    public private(set) var lastTestResults: [TestResult] = []
    /// Caffe's `debug_info` (the solver field, or `dsod train --debug-info`): per-layer mean
    /// absolute data and diff values in the log, on display iterations of the train net and on
    /// every test pass.
    public var debugInfo: Bool {
        didSet { for testNet in testNets { testNet.debugInfoSink = debugInfo ? debugSink : nil } }
    }

    private var trainForwardCount = 0
    private var requestedEarlyExit = false

    /// Builds the solver and its nets. `registry` provides the layer types.
    /// `trainOptimizations` are the train net's (`NetOptimizations.none` runs every layer as Caffe
    /// lays it out: the benchmark's baseline); test nets always use `.outputsOnly`.
    public init(parameter: Caffe_SolverParameter, solverFile: String? = nil, registry: LayerRegistry,
                trainOptimizations: NetOptimizations = .all) throws {
        self.parameter = parameter
        self.solverFile = solverFile
        guard parameter.averageLoss >= 1 else {
            throw SolverError(file: solverFile, "average_loss must be at least 1, got \(parameter.averageLoss)")
        }
        guard parameter.iterSize >= 1 else {
            throw SolverError(file: solverFile, "iter_size must be at least 1, got \(parameter.iterSize)")
        }
        if parameter.snapshotFormat == .hdf5 {
            throw SolverError(file: solverFile, "HDF5 snapshots are not supported; use snapshot_format: BINARYPROTO")
        }
        guard ["L1", "L2"].contains(parameter.regularizationType) else {
            throw SolverError(file: solverFile, "unknown regularization_type \"\(parameter.regularizationType)\"; expected L1 or L2")
        }
        guard ["classification", "detection"].contains(parameter.evalType) else {
            throw SolverError(file: solverFile, "unknown eval_type \"\(parameter.evalType)\"; expected classification or detection")
        }
        debugInfo = parameter.debugInfo
        rule = try UpdateRule(parameter, file: solverFile)
        do { policy = try LearningRatePolicy(parameter) } catch {
            throw SolverError(file: solverFile, "\(error)")
        }
        // random_seed < 0 (the default) means "any": Caffe seeds from entropy.
        let seed = parameter.randomSeed >= 0 ? UInt64(parameter.randomSeed) : UInt64.random(in: 0...UInt64.max)
        let train = try SolverNets.trainNetParameter(parameter, solverFile: solverFile)
        // debug_info reports every top of every layer: recomputed BatchNorm chains would leave
        // theirs empty, so such a net runs every layer as Caffe does.
        net = try Self.build(train.net, source: train.source, registry: registry, seed: seed,
                             optimizations: parameter.debugInfo ? .none : trainOptimizations)
        testNets = try SolverNets.testNetParameters(parameter, solverFile: solverFile).enumerated().map { i, test in
            // Test nets are read through their outputs only: their other blobs may share memory.
            try Self.build(test.net, source: test.source, registry: registry, seed: seed &+ UInt64(i + 1), optimizations: .outputsOnly)
        }
        for blob in net.learnableParams {
            for _ in 0..<rule.historySets { history.append(try Blob(shape: blob.shape)) }
        }
        // History order: all first histories, then all second ones.
        if rule.historySets == 2 {
            let n = net.learnableParams.count
            var ordered: [Blob] = []
            for set in 0..<2 { for i in 0..<n { ordered.append(history[i * 2 + set]) } }
            history = ordered
        }
        for testNet in testNets { testNet.debugInfoSink = debugInfo ? debugSink : nil }
    }

    /// Sends a net's debug lines to the solver log.
    private var debugSink: (NetDebugLine) -> Void {
        { [unowned self] line in self.log(SolverLogLine(line.isError ? .error : .info, line.source, line.message)) }
    }

    /// Builds a net, naming its file in any error (layer errors name only the layer).
    private static func build(_ parameter: Caffe_NetParameter, source: String, registry: LayerRegistry, seed: UInt64,
                              optimizations: NetOptimizations = .all) throws -> Net {
        do {
            return try Net(parameter: parameter, registry: registry, seed: seed, optimizations: optimizations)
        } catch let error as NetError where error.file != nil {
            throw error
        } catch {
            throw SolverError(file: source, "\(error)")
        }
    }

    func setLastTestResults(_ results: [TestResult]) { lastTestResults = results }
    func markEarlyExit() { requestedEarlyExit = true }
    func restoreCounters(iteration: Int, currentStep: Int, iterLastEvent: Int, minimumLoss: Float) {
        self.iteration = iteration
        policy.currentStep = currentStep
        policy.iterLastEvent = iterLastEvent
        policy.minimumLoss = minimumLoss
    }

    // MARK: Training

    /// Trains to `max_iter` (Caffe's `Solver::Solve`): the final snapshot, the extra display
    /// forward and the final test included.
    public func solve() throws {
        log(SolverLogLine("solver.cpp:300", "Solving \(net.name)"))
        log(SolverLogLine("solver.cpp:301", "Learning Rate Policy: \(parameter.lrPolicy)"))
        requestedEarlyExit = false
        let startIter = iteration
        try step(Int(parameter.maxIter) - iteration)
        if parameter.snapshotAfterTrain && (parameter.snapshot == 0 || iteration % Int(parameter.snapshot) != 0) {
            try snapshot()
        }
        if requestedEarlyExit {
            log(SolverLogLine("solver.cpp:315", "Optimization stopped early."))
            return
        }
        // After the last update: one more forward of the train net to display the loss (it goes
        // through the smoothing window and consumes a data batch), then a final test.
        if parameter.display > 0 && iteration % Int(parameter.display) == 0 {
            let loss = try trainForward()
            updateSmoothedLoss(loss, startIter: startIter)
            log(SolverLogLine("solver.cpp:332", "Iteration \(iteration), loss = \(CaffeNumber.format(smoothedLoss))"))
        }
        if parameter.testInterval > 0 && iteration % Int(parameter.testInterval) == 0 {
            try testAll()
        }
        log(SolverLogLine("solver.cpp:337", "Optimization Done."))
    }

    /// Runs `iterations` updates (Caffe's `Solver::Step`).
    public func step(_ iterations: Int) throws {
        let startIter = iteration
        let stopIter = iteration + iterations
        losses = []
        smoothedLoss = 0
        while iteration < stopIter {
            net.clearParamDiffs()
            if parameter.testInterval > 0 && iteration % Int(parameter.testInterval) == 0
                && (iteration > 0 || parameter.testInitialization) {
                try testAll()
                if requestedEarlyExit { break }
            }
            let display = parameter.display > 0 && iteration % Int(parameter.display) == 0
            net.debugInfoSink = display && debugInfo ? debugSink : nil
            var loss: Float = 0
            for _ in 0..<Int(parameter.iterSize) {
                loss += try trainForward()
                try net.backward()
            }
            loss /= Float(parameter.iterSize)
            guard loss.isFinite else { throw nonFiniteLossError(loss) }
            updateSmoothedLoss(loss, startIter: startIter)
            if display { logTrainOutputs() }
            try applyUpdate()
            iteration += 1
            afterIteration?(iteration, loss)
            let action = requestedAction()
            if (parameter.snapshot > 0 && iteration % Int(parameter.snapshot) == 0) || action == .snapshot {
                try snapshot()
            }
            if action == .stop {
                requestedEarlyExit = true
                break
            }
        }
    }

    private func trainForward() throws -> Float {
        try beforeTrainForward?(net, trainForwardCount)
        trainForwardCount += 1
        return try net.forward()
    }

    /// `Solver::UpdateSmoothedLoss`: the mean of the last `average_loss` losses, a ring buffer
    /// indexed from the start of this `step` call.
    private func updateSmoothedLoss(_ loss: Float, startIter: Int) {
        let window = Int(parameter.averageLoss)
        if losses.count < window {
            losses.append(loss)
            let size = Float(losses.count)
            smoothedLoss = (smoothedLoss * (size - 1) + loss) / size
        } else {
            let index = (iteration - startIter) % window
            smoothedLoss += (loss - losses[index]) / Float(window)
            losses[index] = loss
        }
    }

    private func logTrainOutputs() {
        log(SolverLogLine("solver.cpp:243", "Iteration \(iteration), loss = \(CaffeNumber.format(smoothedLoss))"))
        var scoreIndex = 0
        for (j, blob) in net.outputBlobs.enumerated() {
            let blobIndex = net.outputBlobIndices[j]
            let name = net.blobNames[blobIndex]
            let weight = net.blobLossWeights[blobIndex]
            for k in 0..<blob.count {
                let value = blob.data[k]
                let lossText = weight != 0 ? " (* \(CaffeNumber.format(weight)) = \(CaffeNumber.format(weight * value)) loss)" : ""
                log(SolverLogLine("solver.cpp:259", "    Train net output #\(scoreIndex): \(name) = \(CaffeNumber.format(value))\(lossText)"))
                scoreIndex += 1
            }
        }
    }

    /// `SGDSolver::ApplyUpdate`: rate, clipping over all parameters, then per parameter
    /// normalize (1/iter_size), regularize, compute the step; then w −= step.
    private func applyUpdate() throws {
        let (rate, policyLog) = policy.rate(iteration: iteration, smoothedLoss: smoothedLoss)
        let source = parameter.lrPolicy == "plateau" ? "sgd_solver.cpp:76" : "sgd_solver.cpp:47"
        for line in policyLog { log(SolverLogLine(source, line)) }
        if parameter.display > 0 && iteration % Int(parameter.display) == 0 {
            log(SolverLogLine("sgd_solver.cpp:138", "Iteration \(iteration), lr = \(CaffeNumber.format(rate))"))
        }
        clipGradients()
        let params = net.learnableParams
        let n = params.count
        for (i, param) in params.enumerated() {
            if parameter.iterSize > 1 {
                SolverUpdates.scale(count: param.count, param.diff, by: Float(1) / Float(parameter.iterSize))
            }
            let decay = parameter.weightDecay * net.paramWeightDecayMultipliers[i]
            if decay != 0 {
                if parameter.regularizationType == "L2" {
                    SolverUpdates.decayL2(count: param.count, w: param.data, g: param.diff, decay: decay)
                } else {
                    SolverUpdates.decayL1(count: param.count, w: param.data, g: param.diff, decay: decay)
                }
            }
            let localRate = rate * net.paramLearningRateMultipliers[i]
            rule.apply(to: param, history: history[i], second: rule.historySets == 2 ? history[n + i] : nil,
                       rate: localRate, p: parameter, iteration: iteration)
        }
        if net.debugInfoSink != nil {
            // The order of Caffe's Net::Update: parameters shared from another layer, then owners.
            for i in net.params.indices where net.paramOwners[i] != nil { net.updateDebugInfo(param: i) }
            for i in net.params.indices where net.paramOwners[i] == nil { net.updateDebugInfo(param: i) }
        }
        // Net::Update: every owner parameter takes its step (shared ones see the owner's memory).
        for param in params {
            SolverUpdates.applyStep(count: param.count, w: param.data, g: param.diff)
        }
    }

    /// `SGDSolver::ClipGradients`: one L2 norm over the raw accumulated diffs of all parameters.
    private func clipGradients() {
        let clip = parameter.clipGradients
        guard clip >= 0 else { return }
        var sumsq: Float = 0
        for param in net.learnableParams { sumsq += SolverUpdates.sumOfSquares(count: param.count, param.diff) }
        let norm = sumsq.squareRoot()
        if norm > clip {
            let factor = clip / norm
            log(SolverLogLine("sgd_solver.cpp:124", "Gradient clipping: scaling down gradients (L2 norm \(CaffeNumber.format(norm)) > \(CaffeNumber.format(clip))) by scale factor \(CaffeNumber.format(factor))"))
            for param in net.learnableParams { SolverUpdates.scale(count: param.count, param.diff, by: factor) }
        }
    }

    /// Names the first layer whose top holds a NaN or infinity, for the error that stops training.
    private func nonFiniteLossError(_ loss: Float) -> SolverError {
        for (i, tops) in net.tops.enumerated() {
            for top in tops where (0..<top.count).contains(where: { !top.data[$0].isFinite }) {
                return SolverError(file: solverFile, "the loss became \(loss) at iteration \(iteration); the first layer with a non-finite output is '\(net.layerNames[i])' (\(net.layers[i].type)). Lower base_lr or check the data.")
            }
        }
        return SolverError(file: solverFile, "the loss became \(loss) at iteration \(iteration); lower base_lr or check the data")
    }
}
