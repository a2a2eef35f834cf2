/// The classes of the synthetic dataset: simple filled shapes, each with its own hue range so
/// that a small detector trained for minutes on two cores can learn them.
public enum SyntheticShape: Int, CaseIterable, Sendable {
    case disc = 1, square, triangle, cross, ring

    /// The VOC-style class name (also the label map's `name` and `display_name`).
    public var name: String {
        switch self {
        case .disc: return "disc"
        case .square: return "square"
        case .triangle: return "triangle"
        case .cross: return "cross"
        case .ring: return "ring"
        }
    }

    /// The centre of the class's hue range, in degrees.
    var hue: Double {
        switch self {
        case .disc: return 0      // red
        case .square: return 210  // blue
        case .triangle: return 120 // green
        case .cross: return 45    // orange-yellow
        case .ring: return 285    // purple
        }
    }

    /// Whether the pixel at (x, y), relative to a shape box of size (w, h), is inside the shape.
    func contains(x: Double, y: Double, w: Double, h: Double) -> Bool {
        let u = x / w, v = y / h  // 0...1 inside the box
        switch self {
        case .disc:
            let dx = u - 0.5, dy = v - 0.5
            return dx * dx + dy * dy <= 0.25
        case .square:
            return u >= 0 && u <= 1 && v >= 0 && v <= 1
        case .triangle:
            // Apex at the top centre, base along the bottom.
            return v >= 0 && v <= 1 && abs(u - 0.5) <= v * 0.5
        case .cross:
            let inBar = abs(u - 0.5) <= 0.18 || abs(v - 0.5) <= 0.18
            return inBar && u >= 0 && u <= 1 && v >= 0 && v <= 1
        case .ring:
            let dx = u - 0.5, dy = v - 0.5
            let r2 = dx * dx + dy * dy
            return r2 <= 0.25 && r2 >= 0.09
        }
    }
}
