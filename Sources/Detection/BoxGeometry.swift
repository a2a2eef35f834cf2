import Foundation

// Box geometry of the SSD fork (src/caffe/util/bbox_util.cpp), in Caffe's float arithmetic.
extension NormalizedBox {
    /// `BBoxSize`: 0 for an inverted box (`xmax < xmin` or `ymax < ymin`), else the stored `size`
    /// if there is one, else `w * h` (normalized) or `(w + 1) * (h + 1)` (pixels).
    @inlinable
    public func area(normalized: Bool = true, usingStoredSize: Bool = true) -> Float {
        if xmax < xmin || ymax < ymin { return 0 }
        if usingStoredSize, let size { return size }
        let w = xmax - xmin, h = ymax - ymin
        return normalized ? w * h : (w + 1) * (h + 1)
    }

    /// `IntersectBBox`: the overlapping box, or `[0, 0, 0, 0]` when the boxes are disjoint
    /// (touching edges count as overlapping). Other fields are defaults.
    @inlinable
    public func intersection(with other: NormalizedBox) -> NormalizedBox {
        if other.xmin > xmax || other.xmax < xmin || other.ymin > ymax || other.ymax < ymin {
            return NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0, label: 0)
        }
        return NormalizedBox(xmin: Swift.max(xmin, other.xmin), ymin: Swift.max(ymin, other.ymin),
                             xmax: Swift.min(xmax, other.xmax), ymax: Swift.min(ymax, other.ymax), label: 0)
    }

    /// `JaccardOverlap` (intersection over union) in float.
    ///
    /// `normalized: false` is the pixel convention: the intersection's width and height get `+1`.
    /// The two areas are `area()` of each box, i.e. their stored `size` when present — boxes
    /// scaled with `scaled(height:width:)` carry `(w + 1) * (h + 1)`. Quirk kept from Caffe: in
    /// pixel mode two disjoint boxes overlap by `1 / (size1 + size2 - 1)`, because the empty
    /// intersection `[0, 0, 0, 0]` has the `+1` size 1.
    @inlinable
    public func jaccardOverlap(_ other: NormalizedBox, normalized: Bool = true) -> Float {
        let inter = intersection(with: other)
        let iw: Float, ih: Float
        if normalized {
            iw = inter.xmax - inter.xmin
            ih = inter.ymax - inter.ymin
        } else {
            iw = inter.xmax - inter.xmin + 1
            ih = inter.ymax - inter.ymin + 1
        }
        guard iw > 0, ih > 0 else { return 0 }
        let interSize = iw * ih
        let size1 = area(), size2 = other.area()
        return interSize / (size1 + size2 - interSize)
    }

    /// `BBoxCoverage`: the fraction of this box covered by `other` (normalized areas).
    @inlinable
    public func coverage(by other: NormalizedBox) -> Float {
        let interSize = intersection(with: other).area()
        guard interSize > 0 else { return 0 }
        return interSize / area()
    }

    /// `IsCrossBoundaryBBox`: some coordinate lies outside `[0, 1]`.
    @inlinable
    public var isCrossBoundary: Bool {
        xmin < 0 || xmin > 1 || ymin < 0 || ymin > 1 || xmax < 0 || xmax > 1 || ymax < 0 || ymax > 1
    }

    /// `ClipBBox` to `[0, 1]`; `size` becomes the normalized area of the clipped box.
    /// Label, score and difficult are kept.
    @inlinable
    public func clipped() -> NormalizedBox {
        var box = self
        box.xmin = Swift.max(Swift.min(xmin, 1), 0)
        box.ymin = Swift.max(Swift.min(ymin, 1), 0)
        box.xmax = Swift.max(Swift.min(xmax, 1), 0)
        box.ymax = Swift.max(Swift.min(ymax, 1), 0)
        box.size = box.area(usingStoredSize: false)
        return box
    }

    /// `ClipBBox` to `[0, width] x [0, height]`. Quirk kept from Caffe: `size` is set to the
    /// *normalized* formula `w * h` even though the box is in pixels.
    @inlinable
    public func clipped(height: Float, width: Float) -> NormalizedBox {
        var box = self
        box.xmin = Swift.max(Swift.min(xmin, width), 0)
        box.ymin = Swift.max(Swift.min(ymin, height), 0)
        box.xmax = Swift.max(Swift.min(xmax, width), 0)
        box.ymax = Swift.max(Swift.min(ymax, height), 0)
        box.size = box.area(usingStoredSize: false)
        return box
    }

    /// `ScaleBBox`: multiplies x by `width` and y by `height`; `size` becomes the pixel area
    /// `(w + 1) * (h + 1)` when `width > 1 || height > 1`, else the normalized area.
    @inlinable
    public func scaled(height: Int, width: Int) -> NormalizedBox {
        var box = self
        box.xmin = xmin * Float(width)
        box.ymin = ymin * Float(height)
        box.xmax = xmax * Float(width)
        box.ymax = ymax * Float(height)
        let normalized = !(width > 1 || height > 1)
        box.size = box.area(normalized: normalized, usingStoredSize: false)
        return box
    }

    /// `LocateBBox`: maps this box, given in the coordinates of `source`, back into the
    /// coordinates `source` is expressed in. Keeps `difficult`; label and score are defaults.
    @inlinable
    public func located(in source: NormalizedBox) -> NormalizedBox {
        let sw = source.xmax - source.xmin, sh = source.ymax - source.ymin
        return NormalizedBox(xmin: source.xmin + xmin * sw, ymin: source.ymin + ymin * sh,
                             xmax: source.xmin + xmax * sw, ymax: source.ymin + ymax * sh,
                             label: label, difficult: difficult)
    }

    /// `ProjectBBox`: expresses this box in the coordinates of `source` (clipped to `[0, 1]`).
    /// Nil when the boxes do not overlap or the clipped projection is empty.
    @inlinable
    public func projected(onto source: NormalizedBox) -> NormalizedBox? {
        var projected = self
        return projectBox(source: source, box: self, into: &projected) ? projected : nil
    }
}

