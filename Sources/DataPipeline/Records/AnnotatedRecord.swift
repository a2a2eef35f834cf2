import CaffeProto
import Foundation

/// Caffe's `AnnotatedDatum` as a plain value.
public struct AnnotatedRecord: Equatable, Sendable {
    public var datum: DatumRecord
    /// True when the record carries `type: BBOX` (Caffe's `has_type()`).
    public var hasBoxType: Bool
    public var groups: [AnnotationGroup]

    public init(datum: DatumRecord, hasBoxType: Bool = true, groups: [AnnotationGroup] = []) {
        self.datum = datum
        self.hasBoxType = hasBoxType
        self.groups = groups
    }

    public init(_ a: Caffe_AnnotatedDatum) {
        datum = DatumRecord(a.datum)
        hasBoxType = a.hasType
        groups = a.annotationGroup.map { g in
            AnnotationGroup(label: g.groupLabel, annotations: g.annotation.map { an in
                let b = an.bbox
                return BoxAnnotation(instanceID: an.instanceID, box: NormalizedBox(
                    xmin: b.xmin, ymin: b.ymin, xmax: b.xmax, ymax: b.ymax, difficult: b.difficult,
                    size: b.hasSize ? b.size : nil))
            })
        }
    }

    /// The proto form as `convert_annoset` writes it (type BBOX, groups in order).
    public var proto: Caffe_AnnotatedDatum {
        var a = Caffe_AnnotatedDatum()
        a.datum = datum.proto
        if hasBoxType { a.type = .bbox }
        a.annotationGroup = groups.map { g in
            var pg = Caffe_AnnotationGroup()
            pg.groupLabel = g.label
            pg.annotation = g.annotations.map { an in
                var pa = Caffe_Annotation()
                pa.instanceID = an.instanceID
                var b = Caffe_NormalizedBBox()
                b.xmin = an.box.xmin
                b.ymin = an.box.ymin
                b.xmax = an.box.xmax
                b.ymax = an.box.ymax
                b.difficult = an.box.difficult
                if let size = an.box.size { b.size = size }
                pa.bbox = b
                return pa
            }
            return pg
        }
        return a
    }

    /// Every box in group order, then annotation order (`GroupObjectBBoxes`).
    public var allBoxes: [NormalizedBox] { groups.flatMap { $0.annotations.map(\.box) } }
}
