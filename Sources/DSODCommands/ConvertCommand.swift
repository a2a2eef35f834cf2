import ArgumentParser
import CaffeProto
import Foundation

/// `dsod convert IN OUT`: Caffe's upgrade_net_proto_text / upgrade_net_proto_binary and the
/// text⇄binary conversion, by file extension.
struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Caffe file between text and binary, upgrading legacy nets.",
        discussion: """
            The format of each side follows its extension: .caffemodel, .solverstate, .binaryproto \
            are binary protobuf; anything else (.prototxt, .txt) is text. Legacy nets (V1 \
            'layers', input fields, BatchNorm params) and solvers (solver_type) are upgraded as \
            Caffe's upgrade tools do, unless --no-upgrade is given. The output is written \
            atomically: an error never leaves a partial file.

            Examples:
              dsod convert VGG_ILSVRC_16_layers_fc_reduced_deploy.prototxt \\
                upgraded.prototxt
              dsod convert DSOD300_VOC0712.caffemodel DSOD300_VOC0712.weights.prototxt
              dsod convert mean.binaryproto mean.prototxt
              dsod convert W.caffemodel W.prototxt --model deploy.prototxt

            A weights file whose stored blobs do not hold as many values as their shapes say \
            is refused. With --model, the weights must also load into that net (blob counts and \
            shapes); net layers the file has no weights for are listed as a warning.
            """)

    @Argument(help: "The file to read.")
    var input: String

    @Argument(help: "The file to write (text or binary by extension).")
    var output: String

    @Option(help: "What the input holds: \(CaffeFileKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: by extension, else net, solver or label map).")
    var kind: CaffeFileKind?

    @Flag(help: "Keep legacy fields as they are instead of upgrading them.")
    var noUpgrade = false

    @Option(help: "A net definition the weights file must fit (as caffe test -model).")
    var model: String?

    func run() throws {
        let report = try Self.convert(input: input, output: output, kind: kind, upgrade: !noUpgrade, model: model)
        for line in report { print(line) }
    }

    /// Converts and returns the lines to show the user.
    static func convert(input: String, output: String, kind: CaffeFileKind?, upgrade: Bool, model: String? = nil) throws -> [String] {
        guard input != output else {
            throw ValidationError("input and output are the same file; choose another output path")
        }
        let (message, loaded) = try AnyCaffeMessage.read(input, kind: kind, upgrade: upgrade)
        var modelWarnings: [String] = []
        if case .net(let net) = message {
            // Net definitions (text) must be buildable by Caffe; weights files need not be.
            if !CaffeFiles.isBinaryPath(input) && (upgrade || net.layers.isEmpty) { try NetDefinitionCheck.check(net, file: input) }
            try WeightChecks.checkStoredBlobs(net, file: input)
            if let model { modelWarnings = try WeightChecks.checkAgainstModel(net, weightsFile: input, model: model) }
        } else if model != nil {
            throw ValidationError("--model checks weights files; \(input) holds a \(message.kind.rawValue)")
        }
        try message.write(to: output)
        var lines: [String] = []
        for warning in (loaded?.warnings ?? []) + modelWarnings { lines.append("warning: \(warning)") }
        for note in loaded?.notes ?? [] { lines.append("upgraded: \(note)") }
        lines.append("Wrote \(output) (\(message.kind.rawValue), \(CaffeFiles.isBinaryPath(output) ? "binary" : "text"))")
        return lines
    }
}
