import Foundation

/// An RGB drawing surface for plots and annotated detections: lines, rectangles, and text in a
/// built-in 5×7 pixel font.
struct Canvas {
    let width: Int
    let height: Int
    var rgb: [UInt8]

    typealias Color = (r: UInt8, g: UInt8, b: UInt8)

    init(width: Int, height: Int, background: Color = (255, 255, 255)) {
        self.width = width
        self.height = height
        rgb = [UInt8](repeating: 0, count: width * height * 3)
        for i in 0..<(width * height) {
            rgb[i * 3] = background.r; rgb[i * 3 + 1] = background.g; rgb[i * 3 + 2] = background.b
        }
    }

    mutating func set(_ x: Int, _ y: Int, _ c: Color) {
        guard x >= 0, y >= 0, x < width, y < height else { return }
        let o = (y * width + x) * 3
        rgb[o] = c.r; rgb[o + 1] = c.g; rgb[o + 2] = c.b
    }

    mutating func fill(x: Int, y: Int, w: Int, h: Int, _ c: Color) {
        let x0 = max(0, x), x1 = min(width, x + w), y0 = max(0, y), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for yy in y0..<y1 { for xx in x0..<x1 { set(xx, yy, c) } }
    }

    /// A line `thickness` pixels wide (Bresenham, stamped).
    mutating func line(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int, _ c: Color, thickness: Int = 1) {
        // Keep absurd coordinates (an untrained net's boxes) from walking for ever.
        let limit = 4 * max(width, height)
        let x0 = min(max(x0, -limit), limit), x1 = min(max(x1, -limit), limit)
        let y0 = min(max(y0, -limit), limit), y1 = min(max(y1, -limit), limit)
        var x = x0, y = y0
        let dx = abs(x1 - x0), dy = -abs(y1 - y0)
        let sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1
        var err = dx + dy
        let r = thickness / 2
        while true {
            fill(x: x - r, y: y - r, w: thickness, h: thickness, c)
            if x == x1 && y == y1 { break }
            let e2 = 2 * err
            if e2 >= dy { err += dy; x += sx }
            if e2 <= dx { err += dx; y += sy }
        }
    }

    mutating func rectangle(x0: Int, y0: Int, x1: Int, y1: Int, _ c: Color, thickness: Int = 2) {
        line(x0, y0, x1, y0, c, thickness: thickness)
        line(x1, y0, x1, y1, c, thickness: thickness)
        line(x1, y1, x0, y1, c, thickness: thickness)
        line(x0, y1, x0, y0, c, thickness: thickness)
    }

    /// Text at (x, y) top-left, each font pixel drawn `scale`×`scale`.
    mutating func text(_ string: String, x: Int, y: Int, _ c: Color, scale: Int = 1) {
        var cx = x
        for ch in string.uppercased() {
            let glyph = BitmapFont.glyph(ch)
            for row in 0..<7 {
                for col in 0..<5 where glyph[row] & (1 << (4 - col)) != 0 {
                    fill(x: cx + col * scale, y: y + row * scale, w: scale, h: scale, c)
                }
            }
            cx += 6 * scale
        }
    }

    static func textWidth(_ string: String, scale: Int = 1) -> Int { string.count * 6 * scale }

    func png() -> Data { PNGWriter.encode(width: width, height: height, rgb: rgb) }
}
