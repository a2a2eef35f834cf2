import ArgumentParser
import DSODCommands
import Foundation

/// Targets for the command lines: `dsod` and `dsodgen` flag parsing (arguments one per line of
/// the input; nothing is run), and `dsod inspect` / `dsod convert` run on a mutated file.
enum CommandTargets {
    static let all: [FuzzTarget] = [dsodFlags, dsodgenFlags, tools]

    static func arguments(_ bytes: [UInt8]) -> [String] {
        String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    static let dsodFlags = FuzzTarget(
        name: "dsod-flags", summary: "dsod's argument parsing and validation", isText: true, maximumLength: 2_000,
        seeds: {
            SeedCorpus.strings([
                "train\n--solver\nsolver.prototxt\n--weights\na.caffemodel,b.caffemodel\n--iterations\n10",
                "train\n--solver\ns.prototxt\n--snapshot\nx_iter_5.solverstate\n--log\nlog.txt\n--debug-info",
                "score\n--solver\nscore_solver.prototxt\n--weights\nW.caffemodel\n--json",
                "score\n--model\ntest.prototxt\n--weights\nW.caffemodel\n--iterations\n619\n--ap-version\nIntegral",
                "detect\n--model\ndeploy.prototxt\n--weights\nW.caffemodel\n--labelmap\nL.prototxt\n--threshold\n0.6\nimg.jpg",
                "forward\n--model\nnet.prototxt\n--input\ndata=data.npy\n--blobs\na,b\n--out\ndir\n--phase\nTRAIN",
                "time\n--model\ntrain.prototxt\n--iterations\n10\n--forward-only",
                "inspect\n--blobs\nW.caffemodel", "convert\n--kind\nnet\nin.prototxt\nout.caffemodel",
                "create-annoset\n--anno-type\ndetection\n--label-map-file\nlabelmap.prototxt\nroot/\nlist.txt\nout_lmdb",
                "synth-dataset\n--out\nDIR\n--train\n8\n--test\n4\n--seed\n3", "plot\nlog.txt\n--csv", "demo\n--help",
            ])
        },
        run: { bytes in
            do {
                _ = try DsodCommand.parseAsRoot(arguments(bytes))
                return .accepted
            } catch {
                let message = DsodCommand.message(for: error)
                guard !message.isEmpty else {
                    throw FuzzViolation(description: "dsod-flags: an error with an empty message: \(error)")
                }
                return .refused(message)
            }
        })

    static let dsodgenFlags = FuzzTarget(
        name: "dsodgen-flags", summary: "dsodgen's argument parsing and validation", isText: true, maximumLength: 2_000,
        seeds: {
            SeedCorpus.strings([
                "DSOD300", "DSOD300\n--phase\ntrain\n--out-dir\njobs/x", "GRP_DSOD320\n--phase\ntest",
                "DSOD300\n--out-dir\nj\n--train-command\n./build/tools/caffe train", "--help", "DSOD_tiny\n--phase\ndeploy",
            ])
        },
        run: { bytes in
            do {
                _ = try DsodgenCommand.parseAsRoot(arguments(bytes))
                return .accepted
            } catch {
                let message = DsodgenCommand.message(for: error)
                guard !message.isEmpty else {
                    throw FuzzViolation(description: "dsodgen-flags: an error with an empty message: \(error)")
                }
                return .refused(message)
            }
        })

    /// `dsod inspect FILE` and `dsod convert FILE OUT` on a mutated caffemodel or prototxt: the
    /// whole path a user's file takes (read, upgrade, summary, write). Errors must name the file.
    static let tools = FuzzTarget(
        name: "inspect-convert", summary: "dsod inspect and dsod convert on mutated files", isText: false, maximumLength: 40_000,
        seeds: {
            SeedCorpus.files("golden/formats", extensions: ["caffemodel", "prototxt"], maxBytes: 40_000, limit: 60)
        },
        run: { bytes in
            let binary = bytes.first.map { $0 < 0x20 && $0 != 0x0A && $0 != 0x09 } ?? false
            let path = Scratch.file(binary ? "fuzz_tool.caffemodel" : "fuzz_tool.prototxt", bytes)
            let output = Scratch.folder + (binary ? "/converted.prototxt" : "/converted.caffemodel")
            var outcome = FuzzOutcome.accepted
            for arguments in [["inspect", "--blobs", path], ["convert", path, output]] {
                do {
                    var command = try DsodCommand.parseAsRoot(arguments)
                    try command.run()
                } catch {
                    outcome = try Rejection.check(error, target: "inspect-convert") { _, text in text.contains(path) }
                }
            }
            return outcome
        })
}