/// `ProjectBBox` with Caffe's output-parameter behaviour: `into` is left untouched when the boxes
/// do not overlap, and is written (even though false is returned) when the projection is empty.
@usableFromInline
func projectBox(source: NormalizedBox, box: NormalizedBox, into out: inout NormalizedBox) -> Bool {
    if box.xmin >= source.xmax || box.xmax <= source.xmin || box.ymin >= source.ymax || box.ymax <= source.ymin {
        return false
    }
    let sw = source.xmax - source.xmin, sh = source.ymax - source.ymin
    out.xmin = (box.xmin - source.xmin) / sw
    out.ymin = (box.ymin - source.ymin) / sh
    out.xmax = (box.xmax - source.xmin) / sw
    out.ymax = (box.ymax - source.ymin) / sh
    out.difficult = box.difficult
    out = out.clipped()
    return out.area() > 0
}

/// The two ways an annotation box may be kept when a crop is sampled (`EmitConstraint`).
public enum EmitConstraint: Equatable, Sendable {
    /// Keep the box when its centre lies inside the crop (`CENTER`, the default).
    case center
    /// Keep the box when more than `overlap` of it is covered by the crop (`MIN_OVERLAP`).
    case minOverlap(Float)

    /// `MeetEmitConstraint`.
    public func isMet(source: NormalizedBox, box: NormalizedBox) -> Bool {
        switch self {
        case .center:
            let cx = (box.xmin + box.xmax) / 2, cy = (box.ymin + box.ymax) / 2
            return cx >= source.xmin && cx <= source.xmax && cy >= source.ymin && cy <= source.ymax
        case .minOverlap(let overlap):
            return box.coverage(by: source) > overlap
        }
    }
}
