import CaffeProto
import Foundation
import Runtime

extension Solver {
    /// `<snapshot_prefix>_iter_<iter><extension>` (Solver::SnapshotFilename).
    public func snapshotPath(_ fileExtension: String, iteration: Int? = nil) -> String {
        "\(parameter.snapshotPrefix)_iter_\(iteration ?? self.iteration)\(fileExtension)"
    }

    /// Checks, before training, that snapshots can be written where the prefix says (Caffe's
    /// CheckSnapshotWritePermissions, but also when only snapshot_after_train will write).
    public func checkSnapshotFolder() throws {
        guard parameter.snapshot > 0 || parameter.snapshotAfterTrain else { return }
        if parameter.snapshot > 0 && !parameter.hasSnapshotPrefix {
            throw SolverError(file: solverFile, "snapshot is set but snapshot_prefix is not")
        }
        let probe = snapshotPath(".tempfile")
        let folder = (probe as NSString).deletingLastPathComponent
        var isDirectory: ObjCBool = false
        if !folder.isEmpty && !(FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) && isDirectory.boolValue) {
            throw SolverError(file: solverFile, "cannot write snapshots to prefix '\(parameter.snapshotPrefix)': the folder '\(folder)' does not exist")
        }
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            let reason = String(cString: strerror(errno))
            throw SolverError(file: solverFile, "cannot write snapshots to prefix '\(parameter.snapshotPrefix)': '\(folder.isEmpty ? "." : folder)' is not writable (\(reason))")
        }
        close(fd)
        unlink(probe)
        // A run killed while snapshotting leaves its temporary file behind (the snapshot it was
        // writing never replaced anything); clear those away.
        let prefixName = (parameter.snapshotPrefix as NSString).lastPathComponent
        for stale in CaffeFiles.removeStaleTemporaryFiles(in: folder, prefix: prefixName + "_iter_") {
            log(SolverLogLine(.warning, "solver.cpp:446", "Removed \(stale), a snapshot an interrupted run did not finish writing"))
        }
    }

    /// Writes `<prefix>_iter_N.caffemodel` and `.solverstate` (Solver::Snapshot), each atomically.
    @discardableResult
    public func snapshot() throws -> (model: String, state: String) {
        let model = snapshotPath(".caffemodel")
        log(SolverLogLine("solver.cpp:596", "Snapshotting to binary proto file \(model)"))
        try CaffeFiles.writeAtomically(try CaffeBinary.encode(net.toProto(writeDiff: parameter.snapshotDiff)), to: model)
        var state = Caffe_SolverState()
        state.iter = Int32(iteration)
        state.learnedNet = model
        state.currentStep = Int32(policy.currentStep)
        // Caffe leaves iter_last_event uninitialised unless the plateau policy ran; we write the
        // policy's value (0 until then).
        state.iterLastEvent = Int32(policy.iterLastEvent)
        state.minimumLoss = policy.minimumLoss
        state.history = history.map { $0.toProto() }
        let statePath = snapshotPath(".solverstate")
        log(SolverLogLine("sgd_solver.cpp:307", "Snapshotting solver state to binary proto file \(statePath)"))
        try CaffeFiles.writeAtomically(try CaffeBinary.encode(state), to: statePath)
        return (model, statePath)
    }

    /// Restores from a `.solverstate` (SGDSolver::RestoreSolverStateFromBinaryProto): the
    /// iteration, the lr policy's state, the history, and the weights from `learned_net`
    /// (a path relative to the working directory, else to the state file's folder).
    public func restore(from path: String) throws {
        guard !path.hasSuffix(".h5") else {
            throw SolverError(file: path, "HDF5 solver states are not supported")
        }
        let state = try CaffeFiles.read(path, as: Caffe_SolverState.self)
        if state.hasLearnedNet {
            var weights = state.learnedNet
            if !FileManager.default.fileExists(atPath: weights) {
                let beside = URL(fileURLWithPath: path).deletingLastPathComponent()
                    .appendingPathComponent((weights as NSString).lastPathComponent).path
                if FileManager.default.fileExists(atPath: beside) { weights = beside }
            }
            _ = try net.loadWeights(from: weights)
        }
        guard state.history.count == history.count else {
            throw SolverError(file: path, "holds \(state.history.count) history blobs; this \(parameter.type) solver for this net needs \(history.count)")
        }
        for (i, proto) in state.history.enumerated() {
            do { try history[i].load(proto) } catch {
                throw SolverError(file: path, "history blob \(i): \(error)")
            }
        }
        restoreCounters(iteration: Int(state.iter), currentStep: Int(state.currentStep),
                        iterLastEvent: Int(state.iterLastEvent), minimumLoss: state.hasMinimumLoss ? state.minimumLoss : .greatestFiniteMagnitude)
        log(SolverLogLine("sgd_solver.cpp:348", "SGDSolver: restoring history"))
    }
}
