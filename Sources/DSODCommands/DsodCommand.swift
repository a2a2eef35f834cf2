import ArgumentParser

/// `dsod`: the Caffe-compatible tool. Each subcommand lives in its own file as a
/// `ParsableCommand`; its work is a function of its options so tests can call it directly.
public struct DsodCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "dsod",
        abstract: "Train, score and run DSOD and SSD-style Caffe detectors on the CPU.",
        discussion: """
            Reads and writes Caffe's formats (prototxt, .caffemodel, .solverstate, .binaryproto).

            Examples:
              dsod inspect deploy.prototxt
              dsod convert weights.caffemodel weights.prototxt
              dsod inspect --blobs weights.caffemodel
              dsod forward --model deploy.prototxt --weights W.caffemodel \\
                --input data=data.npy --out blobs/
              dsod time --model train.prototxt --iterations 10
            """,
        subcommands: DsodCommand.subcommandList
    )

    public init() {}

    /// Every `dsod` subcommand, in the order `--help` lists them.
    static let subcommandList: [any ParsableCommand.Type] = [
        DemoCommand.self,
        TrainCommand.self,
        ScoreCommand.self,
        DetectCommand.self,
        ForwardCommand.self,
        TimeCommand.self,
        InspectCommand.self,
        ConvertCommand.self,
        CreateAnnosetCommand.self,
        GetImageSizeCommand.self,
        CreateLabelmapCommand.self,
        SynthDatasetCommand.self,
        PlotCommand.self,
    ]
}
