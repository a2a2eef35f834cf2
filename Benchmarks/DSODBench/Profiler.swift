import CaffeProto
import Foundation
import Layers
import Runtime
import Solver

/// Where the time goes: milliseconds per layer type, forward and backward, for one case.
enum Profiler {
    static func profile(_ c: BenchCase) throws -> String {
        let net: Net
        switch c.pass {
        case .deploy:
            net = try Net(parameter: BenchNets.deployParameter(c.model), phase: .test, registry: .standard, optimizations: c.optimizations)
            try net.blob(named: "data")?.reshape([c.batch, 3, c.imageSize, c.imageSize])
        case .train:
            net = try Net(parameter: BenchNets.trainParameter(c.model, batch: c.batch, size: c.imageSize), phase: .train, registry: .standard, optimizations: c.optimizations)
        }
        try net.loadWeights(from: BenchNets.weightsPath(c.model))
        try BenchNets.fillInputs(net, batch: c.batch, seed: 3)
        try net.reshape()
        var forward: [String: Double] = [:], backward: [String: Double] = [:]
        let clock = ContinuousClock()
        for iteration in 0..<(c.warmup + c.iterations) {
            let timedRun = iteration >= c.warmup
            for i in net.layers.indices {
                let start = clock.now
                try net.forwardLayer(i)
                if timedRun { forward[net.layers[i].type, default: 0] += CaseRunner.milliseconds(clock.now - start) }
            }
            guard c.pass == .train else { continue }
            net.clearParamDiffs()
            for i in net.layers.indices.reversed() where net.layerNeedsBackward[i] {
                let start = clock.now
                try net.backwardLayer(i)
                if timedRun { backward[net.layers[i].type, default: 0] += CaseRunner.milliseconds(clock.now - start) }
            }
        }
        let n = Double(c.iterations)
        let types = Set(forward.keys).union(backward.keys).sorted { (forward[$0, default: 0] + backward[$0, default: 0]) > (forward[$1, default: 0] + backward[$1, default: 0]) }
        var lines = ["Profile: \(c.label), \(c.threads) thread(s), ms per iteration by layer type (mean of \(c.iterations))",
                     "| layer type | forward ms | backward ms |", "|---|---:|---:|"]
        var totalForward = 0.0, totalBackward = 0.0
        for type in types {
            let f = forward[type, default: 0] / n, b = backward[type, default: 0] / n
            totalForward += f
            totalBackward += b
            lines.append("| \(type) | \(String(format: "%.1f", f)) | \(c.pass == .train ? String(format: "%.1f", b) : "–") |")
        }
        lines.append("| total | \(String(format: "%.1f", totalForward)) | \(c.pass == .train ? String(format: "%.1f", totalBackward) : "–") |")
        return lines.joined(separator: "\n")
    }
}
