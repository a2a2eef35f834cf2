import ArgumentParser
import CaffeProto
import Foundation
import Layers
import Runtime

/// `dsod time`: per-layer forward and backward timing, as `caffe time`.
struct TimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "time",
        abstract: "Time a net's forward and backward passes layer by layer (caffe time).",
        discussion: """
            Builds the net (TRAIN by default, as caffe time), runs one warm-up forward, then \
            --iterations timed forward and backward passes, and prints each layer's average \
            forward and backward milliseconds and the totals. Unlike caffe time, --weights are \
            loaded when given, and the backward pass runs only the layers that need it (caffe \
            time aborts on a layer without backward, such as DetectionOutput in a TEST net). \
            Inputs hold zeros unless --input gives values.

            Examples:
              dsod time --model train.prototxt --iterations 10
              dsod time --model deploy.prototxt --phase TEST --forward-only --iterations 5
              dsod time --model deploy.prototxt --phase TEST --forward-only --by-type
            """)

    @Option(help: "The net definition (prototxt).")
    var model: String

    @Option(help: "Weights (.caffemodel) to load first.")
    var weights: String?

    @Option(name: .customLong("input"), help: "NAME=FILE.npy: values for a blob (repeatable).")
    var inputs: [String] = []

    @Option(help: "Timed iterations.")
    var iterations: Int = 50

    @Option(help: "The net phase: TRAIN or TEST.")
    var phase: String = "TRAIN"

    @Flag(help: "Time the forward pass only.")
    var forwardOnly = false

    @Flag(help: "Sum the times by layer type (where the time goes) instead of listing every layer.")
    var byType = false

    func validate() throws {
        guard ForwardCommand.parsePhase(phase) != nil else { throw ValidationError("--phase must be TEST or TRAIN, not '\(phase)'") }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1") }
        for input in inputs where ForwardCommand.parseInput(input) == nil {
            throw ValidationError("--input must be NAME=FILE.npy, got '\(input)'")
        }
    }

    /// Average milliseconds per layer and per pass.
    struct Report {
        var layers: [(name: String, type: String, forward: Double, backward: Double?)] = []
        var forward: Double = 0
        var backward: Double = 0
        var total: Double = 0
        var iterations = 0
    }

    /// The command's work: builds the net and measures it.
    func measure() throws -> Report {
        let net = try Net(path: model, phase: ForwardCommand.parsePhase(phase) ?? .train, registry: .standard)
        if let weights { try net.loadWeights(from: weights) }
        for text in inputs {
            guard let (name, path) = ForwardCommand.parseInput(text), let blob = net.blob(named: name) else {
                throw NetError(file: model, message: "--input '\(text)': the net has no such blob")
            }
            let array = try NumpyArray.read(path)
            if blob.shape != array.shape { try blob.reshape(array.shape) }
            try blob.setData(array.values)
        }
        try net.forward()
        let count = net.layers.count
        var forwardTimes = [Double](repeating: 0, count: count)
        var backwardTimes = [Double](repeating: 0, count: count)
        var report = Report()
        let clock = ContinuousClock()
        let totalStart = clock.now
        for _ in 0..<iterations {
            let forwardStart = clock.now
            for i in 0..<count {
                let start = clock.now
                try net.forwardLayer(i)
                forwardTimes[i] += milliseconds(clock.now - start)
            }
            report.forward += milliseconds(clock.now - forwardStart)
            guard !forwardOnly else { continue }
            let backwardStart = clock.now
            for i in stride(from: count - 1, through: 0, by: -1) where net.layerNeedsBackward[i] {
                let start = clock.now
                try net.backwardLayer(i)
                backwardTimes[i] += milliseconds(clock.now - start)
            }
            report.backward += milliseconds(clock.now - backwardStart)
        }
        report.total = milliseconds(clock.now - totalStart)
        let n = Double(iterations)
        report.iterations = iterations
        for i in 0..<count {
            let backward: Double? = !forwardOnly && net.layerNeedsBackward[i] ? backwardTimes[i] / n : nil
            report.layers.append((net.layerNames[i], net.layers[i].type, forwardTimes[i] / n, backward))
        }
        report.forward /= n
        report.backward /= n
        return report
    }

    private func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// caffe time's summary, one line per layer and pass.
    static func format(_ report: Report) -> String {
        let width = max(10, report.layers.map(\.name.count).max() ?? 10)
        func pad(_ s: String) -> String { s.padding(toLength: width, withPad: " ", startingAt: 0) }
        func ms(_ value: Double) -> String { String(format: "%.4f", value) }
        var lines = ["Average time per layer (\(report.iterations) iterations):"]
        for layer in report.layers {
            lines.append("\(pad(layer.name))\tforward: \(ms(layer.forward)) ms.")
            if let backward = layer.backward { lines.append("\(pad(layer.name))\tbackward: \(ms(backward)) ms.") }
        }
        lines.append("Average Forward pass: \(ms(report.forward)) ms.")
        lines.append("Average Backward pass: \(ms(report.backward)) ms.")
        lines.append("Average Forward-Backward: \(ms(report.forward + report.backward)) ms.")
        lines.append("Total Time: \(ms(report.total)) ms.")
        return lines.joined(separator: "\n")
    }

    /// Milliseconds per layer type, largest first: (type, layers, forward, backward).
    static func byType(_ report: Report) -> [(type: String, layers: Int, forward: Double, backward: Double)] {
        var totals: [String: (layers: Int, forward: Double, backward: Double)] = [:]
        for layer in report.layers {
            var entry = totals[layer.type, default: (0, 0, 0)]
            entry.layers += 1
            entry.forward += layer.forward
            entry.backward += layer.backward ?? 0
            totals[layer.type] = entry
        }
        return totals.map { (type: $0.key, layers: $0.value.layers, forward: $0.value.forward, backward: $0.value.backward) }
            .sorted { ($0.forward + $0.backward, $1.type) > ($1.forward + $1.backward, $0.type) }
    }

    /// The per-type summary: one line per layer type with its share of the pass.
    static func formatByType(_ report: Report) -> String {
        let rows = byType(report)
        let total = max(1e-9, report.forward + report.backward)
        var lines = ["Average time per layer type (\(report.iterations) iterations):",
                     "type                 layers   forward ms  backward ms   share"]
        for row in rows {
            let share = 100 * (row.forward + row.backward) / total
            lines.append(row.type.padding(toLength: 20, withPad: " ", startingAt: 0)
                + String(format: " %6d %12.3f %12.3f %6.1f%%", row.layers, row.forward, row.backward, share))
        }
        lines.append(String(format: "Average Forward pass: %.4f ms.", report.forward))
        lines.append(String(format: "Average Backward pass: %.4f ms.", report.backward))
        return lines.joined(separator: "\n")
    }

    func run() throws {
        let report = try measure()
        print(byType ? Self.formatByType(report) : Self.format(report))
    }
}
