import ArgumentParser
import CaffeProto
import Foundation

/// `dsod inspect FILE`: a summary of a net, weights, solver, mean or label-map file.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Summarise a net, weights, solver, mean or label-map file.",
        discussion: """
            For a net or weights file: the layers by type, the shape of every parameter blob and \
            the number of learnable parameters (and with BatchNorm statistics). A prototxt without \
            weights gets its parameter shapes from building the net.

            Examples:
              dsod inspect deploy.prototxt
              dsod inspect --blobs DSOD300_VOC0712.caffemodel
              dsod inspect mean.binaryproto
              dsod inspect W.caffemodel --model deploy.prototxt   # do the weights fit?

            Stored blobs must hold as many values as their shape says. With --model, the \
            weights are loaded into that net as `caffe test -model M -weights W` would: a \
            layer whose blob count or shapes differ is an error, and net layers with parameters \
            that the file has no weights for are listed as a warning (Caffe keeps their fillers \
            without a word).
            """)

    @Argument(help: "The file to summarise.")
    var file: String

    @Option(help: "What the file holds: \(CaffeFileKind.allCases.map(\.rawValue).joined(separator: ", ")) (default: by extension, else net, solver or label map).")
    var kind: CaffeFileKind?

    @Flag(help: "List every parameter blob with its shape.")
    var blobs = false

    @Option(help: "A net definition the weights file must fit (as caffe test -model).")
    var model: String?

    func run() throws {
        for line in try Self.inspect(file: file, kind: kind, showBlobs: blobs, model: model) { print(line) }
    }

    static func inspect(file: String, kind: CaffeFileKind?, showBlobs: Bool, model: String? = nil) throws -> [String] {
        let (message, loaded) = try AnyCaffeMessage.read(file, kind: kind, upgrade: true)
        var lines: [String] = (loaded?.warnings ?? []).map { "warning: \($0)" }
        if model != nil, message.kind != .net {
            throw ValidationError("--model checks weights files; \(file) holds a \(message.kind.rawValue)")
        }
        switch message {
        case .net(let net):
            try WeightChecks.checkStoredBlobs(net, file: file)
            if let model {
                lines += try WeightChecks.checkAgainstModel(net, weightsFile: file, model: model).map { "warning: \($0)" }
            }
            let summary = try NetShapes.summary(of: net, file: file)
            lines += summary.report(file: file, showBlobs: showBlobs)
        case .solver(let solver):
            lines.append("\(file): solver \"\(solver.type)\", net \(solver.hasNet ? solver.net : solver.trainNet), base_lr \(solver.baseLr), lr_policy \"\(solver.lrPolicy)\", max_iter \(solver.maxIter)")
        case .solverstate(let state):
            lines.append("\(file): solver state at iteration \(state.iter), learned net \"\(state.learnedNet)\", \(state.history.count) history blobs")
        case .blob(let blob):
            let shape = NetSummary.shape(of: blob)
            let values = blob.doubleData.isEmpty ? blob.data.map(Double.init) : blob.doubleData
            let mean = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
            lines.append("\(file): blob \(shape), \(values.count) values, mean \(mean)")
        case .labelmap(let map):
            lines.append("\(file): label map with \(map.item.count) labels")
            for item in map.item { lines.append("  \(item.label)  \(item.name)  \(item.displayName)") }
        case .datum(let datum):
            lines.append("\(file): annotated datum \(datum.datum.channels)x\(datum.datum.height)x\(datum.datum.width), \(datum.annotationGroup.count) annotation groups")
        }
        return lines
    }
}
