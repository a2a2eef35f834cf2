import CaffeProto
import Foundation
import Runtime

/// One row of the benchmark table: a net, a batch size, a pass, a thread count.
struct BenchCase: Sendable, Equatable {
    enum Pass: String, Sendable { case deploy, train }

    /// DSOD300 or GRP_DSOD320 (the folder names of prototxt/<model>_pascal).
    var model: String
    var pass: Pass
    var batch: Int
    var threads: Int
    var warmup: Int
    var iterations: Int
    /// False: `NetOptimizations.none`, every layer as Caffe lays it out (no folding, no
    /// recomputed chains, no shared gradients or memory): the baseline of `--baseline`.
    var optimized = true

    var label: String {
        "\(model) \(pass == .deploy ? "deploy" : "train step") b\(batch)" + (optimized ? "" : " (unoptimized)")
    }
    var key: String { "\(model)-\(pass.rawValue)-b\(batch)-t\(threads)" + (optimized ? "" : "-baseline") }
    var optimizations: NetOptimizations {
        guard optimized else { return .none }
        return pass == .deploy ? .outputsOnly : .all
    }
    /// Side of the square input image.
    var imageSize: Int { model.hasPrefix("GRP_DSOD320") ? 320 : 300 }

    /// The command-line form the parent passes to a child process.
    var arguments: [String] {
        ["--run-case", model, pass.rawValue, String(batch), String(threads), String(warmup), String(iterations),
         optimized ? "optimized" : "baseline"]
    }

    init(model: String, pass: Pass, batch: Int, threads: Int, warmup: Int, iterations: Int, optimized: Bool = true) {
        self.optimized = optimized
        self.model = model
        self.pass = pass
        self.batch = batch
        self.threads = threads
        self.warmup = warmup
        self.iterations = iterations
    }

    init?(arguments: ArraySlice<String>) {
        let a = Array(arguments)
        guard a.count == 7, let pass = Pass(rawValue: a[1]), let batch = Int(a[2]), let threads = Int(a[3]),
              let warmup = Int(a[4]), let iterations = Int(a[5]), ["optimized", "baseline"].contains(a[6]) else { return nil }
        self.init(model: a[0], pass: pass, batch: batch, threads: threads, warmup: warmup, iterations: iterations,
                  optimized: a[6] == "optimized")
    }
}

/// What a child process measured for one case, sent back as one JSON line.
struct CaseResult: Codable, Sendable, TimedRuns {
    var key: String
    /// Milliseconds of each timed iteration.
    var milliseconds: [Double]
    /// Peak resident memory of the process (VmHWM), bytes.
    var peakBytes: Int
    /// Convolution multiply-adds of one forward pass of the whole batch.
    var multiplyAdds: Double
    /// Loss (train) or detections (deploy) of the last iteration, to show the work was real.
    var check: Double
    var note: String?

}

/// The SGEMM reference rate of a thread count.
struct GemmResult: Codable, Sendable {
    var threads: Int
    /// OpenBLAS cblas_sgemm 2048x2048x2048 with OpenBLAS's own threads, GFLOP/s (best of the runs).
    var openBLAS: Double
    /// Our packed AVX-512 GEMM (PackedGemm) on the same product with our threads (0: unavailable).
    var ours: Double
}

enum ChildOutput {
    static let prefix = "BENCH-RESULT "

    static func emit<T: Encodable>(_ value: T) throws {
        let data = try JSONEncoder().encode(value)
        print(prefix + String(decoding: data, as: UTF8.self))
    }

    static func parse<T: Decodable>(_ text: String, as type: T.Type) -> T? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix) {
            let json = line.dropFirst(prefix.count)
            if let value = try? JSONDecoder().decode(type, from: Data(json.utf8)) { return value }
        }
        return nil
    }
}

/// Per-iteration times of one timed run (ours or OpenCV's), with the statistics the table prints.
protocol TimedRuns {
    /// Milliseconds of each timed iteration, after warm-up.
    var milliseconds: [Double] { get }
}

extension TimedRuns {
    var minimum: Double { milliseconds.min() ?? .nan }
    var median: Double {
        let sorted = milliseconds.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }
}
