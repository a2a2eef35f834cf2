import CaffeProto
import Foundation

/// Caffe's learning-rate policies (`SGDSolver::GetLearningRate`, src/caffe/solvers/sgd_solver.cpp),
/// with the state multistep and this fork's plateau policy carry between iterations.
public struct LearningRatePolicy: Sendable {
    /// The policy's position: saved in the solverstate as `current_step`, `minimum_loss`,
    /// `iter_last_event`.
    public var currentStep: Int = 0
    public var minimumLoss: Float = .greatestFiniteMagnitude
    public var iterLastEvent: Int = 0

    public let parameters: Caffe_SolverParameter

    public enum PolicyError: Error, CustomStringConvertible {
        case unknown(String)
        case needsField(policy: String, field: String)
        public var description: String {
            switch self {
            case .unknown(let name):
                let choices = "fixed, step, exp, inv, multistep, poly, sigmoid, plateau"
                return name.isEmpty ? "lr_policy is not set; expected one of \(choices)" : "unknown lr_policy \"\(name)\"; expected one of \(choices)"
            case .needsField(let policy, let field):
                return "lr_policy \"\(policy)\" needs \(field) to be set in the solver"
            }
        }
    }

    public init(_ parameters: Caffe_SolverParameter) throws {
        self.parameters = parameters
        let p = parameters
        switch p.lrPolicy {
        case "fixed", "exp", "inv", "multistep", "plateau": break
        case "step", "sigmoid":
            guard p.stepsize > 0 else { throw PolicyError.needsField(policy: p.lrPolicy, field: "a positive stepsize") }
        case "poly":
            guard p.maxIter > 0 else { throw PolicyError.needsField(policy: p.lrPolicy, field: "a positive max_iter") }
        default: throw PolicyError.unknown(p.lrPolicy)
        }
    }

    /// The rate for the update at `iter` (the number of updates done so far). Advances the
    /// multistep and plateau state and returns the lines Caffe logs when it does.
    public mutating func rate(iteration iter: Int, smoothedLoss: Float) -> (rate: Float, log: [String]) {
        let p = parameters
        let baseLR = Double(p.baseLr)
        let gamma = Double(p.gamma)
        var log: [String] = []
        let rate: Double
        switch p.lrPolicy {
        case "step":
            currentStep = iter / Int(p.stepsize)
            rate = baseLR * pow(gamma, Double(currentStep))
        case "exp":
            rate = baseLR * pow(gamma, Double(iter))
        case "inv":
            // Dtype(1) + gamma * iter is float arithmetic in Caffe.
            let base = Float(1) + p.gamma * Float(iter)
            rate = baseLR * pow(Double(base), Double(-p.power))
        case "multistep":
            // An `if`, not a `while`: at most one step per iteration.
            if currentStep < p.stepvalue.count && iter >= Int(p.stepvalue[currentStep]) {
                currentStep += 1
                log.append("MultiStep Status: Iteration \(iter), step = \(currentStep)")
            }
            rate = baseLR * pow(gamma, Double(currentStep))
        case "poly":
            let fraction = Float(1) - Float(iter) / Float(p.maxIter)
            rate = baseLR * pow(Double(fraction), Double(p.power))
        case "sigmoid":
            let x = -p.gamma * (Float(iter) - Float(p.stepsize))
            rate = Double(p.baseLr * (Float(1) / (Float(1) + Foundation.exp(x))))
        case "plateau":
            // Only in the SSD fork: lower the rate when the smoothed loss has not reached a new
            // minimum for plateau_winsize[current_step] iterations since the last event.
            if smoothedLoss < minimumLoss {
                minimumLoss = smoothedLoss
                iterLastEvent = iter
            }
            if currentStep < p.plateauWinsize.count {
                let next = iterLastEvent + Int(p.plateauWinsize[currentStep])
                if iter >= next {
                    currentStep += 1
                    iterLastEvent = iter
                    log.append("Plateau Status: Iteration \(iter), step = \(currentStep)")
                }
            }
            if p.display > 0 && iter % Int(p.display) == 0 && iterLastEvent > iter - Int(p.display) {
                log.append("Plateau Status: Iteration \(iter), current minimum_loss = \(CaffeNumber.format(minimumLoss))")
            }
            rate = baseLR * pow(gamma, Double(currentStep))
        default:
            rate = baseLR
        }
        return (Float(rate), log)
    }
}
