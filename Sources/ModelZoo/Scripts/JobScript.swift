/// The shell script a DSOD script writes to `jobs/.../<model>.sh` and runs: change to the Caffe
/// root, train with the solver (a score script also passes the snapshot to evaluate), log to the
/// job folder.
extension DSODJob {
    /// The job script's text.
    /// - Parameters:
    ///   - root: the folder the script ran in (`caffe_root = os.getcwd()`); the solver's and the
    ///     job's relative paths are relative to it.
    ///   - trainCommand: the scripts write `./build/tools/caffe train`.
    ///   - scoreIteration: for a score script, the iteration of the snapshot to evaluate (the
    ///     script picks the newest `<snapshot_prefix>_iter_<n>.caffemodel`).
    public func jobScript(root: String, trainCommand: String = "./build/tools/caffe train", scoreIteration: Int = 0) throws -> String {
        let split = try script.batchSplit()
        var text = "cd \(root)\n"
        text += "\(trainCommand) \\\n"
        text += "--solver=\"\(script.solverFile)\" \\\n"
        if script.score {
            text += "--weights=\"\(script.pretrainedModel(iteration: scoreIteration))\" \\\n"
        }
        if split.solverMode == "GPU" {
            let log = script.score ? "\(script.modelName)_test\(scoreIteration).log" : "\(script.modelName).log"
            text += "--gpu \(script.gpus) 2>&1 | tee \(DSODScript.path(script.jobDir, log))\n"
        } else {
            text += "2>&1 | tee \(DSODScript.path(script.jobDir, "\(script.modelName).log"))\n"
        }
        return text
    }
}

extension DSODScript {
    /// `pretrain_model` of the score scripts: `<snapshot_prefix>_iter_<n>.caffemodel`.
    public func pretrainedModel(iteration: Int) -> String { "\(snapshotPrefix)_iter_\(iteration).caffemodel" }

    /// The score scripts' snapshot search: the largest `n` among `<model_name>_iter_<n>.caffemodel`
    /// in `fileNames` (the snapshot folder's listing), or nil when there is none.
    public func newestSnapshotIteration(in fileNames: [String]) -> Int? {
        let marker = "\(modelName)_iter_"
        var newest: Int? = nil
        for name in fileNames where name.hasSuffix(".caffemodel") {
            let base = String(name.dropLast(".caffemodel".count))
            guard let range = base.range(of: marker), let iteration = Int(base[range.upperBound...]) else { continue }
            // The script's `if iter > max_iter` starting from 0 ignores iteration 0.
            if iteration > (newest ?? 0) { newest = iteration }
        }
        return newest
    }
}
