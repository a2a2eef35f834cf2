import CaffeProto
import Foundation
import Runtime
import TestSupport

/// golden/layers/fillers: constant and bilinear exactly; random fillers by their statistics
/// (mean within 5 standard errors, std within 5 standard errors of the sample std, bounds,
/// sparse zero fraction within 5 binomial std, unit row sums).
struct FillersCase {
    let goldenCase: GoldenCase
    let registry: LayerRegistry

    func verify() -> GoldenOutcome {
        do {
            let net = try Net(path: goldenCase.url("net.prototxt").path, phase: goldenCase.phase, registry: registry, seed: 4242)
            var failures: [String] = []
            for (name, array) in try goldenCase.arrays(in: "exact") {
                let (layerName, index) = split(name)
                guard let layer = net.layer(named: layerName), index < layer.blobs.count else {
                    failures.append("exact/\(name): no layer blob")
                    continue
                }
                if let mismatch = goldenMismatch("exact/\(name)", shape: layer.blobs[index].shape, values: layer.blobs[index].dataArray(), golden: array, tolerance: GoldenTolerance(atol: 0, rtol: 0)) {
                    failures.append(mismatch)
                }
            }
            let statsData = try Data(contentsOf: goldenCase.url("stats.json"))
            guard let stats = try JSONSerialization.jsonObject(with: statsData) as? [String: Any],
                  let random = stats["random"] as? [String: [String: Any]] else {
                return .failed(["stats.json has no 'random' section"])
            }
            for (layerName, entry) in random.sorted(by: { $0.key < $1.key }) {
                guard let layer = net.layer(named: layerName), let blob = layer.blobs.first else {
                    failures.append("\(layerName): no such layer with a blob")
                    continue
                }
                failures += check(layerName, blob, expected: entry["expected"] as? [String: Any] ?? [:])
            }
            return failures.isEmpty ? .passed : .failed(failures)
        } catch {
            return .failed(["\(error)"])
        }
    }

    private func split(_ name: String) -> (String, Int) {
        if let dot = name.lastIndex(of: "."), let index = Int(name[name.index(after: dot)...]) {
            return (String(name[..<dot]), index)
        }
        return (name, 0)
    }

    private func check(_ name: String, _ blob: Blob, expected: [String: Any]) -> [String] {
        let values = blob.dataArray().map(Double.init)
        let n = Double(values.count)
        let mean = values.reduce(0, +) / n
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
        let std = variance.squareRoot()
        let fourth = values.reduce(0) { $0 + pow($1 - mean, 4) } / n
        var failures: [String] = []
        func number(_ key: String) -> Double? { (expected[key] as? NSNumber)?.doubleValue }
        if let expectedMean = number("mean") {
            let expectedStd = number("std") ?? std
            let allowed = 5 * max(expectedStd, 1e-12) / n.squareRoot()
            if abs(mean - expectedMean) > allowed {
                failures.append("\(name): mean \(mean), expected \(expectedMean) ± \(allowed)")
            }
        }
        if let expectedStd = number("std") {
            // Standard error of the sample std from the sample's fourth moment.
            let allowed = 5 * ((fourth - variance * variance) / n).squareRoot() / (2 * max(std, 1e-12))
            if abs(std - expectedStd) > allowed {
                failures.append("\(name): std \(std), expected \(expectedStd) ± \(allowed)")
            }
        }
        if let low = number("min_bound"), let smallest = values.min(), smallest < low {
            failures.append("\(name): minimum \(smallest) below \(low)")
        }
        if let high = number("max_bound"), let largest = values.max(), largest > high {
            failures.append("\(name): maximum \(largest) above \(high)")
        }
        if let zeroFraction = number("zero_fraction") {
            let observed = Double(values.filter { $0 == 0 }.count) / n
            let allowed = 5 * (zeroFraction * (1 - zeroFraction) / n).squareRoot()
            if abs(observed - zeroFraction) > allowed {
                failures.append("\(name): zero fraction \(observed), expected \(zeroFraction) ± \(allowed)")
            }
        }
        if let rowSum = number("row_sum"), let rowDim = (expected["row_dim"] as? NSNumber)?.intValue, rowDim > 0 {
            for row in 0..<(values.count / rowDim) {
                let sum = values[(row * rowDim)..<((row + 1) * rowDim)].reduce(0, +)
                if abs(sum - rowSum) > 1e-4 {
                    failures.append("\(name): row \(row) sums to \(sum), expected \(rowSum)")
                    break
                }
            }
        }
        return failures
    }
}
