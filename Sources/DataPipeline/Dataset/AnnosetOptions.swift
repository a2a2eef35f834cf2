import Foundation

/// Options of SSD's `convert_annoset` (and `scripts/create_annoset.py`), same names.
public struct AnnosetOptions: Sendable {
    public enum AnnotationKind: String, Sendable { case classification, detection }
    public enum LabelFormat: String, Sendable { case xml, json, txt }

    public var annoType: AnnotationKind = .detection
    public var labelType: LabelFormat = .xml
    public var labelMapFile: String = ""
    public var checkLabel = false
    public var minDim = 0
    public var maxDim = 0
    public var resizeHeight = 0
    public var resizeWidth = 0
    public var checkSize = false
    public var encoded = false
    /// "jpg"/"jpeg" (JPEG is the only encoder); empty with `encoded` guesses from each file name.
    public var encodeType = ""
    public var gray = false
    public var shuffle = false
    /// Seed of the shuffle (Caffe's is unseeded).
    public var shuffleSeed: UInt32 = 1701

    public init() {}
}

/// What a conversion did.
public struct AnnosetReport: Sendable {
    public var written = 0
    public var skipped: [String] = []
    public var warnings: [String] = []
}
