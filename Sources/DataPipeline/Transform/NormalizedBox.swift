/// A box in normalized image coordinates, as Caffe's `NormalizedBBox`. `size` mirrors the
/// proto's optional field: when set, Caffe's `BBoxSize` returns it instead of recomputing
/// (src/caffe/util/bbox_util.cpp), so it is carried along with the same staleness.
///
/// This is DataPipeline's own box type; the Detection module has its own geometry and the two
/// can be unified later.
public struct NormalizedBox: Equatable, Sendable {
    public var xmin: Float
    public var ymin: Float
    public var xmax: Float
    public var ymax: Float
    public var difficult: Bool
    public var size: Float?

    public init(xmin: Float, ymin: Float, xmax: Float, ymax: Float, difficult: Bool = false, size: Float? = nil) {
        self.xmin = xmin
        self.ymin = ymin
        self.xmax = xmax
        self.ymax = ymax
        self.difficult = difficult
        self.size = size
    }

    /// [0, 0, 1, 1].
    public static let unit = NormalizedBox(xmin: 0, ymin: 0, xmax: 1, ymax: 1)
}

/// One annotated object: Caffe's `Annotation`.
public struct BoxAnnotation: Equatable, Sendable {
    public var instanceID: Int32
    public var box: NormalizedBox

    public init(instanceID: Int32, box: NormalizedBox) {
        self.instanceID = instanceID
        self.box = box
    }
}

/// All objects of one label: Caffe's `AnnotationGroup`.
public struct AnnotationGroup: Equatable, Sendable {
    public var label: Int32
    public var annotations: [BoxAnnotation]

    public init(label: Int32, annotations: [BoxAnnotation]) {
        self.label = label
        self.annotations = annotations
    }
}

/// Box geometry of Caffe's bbox_util.cpp, operation for operation in float.
public enum BoxGeometry {
    /// `BBoxSize(bbox, normalized = true)`.
    public static func size(_ b: NormalizedBox, normalized: Bool = true) -> Float {
        if b.xmax < b.xmin || b.ymax < b.ymin { return 0 }
        if let size = b.size { return size }
        let width = b.xmax - b.xmin, height = b.ymax - b.ymin
        return normalized ? width * height : (width + 1) * (height + 1)
    }

    /// `ClipBBox`: clamps to [0, 1] and records the clipped size.
    public static func clip(_ b: NormalizedBox) -> NormalizedBox {
        var c = NormalizedBox(xmin: max(min(b.xmin, 1), 0), ymin: max(min(b.ymin, 1), 0),
                              xmax: max(min(b.xmax, 1), 0), ymax: max(min(b.ymax, 1), 0), difficult: b.difficult)
        c.size = size(c)
        return c
    }

    /// `IntersectBBox`: [0, 0, 0, 0] when disjoint.
    public static func intersection(_ a: NormalizedBox, _ b: NormalizedBox) -> NormalizedBox {
        if b.xmin > a.xmax || b.xmax < a.xmin || b.ymin > a.ymax || b.ymax < a.ymin {
            return NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0)
        }
        return NormalizedBox(xmin: max(a.xmin, b.xmin), ymin: max(a.ymin, b.ymin),
                             xmax: min(a.xmax, b.xmax), ymax: min(a.ymax, b.ymax))
    }

    /// `JaccardOverlap` (normalized).
    public static func jaccard(_ a: NormalizedBox, _ b: NormalizedBox) -> Float {
        let i = intersection(a, b)
        let w = i.xmax - i.xmin, h = i.ymax - i.ymin
        guard w > 0 && h > 0 else { return 0 }
        let inter = w * h
        return inter / (size(a) + size(b) - inter)
    }

    /// `BBoxCoverage(a, b)`: the part of `a` covered by `b`.
    public static func coverage(_ a: NormalizedBox, by b: NormalizedBox) -> Float {
        let inter = size(intersection(a, b))
        return inter > 0 ? inter / size(a) : 0
    }

    /// `LocateBBox`: `box` given relative to `source`, in source's parent coordinates.
    public static func locate(_ box: NormalizedBox, in source: NormalizedBox) -> NormalizedBox {
        let w = source.xmax - source.xmin, h = source.ymax - source.ymin
        var out = box
        out.xmin = source.xmin + box.xmin * w
        out.ymin = source.ymin + box.ymin * h
        out.xmax = source.xmin + box.xmax * w
        out.ymax = source.ymin + box.ymax * h
        return out
    }

    /// `ProjectBBox`: `box` in the coordinates of `source`, clipped; nil when it falls outside
    /// or has no area left.
    public static func project(_ box: NormalizedBox, onto source: NormalizedBox) -> NormalizedBox? {
        if box.xmin >= source.xmax || box.xmax <= source.xmin || box.ymin >= source.ymax || box.ymax <= source.ymin {
            return nil
        }
        let w = source.xmax - source.xmin, h = source.ymax - source.ymin
        let p = NormalizedBox(xmin: (box.xmin - source.xmin) / w, ymin: (box.ymin - source.ymin) / h,
                              xmax: (box.xmax - source.xmin) / w, ymax: (box.ymax - source.ymin) / h,
                              difficult: box.difficult)
        let clipped = clip(p)
        return size(clipped) > 0 ? clipped : nil
    }

    /// `MeetEmitConstraint`.
    public static func meetsEmitConstraint(_ box: NormalizedBox, crop: NormalizedBox, constraint: EmitConstraint) -> Bool {
        switch constraint {
        case .center:
            let cx = (box.xmin + box.xmax) / 2, cy = (box.ymin + box.ymax) / 2
            return cx >= crop.xmin && cx <= crop.xmax && cy >= crop.ymin && cy <= crop.ymax
        case .minOverlap(let overlap):
            return coverage(box, by: crop) > overlap
        }
    }
}

/// Caffe's `EmitConstraint`: which boxes survive a crop.
public enum EmitConstraint: Equatable, Sendable {
    /// Keep a box whose centre lies in the crop.
    case center
    /// Keep a box more than `overlap` of which lies in the crop.
    case minOverlap(Float)
}
