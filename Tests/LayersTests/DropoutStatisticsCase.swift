import CaffeProto
import Foundation
import Runtime
import TestSupport

/// golden/layers/dropout_train_random: every top value is 0 or x·scale (scale the float
/// 1/(1-ratio)), the kept fraction is within 5 binomial std of 1 - ratio, and the backward uses
/// the forward's mask.
struct DropoutStatisticsCase {
    let goldenCase: GoldenCase
    let parameter: Caffe_NetParameter
    let registry: LayerRegistry

    func verify() throws -> GoldenOutcome {
        let statsData = try Data(contentsOf: goldenCase.url("stats.json"))
        guard let stats = try JSONSerialization.jsonObject(with: statsData) as? [String: Any],
              let scale = (stats["kept_value_scale"] as? NSNumber)?.floatValue,
              let keep = (stats["expected_kept_fraction"] as? NSNumber)?.doubleValue else {
            return .failed(["stats.json lacks kept_value_scale / expected_kept_fraction"])
        }
        let net = try Net(parameter: parameter, phase: .train, registry: registry, seed: 1701)
        guard let input = net.blob(named: "data"), let output = net.blob(named: "out") else {
            return .failed(["the net lacks the blobs data/out"])
        }
        let random = RandomSource(seed: 7)
        try input.setData((0..<input.count).map { _ in random.uniform(0.5, 1.5) })
        try net.forward()
        let x = input.dataArray(), y = output.dataArray()
        var failures: [String] = []
        var kept = 0
        for i in x.indices {
            if y[i] == 0 { continue }
            kept += 1
            if y[i] != x[i] * scale {
                failures.append("element \(i): \(y[i]) is neither 0 nor x·scale = \(x[i] * scale)")
                break
            }
        }
        let fraction = Double(kept) / Double(x.count)
        let allowed = 5 * (keep * (1 - keep) / Double(x.count)).squareRoot()
        if abs(fraction - keep) > allowed {
            failures.append("kept fraction \(fraction), expected \(keep) ± \(allowed)")
        }
        let dy = (0..<output.count).map { _ in random.uniform(-1, 1) }
        try output.setDiff(dy)
        try net.backward()
        let dx = input.diffArray()
        for i in x.indices {
            let expected: Float = y[i] == 0 ? 0 : dy[i] * scale
            if dx[i] != expected {
                failures.append("backward element \(i): \(dx[i]), expected \(expected) (the forward's mask)")
                break
            }
        }
        return failures.isEmpty ? .passed : .failed(failures)
    }
}
