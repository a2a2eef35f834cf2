import CaffeProto
import COpenBLAS
import Foundation
import Kernels
import Layers
import Runtime
import Solver

/// Runs one case in this (child) process and reports its timings and peak memory.
enum CaseRunner {
    static func run(_ benchCase: BenchCase) throws -> CaseResult {
        switch benchCase.pass {
        case .deploy: return try runDeploy(benchCase)
        case .train: return try runTrain(benchCase)
        }
    }

    /// Forward passes of the deploy net (TEST) with the filled weights.
    static func runDeploy(_ c: BenchCase) throws -> CaseResult {
        // As `dsod detect` runs it: folding on, memory shared by blobs that are not outputs.
        let net = try Net(parameter: BenchNets.deployParameter(c.model), phase: .test, registry: .standard, optimizations: c.optimizations)
        try net.loadWeights(from: BenchNets.weightsPath(c.model))
        guard let data = net.blob(named: "data") else { throw BenchError("\(c.model) deploy: no 'data' blob") }
        try data.reshape([c.batch, 3, c.imageSize, c.imageSize])
        try BenchNets.fillInputs(net, batch: c.batch, seed: 3)
        try net.reshape()
        let times = try timed(warmup: c.warmup, iterations: c.iterations) { try net.forward() }
        let detections = net.blob(named: "detection_out").map { Double($0.count / 7) } ?? 0
        return CaseResult(key: c.key, milliseconds: times, peakBytes: peakResidentBytes(),
                          multiplyAdds: BenchNets.multiplyAdds(net), check: detections, note: nil)
    }

    /// Solver iterations (forward, backward, SGD update with momentum and weight decay) of the
    /// train net with Input layers in place of the data layer.
    static func runTrain(_ c: BenchCase) throws -> CaseResult {
        var solverParameter = Caffe_SolverParameter()
        solverParameter.trainNetParam = try BenchNets.trainParameter(c.model, batch: c.batch, size: c.imageSize)
        solverParameter.baseLr = 0.0001
        solverParameter.lrPolicy = "fixed"
        solverParameter.momentum = 0.9
        solverParameter.weightDecay = 0.0005
        solverParameter.display = 0
        solverParameter.maxIter = Int32(c.warmup + c.iterations)
        solverParameter.randomSeed = 1701
        solverParameter.snapshotAfterTrain = false
        let solver = try Solver(parameter: solverParameter, registry: .standard, trainOptimizations: c.optimizations)
        try solver.net.loadWeights(from: BenchNets.weightsPath(c.model))
        try BenchNets.fillInputs(solver.net, batch: c.batch, seed: 3)
        let times = try timed(warmup: c.warmup, iterations: c.iterations) { try solver.step(1) }
        return CaseResult(key: c.key, milliseconds: times, peakBytes: peakResidentBytes(),
                          multiplyAdds: BenchNets.multiplyAdds(solver.net), check: Double(solver.smoothedLoss), note: nil)
    }

    static func timed(warmup: Int, iterations: Int, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        var times: [Double] = []
        let clock = ContinuousClock()
        for _ in 0..<iterations {
            let start = clock.now
            try body()
            times.append(milliseconds(clock.now - start))
        }
        return times
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    /// The process's peak resident set, VmHWM of /proc/self/status, in bytes. (getrusage's
    /// ru_maxrss would not do: Linux keeps it across exec, so a child would inherit the parent's.)
    static func peakResidentBytes() -> Int {
        guard let file = fopen("/proc/self/status", "r") else { return 0 }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            guard text.hasPrefix("VmHWM:") else { continue }
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
            if fields.count >= 2, let kilobytes = Int(fields[1]) { return kilobytes * 1024 }
        }
        return 0
    }

    /// OpenBLAS sgemm 2048x2048x2048 with `threads` OpenBLAS threads: the machine's practical
    /// FP32 rate for the ratio column.
    static func measureGemm(threads: Int) -> GemmResult {
        let n = 2048
        let a = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let b = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        let c = UnsafeMutablePointer<Float>.allocate(capacity: n * n)
        defer { a.deallocate(); b.deallocate(); c.deallocate() }
        for i in 0..<(n * n) {
            a[i] = Float(i % 7) * 0.1
            b[i] = Float(i % 5) * 0.1
            c[i] = 0
        }
        openblas_set_num_threads(Int32(threads))
        let flops = 2 * Double(n) * Double(n) * Double(n)
        let times = timed(warmup: 1, iterations: 5) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, c, Int32(n))
        }
        openblas_set_num_threads(1)
        var ours = 0.0
        if PackedGemm.isAvailable {
            // The convolutions' kernels on the same product (A packed once, as weights are).
            let packed = PackedMatrix(rows: n, columns: n)
            packed.pack(a, rowStride: n, columnStride: 1)
            let oursTimes = timed(warmup: 1, iterations: 5) {
                PackedGemm.multiply(packed, GemmRows(base: b, stride: n), columns: n, into: c, rowStride: n)
            }
            ours = flops / ((oursTimes.min() ?? 1) / 1000) / 1e9
        }
        return GemmResult(threads: threads, openBLAS: flops / ((times.min() ?? 1) / 1000) / 1e9, ours: ours)
    }
}
