import Foundation

/// Draws a training log as a PNG: the smoothed training loss (left panel) and each test output,
/// e.g. detection_eval (mAP), on the right, both against iterations.
enum TrainingPlot {
    static func render(_ log: TrainingLog, title: String) -> Canvas {
        var canvas = Canvas(width: 1000, height: 420)
        canvas.text(title, x: 20, y: 10, (20, 20, 20), scale: 2)
        let loss = log.train.map { (Double($0.iteration), $0.loss) }
        panel(&canvas, x: 60, y: 50, w: 400, h: 320, series: [(loss, (200, 40, 40))], label: "TRAINING LOSS")
        let colors: [Canvas.Color] = [(30, 90, 200), (30, 150, 60), (200, 120, 0), (120, 40, 160)]
        let tests = log.testOutputNames.enumerated().map { i, name in
            (log.test.compactMap { row in row.outputs[name].map { (Double(row.iteration), $0) } }, colors[i % colors.count])
        }
        panel(&canvas, x: 560, y: 50, w: 400, h: 320, series: tests,
              label: log.testOutputNames.isEmpty ? "NO TEST OUTPUT" : log.testOutputNames.joined(separator: ", "))
        return canvas
    }

    private static func panel(_ canvas: inout Canvas, x: Int, y: Int, w: Int, h: Int,
                              series: [([(Double, Double)], Canvas.Color)], label: String) {
        let axis: Canvas.Color = (60, 60, 60)
        canvas.line(x, y + h, x + w, y + h, axis)
        canvas.line(x, y, x, y + h, axis)
        canvas.text(label, x: x, y: y + h + 28, (20, 20, 20))
        let points = series.flatMap(\.0)
        guard !points.isEmpty else { return }
        var minX = points.map(\.0).min()!, maxX = points.map(\.0).max()!
        if maxX - minX < 4 { minX = max(0, minX - 2); maxX = minX + 4 }
        var minY = min(0, points.map(\.1).min()!), maxY = points.map(\.1).max()!
        if maxY <= minY { maxY = minY + 1 }
        maxY += (maxY - minY) * 0.05
        minY = minY == 0 ? 0 : minY - (maxY - minY) * 0.05
        func px(_ v: Double) -> Int { x + Int((v - minX) / (maxX - minX) * Double(w)) }
        func py(_ v: Double) -> Int { y + h - Int((v - minY) / (maxY - minY) * Double(h)) }
        for t in 0...4 {
            let vy = minY + (maxY - minY) * Double(t) / 4
            canvas.line(x - 4, py(vy), x, py(vy), axis)
            let text = String(format: "%.3g", vy)
            canvas.text(text, x: x - 6 - Canvas.textWidth(text), y: py(vy) - 3, axis)
            let vx = minX + (maxX - minX) * Double(t) / 4
            canvas.line(px(vx), y + h, px(vx), y + h + 4, axis)
            let xt = String(Int(vx.rounded()))
            canvas.text(xt, x: px(vx) - Canvas.textWidth(xt) / 2, y: y + h + 8, axis)
        }
        for (values, color) in series {
            let sorted = values.sorted { $0.0 < $1.0 }
            for (a, b) in zip(sorted, sorted.dropFirst()) { canvas.line(px(a.0), py(a.1), px(b.0), py(b.1), color, thickness: 2) }
            for p in sorted where sorted.count < 60 { canvas.fill(x: px(p.0) - 2, y: py(p.1) - 2, w: 5, h: 5, color) }
        }
    }
}
