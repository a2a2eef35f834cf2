import CaffeProto
import Foundation
import Runtime

/// Builds a solver's train and test nets from its `net`/`net_param`/`train_net`/`test_net`
/// fields with Caffe's NetState precedence (`Solver::InitTrainNet`, `InitTestNets`).
enum SolverNets {
    /// Net files are named relative to the working directory, as in Caffe; a path that does not
    /// exist there but does next to the solver file is taken from there.
    static func resolve(_ path: String, solverFile: String?) -> String {
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) { return path }
        if let solverFile {
            let beside = URL(fileURLWithPath: solverFile).deletingLastPathComponent().appendingPathComponent(path).path
            if FileManager.default.fileExists(atPath: beside) { return beside }
        }
        return path
    }

    /// The train net and where it came from (a file, or the solver's net_param), for errors.
    static func trainNetParameter(_ p: Caffe_SolverParameter, solverFile: String?) throws -> (net: Caffe_NetParameter, source: String) {
        let count = [p.hasNet, p.hasNetParam, p.hasTrainNet, p.hasTrainNetParam].filter { $0 }.count
        guard count == 1 else {
            throw SolverError(file: solverFile, count == 0
                ? "the solver names no train net; set one of net, net_param, train_net, train_net_param"
                : "the solver names \(count) train nets; keep exactly one of net, net_param, train_net, train_net_param")
        }
        var net: Caffe_NetParameter
        let source: String
        if p.hasTrainNetParam { net = p.trainNetParam; source = "\(solverFile ?? "solver") train_net_param" }
        else if p.hasTrainNet { source = resolve(p.trainNet, solverFile: solverFile); net = try CaffeFiles.readNet(source) }
        else if p.hasNetParam { net = p.netParam; source = "\(solverFile ?? "solver") net_param" }
        else { source = resolve(p.net, solverFile: solverFile); net = try CaffeFiles.readNet(source) }
        if p.hasNetParam || p.hasTrainNetParam { try NetUpgrade.upgrade(&net, file: solverFile ?? "net_param") }
        // Solver default (TRAIN) < the net's own state < train_state.
        var state = Caffe_NetState()
        state.phase = .train
        merge(net.state, into: &state)
        if p.hasTrainState { merge(p.trainState, into: &state) }
        net.state = state
        return (net, source)
    }

    static func testNetParameters(_ p: Caffe_SolverParameter, solverFile: String?) throws -> [(net: Caffe_NetParameter, source: String)] {
        guard !(p.hasNet && p.hasNetParam) else {
            throw SolverError(file: solverFile, "both net and net_param are set; keep one")
        }
        let explicit = p.testNetParam.count + p.testNet.count
        let generic = (p.hasNet || p.hasNetParam) ? 1 : 0
        if generic == 1 {
            guard p.testIter.count >= explicit else {
                throw SolverError(file: solverFile, "test_iter must be given for each test net (\(explicit) test nets, \(p.testIter.count) test_iter)")
            }
        } else if p.testIter.count != explicit {
            throw SolverError(file: solverFile, "test_iter must be given once per test net (\(explicit) test nets, \(p.testIter.count) test_iter)")
        }
        var nets: [Caffe_NetParameter] = p.testNetParam
        var sources = p.testNetParam.indices.map { "\(solverFile ?? "solver") test_net_param[\($0)]" }
        for path in p.testNet {
            let resolved = resolve(path, solverFile: solverFile)
            nets.append(try CaffeFiles.readNet(resolved))
            sources.append(resolved)
        }
        let remaining = p.testIter.count - nets.count
        if remaining > 0 {
            let source = p.hasNetParam ? "\(solverFile ?? "solver") net_param" : resolve(p.net, solverFile: solverFile)
            let base = p.hasNetParam ? p.netParam : try CaffeFiles.readNet(source)
            nets += Array(repeating: base, count: remaining)
            sources += Array(repeating: source, count: remaining)
        }
        if !p.testState.isEmpty && p.testState.count != nets.count {
            throw SolverError(file: solverFile, "test_state must be given once per test net or not at all (\(nets.count) test nets, \(p.testState.count) test_state)")
        }
        if !nets.isEmpty && p.testInterval <= 0 {
            throw SolverError(file: solverFile, "the solver has test nets but no positive test_interval")
        }
        for i in nets.indices {
            try NetUpgrade.upgrade(&nets[i], file: solverFile ?? "test net")
            var state = Caffe_NetState()
            state.phase = .test
            merge(nets[i].state, into: &state)
            if !p.testState.isEmpty { merge(p.testState[i], into: &state) }
            nets[i].state = state
        }
        return Array(zip(nets, sources))
    }

    /// protobuf MergeFrom for NetState: set scalars override, repeated stages append.
    private static func merge(_ source: Caffe_NetState, into target: inout Caffe_NetState) {
        if source.hasPhase { target.phase = source.phase }
        if source.hasLevel { target.level = source.level }
        target.stage += source.stage
    }
}
