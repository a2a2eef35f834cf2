import CaffeProto
import Kernels
import Runtime

/// Caffe's solver types and the history each keeps (`SGDSolver` and its subclasses).
public enum UpdateRule: String, CaseIterable, Sendable {
    case sgd = "SGD", nesterov = "Nesterov", adaGrad = "AdaGrad", rmsProp = "RMSProp"
    case adaDelta = "AdaDelta", adam = "Adam"

    init(_ p: Caffe_SolverParameter, file: String?) throws {
        guard let rule = UpdateRule(rawValue: p.type) else {
            throw SolverError(file: file, "unknown solver type \"\(p.type)\"; expected one of \(UpdateRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        switch rule {
        case .adaGrad where p.momentum != 0:
            throw SolverError(file: file, "momentum cannot be used with AdaGrad (momentum: \(p.momentum))")
        case .rmsProp where p.momentum != 0:
            throw SolverError(file: file, "momentum cannot be used with RMSProp (momentum: \(p.momentum))")
        case .rmsProp where !(0...1).contains(p.rmsDecay):
            throw SolverError(file: file, "rms_decay must be in [0, 1], got \(p.rmsDecay)")
        default: break
        }
        self = rule
    }

    /// History blobs per learnable parameter: AdaDelta and Adam keep a second set, stored after
    /// the first (entries n..2n−1 of the solverstate; golden solvers quirk 10).
    var historySets: Int { self == .adaDelta || self == .adam ? 2 : 1 }

    /// Turns the regularized gradient of parameter `i` into the step (Caffe's ComputeUpdateValue).
    func apply(to param: Blob, history h: Blob, second h2: Blob?, rate: Float, p: Caffe_SolverParameter, iteration: Int) {
        let n = param.count
        switch self {
        case .sgd: SolverUpdates.sgd(count: n, g: param.diff, h: h.data, momentum: p.momentum, rate: rate)
        case .nesterov: SolverUpdates.nesterov(count: n, g: param.diff, h: h.data, momentum: p.momentum, rate: rate)
        case .adaGrad: SolverUpdates.adaGrad(count: n, g: param.diff, h: h.data, delta: p.delta, rate: rate)
        case .rmsProp: SolverUpdates.rmsProp(count: n, g: param.diff, h: h.data, rmsDecay: p.rmsDecay, delta: p.delta, rate: rate)
        case .adaDelta:
            if let h2 { SolverUpdates.adaDelta(count: n, g: param.diff, h: h.data, h2: h2.data, momentum: p.momentum, delta: p.delta, rate: rate) }
        case .adam:
            if let h2 { SolverUpdates.adam(count: n, g: param.diff, m: h.data, v: h2.data, beta1: p.momentum, beta2: p.momentum2, epsilon: p.delta, rate: rate, step: iteration + 1) }
        }
    }
}
