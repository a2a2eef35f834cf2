import CaffeProto
import Foundation
import Runtime

/// Caffe's finite-difference gradient check (include/caffe/test/test_gradient_check_util.hpp):
/// central differences with `step`; an analytic value a and estimate e agree when
/// |a - e| <= threshold · max(|a|, |e|, 1); inputs inside the kink band [kink - range,
/// kink + range] (by absolute value, as Caffe) are not compared. The objective is a fixed random
/// projection of every top, Σ_t Σ_i r_ti · top_ti, so one backward gives the whole gradient.
struct GradientChecker {
    var step: Float = 1e-2
    var threshold: Double = 1e-3
    var kink: Float?
    var kinkRange: Float = -1
    /// At most this many elements of each blob are probed (spread evenly).
    var maximumProbes = 400

    /// Checks the gradient of `layer` (already set up) for the given bottoms and all its
    /// parameter blobs whose `parameterPropagateDown` is set. Returns failure descriptions.
    func check(_ layer: Layer, bottom: [Blob], top: [Blob], bottomsToCheck: [Int], random: RandomSource) throws -> [String] {
        let projections: [[Float]] = top.map { blob in (0..<blob.count).map { _ in random.uniform(-1, 1) } }
        func objective() throws -> Double {
            try layer.runForward(bottom: bottom, top: top)
            var sum = 0.0
            for (t, blob) in top.enumerated() {
                for i in 0..<blob.count { sum += Double(blob.data[i]) * Double(projections[t][i]) }
            }
            return sum
        }
        _ = try objective()
        // Bottoms first: a top may share its diff with the bottom (Flatten, Reshape).
        for blob in bottom { blob.fillDiff(0) }
        for blob in layer.blobs { blob.fillDiff(0) }
        for (t, blob) in top.enumerated() { try blob.setDiff(projections[t]) }
        let propagate = bottom.indices.map { bottomsToCheck.contains($0) }
        try layer.backward(top: top, propagateDown: propagate, bottom: bottom)

        var targets: [(name: String, blob: Blob, analytic: [Float])] = []
        for index in bottomsToCheck { targets.append(("bottom \(index)", bottom[index], bottom[index].diffArray())) }
        for (index, blob) in layer.blobs.enumerated() where layer.parameterPropagateDown[index] {
            targets.append(("param \(index)", blob, blob.diffArray()))
        }
        var failures: [String] = []
        for target in targets {
            let count = target.blob.count
            let stride = max(1, count / maximumProbes)
            var i = 0
            var worst: String?
            while i < count {
                let original = target.blob.data[i]
                defer { i += stride }
                if let kink, abs(original) >= kink - kinkRange, abs(original) <= kink + kinkRange { continue }
                target.blob.data[i] = original + step
                let plus = try objective()
                target.blob.data[i] = original - step
                let minus = try objective()
                target.blob.data[i] = original
                let estimate = (plus - minus) / (2 * Double(step))
                let analytic = Double(target.analytic[i])
                let scale = max(abs(analytic), abs(estimate), 1)
                if abs(analytic - estimate) > threshold * scale, worst == nil {
                    worst = "\(layer.type) \(target.name) element \(i): analytic \(analytic), numeric \(estimate)"
                }
            }
            if let worst { failures.append(worst) }
        }
        _ = try objective()
        return failures
    }
}
