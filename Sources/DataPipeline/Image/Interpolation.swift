/// OpenCV's interpolation modes as Caffe's `ResizeParameter.interp_mode` names them.
public enum Interpolation: Sendable, Equatable, CaseIterable {
    case linear, area, nearest, cubic, lanczos4
}

/// OpenCV's border modes used by `copyMakeBorder` in Caffe's FIT_LARGE_SIZE_AND_PAD.
public enum BorderMode: Sendable, Equatable {
    /// `BORDER_CONSTANT` with one value per channel.
    case constant([Double])
    /// `BORDER_REFLECT101` (gfedcb|abcdefgh|gfedcba).
    case reflect101
    /// `BORDER_REPLICATE` (aaaaaa|abcdefgh|hhhhhhh).
    case replicate
}

/// OpenCV's `cvRound` on doubles and floats: round half to even (SSE2 cvtsd2si in the default
/// rounding mode).
@inline(__always) func roundHalfEven(_ x: Double) -> Int { Int(x.rounded(.toNearestOrEven)) }
@inline(__always) func roundHalfEven(_ x: Float) -> Int { Int(x.rounded(.toNearestOrEven)) }

/// `saturate_cast<uchar>` of an integer.
@inline(__always) func saturateByte(_ x: Int) -> UInt8 { UInt8(clamping: x) }

/// `saturate_cast<uchar>` of a float: round half to even, then clamp.
@inline(__always) func saturateByte(_ x: Float) -> UInt8 {
    if x.isNaN { return 0 }
    if x >= 255 { return 255 }
    if x <= 0 { return 0 }
    return UInt8(clamping: roundHalfEven(x))
}

/// `saturate_cast<short>` of a float.
@inline(__always) func saturateShort(_ x: Float) -> Int32 {
    Int32(clamping: roundHalfEven(x))
}
