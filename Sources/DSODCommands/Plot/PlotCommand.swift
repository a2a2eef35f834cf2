import ArgumentParser
import CaffeProto
import Foundation

/// `dsod plot LOG`: training curves from a training log, and parse_log.py's CSV tables.
struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot",
        abstract: "Plot the loss and test outputs (mAP) of a training log.",
        discussion: """
            Reads a log written by `dsod train` (or by Caffe) and draws the smoothed training loss \
            and every test net output (detection_eval is the mAP) against iterations, as a PNG.
            --csv also writes LOG.train.csv and LOG.test.csv as Caffe's parse_log.py does.

            Example:
              dsod plot jobs/DSOD300/train.log --out curves.png --csv
            """)

    @Argument(help: "The training log.")
    var log: String

    @Option(help: "The PNG to write (default: LOG with .png).")
    var out: String?

    @Flag(help: "Also write parse_log.py's CSV tables next to the log.")
    var csv = false

    func run() throws {
        let written = try Self.plot(logPath: log, out: out, csv: csv)
        for path in written { print("Wrote \(path)") }
    }

    static func plot(logPath: String, out: String?, csv: Bool) throws -> [String] {
        let text = String(decoding: try CaffeFiles.contents(of: logPath), as: UTF8.self)
        let parsed = TrainingLog(text: text)
        guard !parsed.train.isEmpty || !parsed.test.isEmpty else {
            throw ValidationError("\(logPath): no 'Iteration N, loss = X' or test output lines; is this a training log?")
        }
        let png = out ?? ((logPath as NSString).deletingPathExtension + ".png")
        let title = (logPath as NSString).lastPathComponent
        try CaffeFiles.writeAtomically(TrainingPlot.render(parsed, title: title).png(), to: png)
        var written = [png]
        if csv {
            try CaffeFiles.writeAtomically(Data(parsed.trainCSV().utf8), to: logPath + ".train.csv")
            try CaffeFiles.writeAtomically(Data(parsed.testCSV().utf8), to: logPath + ".test.csv")
            written += [logPath + ".train.csv", logPath + ".test.csv"]
        }
        return written
    }
}
