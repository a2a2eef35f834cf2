import Foundation

/// The printed table (Markdown, so it pastes into Benchmarks/results.md).
enum BenchReport {
    static func machineLine() -> String {
        var model = "unknown CPU"
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = info.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let colon = line.firstIndex(of: ":") {
            model = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var avx512 = false
        if let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) { avx512 = info.contains(" avx512f") }
        var load = ""
        if let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) {
            load = ", load average " + text.split(separator: " ").prefix(3).joined(separator: " ")
        }
        return "Machine: \(model), \(ProcessInfo.processInfo.activeProcessorCount) cores\(avx512 ? ", AVX-512" : "")\(load)"
    }

    static func table(_ rows: [BenchRow]) -> String {
        var lines = [
            "| case | threads | min ms | median ms | images/s | peak MiB | GFLOP/s | ÷ OpenBLAS sgemm | ÷ best sgemm | OpenCV min ms | OpenCV median ms | OpenCV peak MiB | ours/OpenCV speed-up (median) |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for row in rows {
            let c = row.benchCase
            let median = row.ours.median
            // A train step counts backward as twice the forward work.
            let flops = 2 * row.ours.multiplyAdds * (c.pass == .train ? 3 : 1)
            let rate = flops / (median / 1000) / 1e9
            let ratio = row.gemm.map { String(format: "%.2f", rate / $0.openBLAS) } ?? "–"
            // The stricter ratio: against whichever sgemm (OpenBLAS's or our packed kernel) ran faster.
            let bestRatio = row.gemm.map { String(format: "%.2f", rate / max($0.openBLAS, $0.ours)) } ?? "–"
            var theirMin = "–", theirs = "–", theirPeak = "–", speedUp = "–"
            if let cv = row.openCV {
                theirMin = String(format: "%.1f", cv.minimum)
                theirs = String(format: "%.1f", cv.median)
                theirPeak = String(format: "%.0f", Double(cv.peakBytes) / 1048576)
                speedUp = String(format: "%.2f×", cv.median / median)
            } else if c.pass == .train {
                theirs = "(no training)"
            }
            lines.append("| \(c.label) | \(c.threads) | \(String(format: "%.1f", row.ours.minimum)) | \(String(format: "%.1f", median)) | \(String(format: "%.2f", Double(c.batch) / (median / 1000))) | \(String(format: "%.0f", Double(row.ours.peakBytes) / 1048576)) | \(String(format: "%.1f", rate)) | \(ratio) | \(bestRatio) | \(theirMin) | \(theirs) | \(theirPeak) | \(speedUp) |")
        }
        var gemmLines: [String] = []
        var seen = Set<Int>()
        for row in rows { if let g = row.gemm, !seen.contains(g.threads) { seen.insert(g.threads); gemmLines.append("\(g.threads) thread(s) \(String(format: "%.1f", g.openBLAS)) GFLOP/s (ours \(String(format: "%.1f", g.ours)))") } }
        lines.append("")
        lines.append("sgemm reference (OpenBLAS cblas_sgemm 2048³, same run): " + gemmLines.joined(separator: ", "))
        if let cv = rows.compactMap(\.openCV).first { lines.append("OpenCV \(cv.version) dnn (python3-opencv), DNN_BACKEND_OPENCV, cv2.setNumThreads(threads)") }
        lines.append("GFLOP/s = 2 × convolution multiply-adds of the batch / median time; a train step counts 3 × the forward work.")
        return lines.joined(separator: "\n")
    }
}
