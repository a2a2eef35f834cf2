import Foundation

/// Reads a Caffe training log (ours or Caffe's, glog prefix or not) into the series
/// `tools/extra/parse_log.py` extracts: per display iteration the smoothed loss and learning
/// rate, per test the test net outputs.
struct TrainingLog: Equatable {
    struct TrainRow: Equatable { var iteration: Int; var loss: Double; var learningRate: Double? }
    struct TestRow: Equatable { var iteration: Int; var outputs: [String: Double] }

    var train: [TrainRow] = []
    var test: [TestRow] = []

    /// The names of test outputs, in order of first appearance.
    var testOutputNames: [String] {
        var seen: [String] = []
        for row in test { for name in row.outputs.keys.sorted() where !seen.contains(name) { seen.append(name) } }
        return seen
    }

    init(text: String) {
        var testIteration: Int?
        for rawLine in text.split(separator: "\n") {
            // Drop a glog prefix "I1125 07:54:05.869072 4242 solver.cpp:243] ".
            let line: Substring
            if let close = rawLine.range(of: "] ") { line = rawLine[close.upperBound...] } else { line = rawLine }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("Iteration "), let comma = trimmed.firstIndex(of: ",") {
                guard let iteration = Int(trimmed[trimmed.index(trimmed.startIndex, offsetBy: 10)..<comma]) else { continue }
                let rest = trimmed[trimmed.index(after: comma)...].trimmingCharacters(in: .whitespaces)
                if rest.hasPrefix("loss = "), let loss = Double(rest.dropFirst(7)) {
                    if let last = train.last, last.iteration == iteration { train[train.count - 1].loss = loss } else {
                        train.append(TrainRow(iteration: iteration, loss: loss, learningRate: nil))
                    }
                } else if rest.hasPrefix("lr = "), let lr = Double(rest.dropFirst(5)) {
                    if let i = train.lastIndex(where: { $0.iteration == iteration }) { train[i].learningRate = lr }
                } else if rest.hasPrefix("Testing net") {
                    testIteration = iteration
                    test.append(TestRow(iteration: iteration, outputs: [:]))
                }
            } else if trimmed.hasPrefix("Test net output #"), testIteration != nil,
                      let colon = trimmed.firstIndex(of: ":"), let equals = trimmed.range(of: " = ") {
                let name = trimmed[trimmed.index(after: colon)..<equals.lowerBound].trimmingCharacters(in: .whitespaces)
                let valueText = trimmed[equals.upperBound...].split(separator: " ").first.map(String.init) ?? ""
                if let value = Double(valueText) { test[test.count - 1].outputs[name] = value }
            }
        }
        test.removeAll { $0.outputs.isEmpty }
    }

    /// parse_log.py's two CSV tables.
    func trainCSV() -> String {
        "NumIters,LearningRate,loss\n" + train.map { "\($0.iteration),\($0.learningRate.map { String($0) } ?? ""),\($0.loss)" }.joined(separator: "\n") + "\n"
    }

    func testCSV() -> String {
        let names = testOutputNames
        return "NumIters," + names.joined(separator: ",") + "\n"
            + test.map { row in "\(row.iteration)," + names.map { row.outputs[$0].map { String($0) } ?? "" }.joined(separator: ",") }.joined(separator: "\n") + "\n"
    }
}
