import Foundation

/// A box as the SSD fork of Caffe passes it around (its `NormalizedBBox` message): corners
/// `[xmin, ymin, xmax, ymax]`, normally as fractions of the image width and height, plus the
/// label, difficult flag and score that travel with it.
///
/// `size` mirrors the message's optional `size` field: once a Caffe function has stored a size,
/// `BBoxSize` returns it instead of recomputing, and this matters in one place — boxes scaled to
/// pixels carry the `+1` area `(w + 1) * (h + 1)` (see `scaled(height:width:)`), which
/// `jaccardOverlap(_:normalized:)` then uses. Functions that set the size in Caffe set it here.
public struct NormalizedBox: Equatable, Sendable {
    public var xmin: Float
    public var ymin: Float
    public var xmax: Float
    public var ymax: Float
    /// Class label (`-1` when unknown; Caffe's proto default is 0 but its readers always set it).
    public var label: Int
    public var difficult: Bool
    public var score: Float
    /// The cached area, when a Caffe function would have stored one; nil = compute on demand.
    public var size: Float?

    public init(xmin: Float, ymin: Float, xmax: Float, ymax: Float,
                label: Int = -1, difficult: Bool = false, score: Float = 0, size: Float? = nil) {
        self.xmin = xmin
        self.ymin = ymin
        self.xmax = xmax
        self.ymax = ymax
        self.label = label
        self.difficult = difficult
        self.score = score
        self.size = size
    }

    /// The box `[0, 0, 1, 1]` (`UnitBBox`).
    public static let unit = NormalizedBox(xmin: 0, ymin: 0, xmax: 1, ymax: 1)

    /// Width `xmax - xmin` in float, as Caffe computes it (negative for an inverted box).
    @inlinable public var width: Float { xmax - xmin }
    /// Height `ymax - ymin` in float.
    @inlinable public var height: Float { ymax - ymin }

    /// This box with `size` set to its normalized area, as Caffe's readers
    /// (`GetGroundTruth`, `GetDetectionResults`, `GetPriorBBoxes`) and `DecodeBBox` store it.
    @inlinable public var withComputedSize: NormalizedBox {
        var box = self
        box.size = box.area(normalized: true, usingStoredSize: false)
        return box
    }
}
