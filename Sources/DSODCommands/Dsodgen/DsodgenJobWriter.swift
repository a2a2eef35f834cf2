import CaffeProto
import Foundation
import ModelZoo

/// What a DSOD script does on disk, with `root` as the Caffe root it runs in: the four prototxt
/// files in `save_dir`, copies of them in `job_dir`, and the job script `job_dir/<model>.sh`
/// (mode 0700). It does not start the job (the scripts' `run_soon`) or copy a `.py` file.
/// In the demo's flat layout (`synth`) both folders are `root` itself, so nothing is copied.
enum DsodgenJobWriter {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Writes the job and returns the written paths.
    static func write(job: DSODJob, root: String, trainCommand: String, snapshotIteration: Int?) throws -> [String] {
        let script = job.script
        let rootURL = URL(fileURLWithPath: root, isDirectory: true).standardizedFileURL
        func url(_ relative: String) -> URL { rootURL.appendingPathComponent(relative) }

        var scoreIteration = 0
        if script.score {
            // The score scripts stop before writing anything when there is no snapshot.
            if let snapshotIteration {
                scoreIteration = snapshotIteration
            } else {
                let folder = url(script.snapshotDir).path
                let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
                guard let newest = script.newestSnapshotIteration(in: names) else {
                    throw Failure(description: "Cannot find snapshot in \(folder): expected \(script.modelName)_iter_<n>.caffemodel "
                        + "(train first, or pass --snapshot-iter N)")
                }
                scoreIteration = newest
            }
        }

        for folder in [script.saveDir, script.jobDir, script.snapshotDir] {
            do {
                try FileManager.default.createDirectory(at: url(folder), withIntermediateDirectories: true)
            } catch {
                throw Failure(description: "cannot create \(url(folder).path): \(error.localizedDescription)")
            }
        }

        var written: [String] = []
        let files: [(DSODPhase, String)] = [
            (.train, script.trainNetFile), (.test, script.testNetFile), (.deploy, script.deployNetFile), (.solver, script.solverFile),
        ]
        for (phase, path) in files {
            let data = Data(job.text(for: phase).utf8)
            try CaffeFiles.writeAtomically(data, to: url(path).path)
            written.append(url(path).path)
            guard script.jobDir != script.saveDir else { continue }
            // shutil.copy(<file>, job_dir)
            let copy = url(script.jobDir).appendingPathComponent((path as NSString).lastPathComponent).path
            try CaffeFiles.writeAtomically(data, to: copy)
            written.append(copy)
        }

        let jobFile = url(script.jobFile).path
        let jobText = try job.jobScript(root: rootURL.path, trainCommand: trainCommand, scoreIteration: scoreIteration)
        try CaffeFiles.writeAtomically(Data(jobText.utf8), to: jobFile)
        do {
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: jobFile)
        } catch {
            throw Failure(description: "cannot make \(jobFile) executable: \(error.localizedDescription)")
        }
        written.append(jobFile)
        return written
    }
}
