import Foundation

/// How a location prediction is expressed relative to its prior (`PriorBoxParameter.CodeType`,
/// with Caffe's enum numbers).
public enum BoxCodeType: Int, Sendable, CaseIterable {
    /// Corner offsets: `xmin = prior.xmin + var0 * loc0`, ...
    case corner = 1
    /// Centre offsets scaled by the prior size, log-scaled width and height (SSD's default).
    case centerSize = 2
    /// Corner offsets scaled by the prior width and height.
    case cornerSize = 3
}

/// `EncodeBBox` / `DecodeBBox` of bbox_util.cpp, in Caffe's float arithmetic (`log`/`exp` are
/// the float functions; the centre and half-size steps go through double as Caffe's `/ 2.`).
///
/// With `varianceEncodedInTarget` the prior variances are not applied (the network is expected
/// to have learned targets that already include them); otherwise each coordinate is divided
/// (encode) or multiplied (decode) by its variance.
public struct BoxCoder: Equatable, Sendable {
    public var codeType: BoxCodeType
    public var varianceEncodedInTarget: Bool

    public init(codeType: BoxCodeType, varianceEncodedInTarget: Bool = false) {
        self.codeType = codeType
        self.varianceEncodedInTarget = varianceEncodedInTarget
    }

    /// `EncodeBBox`: the regression target of `box` for `prior`. Throws where Caffe's CHECKs
    /// abort: a prior (CENTER_SIZE, CORNER_SIZE) or box (CENTER_SIZE) without positive width
    /// and height, or a non-positive variance (CORNER, CORNER_SIZE with variances). CENTER_SIZE
    /// does not check the variances (as in Caffe; a zero variance gives infinities).
    public func encode(_ box: NormalizedBox, prior: NormalizedBox, variance: SIMD4<Float>) throws -> NormalizedBox {
        var out = NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0, label: 0)
        switch codeType {
        case .corner:
            if varianceEncodedInTarget {
                out.xmin = box.xmin - prior.xmin
                out.ymin = box.ymin - prior.ymin
                out.xmax = box.xmax - prior.xmax
                out.ymax = box.ymax - prior.ymax
            } else {
                try Self.checkPositive(variance, "EncodeBBox")
                out.xmin = (box.xmin - prior.xmin) / variance[0]
                out.ymin = (box.ymin - prior.ymin) / variance[1]
                out.xmax = (box.xmax - prior.xmax) / variance[2]
                out.ymax = (box.ymax - prior.ymax) / variance[3]
            }
        case .centerSize:
            let (pw, ph) = try Self.priorSize(prior, "EncodeBBox")
            let pcx = Self.center(prior.xmin, prior.xmax), pcy = Self.center(prior.ymin, prior.ymax)
            let bw = box.xmax - box.xmin
            guard bw > 0 else { throw DetectionError("EncodeBBox: ground truth box width is \(bw), expected > 0 for CENTER_SIZE") }
            let bh = box.ymax - box.ymin
            guard bh > 0 else { throw DetectionError("EncodeBBox: ground truth box height is \(bh), expected > 0 for CENTER_SIZE") }
            let bcx = Self.center(box.xmin, box.xmax), bcy = Self.center(box.ymin, box.ymax)
            if varianceEncodedInTarget {
                out.xmin = (bcx - pcx) / pw
                out.ymin = (bcy - pcy) / ph
                out.xmax = log(bw / pw)
                out.ymax = log(bh / ph)
            } else {
                out.xmin = (bcx - pcx) / pw / variance[0]
                out.ymin = (bcy - pcy) / ph / variance[1]
                out.xmax = log(bw / pw) / variance[2]
                out.ymax = log(bh / ph) / variance[3]
            }
        case .cornerSize:
            let (pw, ph) = try Self.priorSize(prior, "EncodeBBox")
            if varianceEncodedInTarget {
                out.xmin = (box.xmin - prior.xmin) / pw
                out.ymin = (box.ymin - prior.ymin) / ph
                out.xmax = (box.xmax - prior.xmax) / pw
                out.ymax = (box.ymax - prior.ymax) / ph
            } else {
                try Self.checkPositive(variance, "EncodeBBox")
                out.xmin = (box.xmin - prior.xmin) / pw / variance[0]
                out.ymin = (box.ymin - prior.ymin) / ph / variance[1]
                out.xmax = (box.xmax - prior.xmax) / pw / variance[2]
                out.ymax = (box.ymax - prior.ymax) / ph / variance[3]
            }
        }
        return out
    }

    /// `DecodeBBox`: the box that `loc` predicts for `prior`, with `size` set to its normalized
    /// area (0 when inverted) and, with `clip`, clipped to `[0, 1]`. Throws where Caffe's CHECKs
    /// abort: a prior without positive width and height (CENTER_SIZE, CORNER_SIZE).
    @inlinable
    public func decode(_ loc: NormalizedBox, prior: NormalizedBox, variance: SIMD4<Float>, clip: Bool = false) throws -> NormalizedBox {
        var out = NormalizedBox(xmin: 0, ymin: 0, xmax: 0, ymax: 0, label: 0)
        switch codeType {
        case .corner:
            if varianceEncodedInTarget {
                out.xmin = prior.xmin + loc.xmin
                out.ymin = prior.ymin + loc.ymin
                out.xmax = prior.xmax + loc.xmax
                out.ymax = prior.ymax + loc.ymax
            } else {
                out.xmin = prior.xmin + variance[0] * loc.xmin
                out.ymin = prior.ymin + variance[1] * loc.ymin
                out.xmax = prior.xmax + variance[2] * loc.xmax
                out.ymax = prior.ymax + variance[3] * loc.ymax
            }
        case .centerSize:
            let (pw, ph) = try Self.priorSize(prior, "DecodeBBox")
            let pcx = Self.center(prior.xmin, prior.xmax), pcy = Self.center(prior.ymin, prior.ymax)
            let cx: Float, cy: Float, w: Float, h: Float
            if varianceEncodedInTarget {
                cx = loc.xmin * pw + pcx
                cy = loc.ymin * ph + pcy
                w = exp(loc.xmax) * pw
                h = exp(loc.ymax) * ph
            } else {
                cx = variance[0] * loc.xmin * pw + pcx
                cy = variance[1] * loc.ymin * ph + pcy
                w = exp(variance[2] * loc.xmax) * pw
                h = exp(variance[3] * loc.ymax) * ph
            }
            // Caffe: `center - width / 2.` in double, stored as float.
            out.xmin = Float(Double(cx) - Double(w) / 2)
            out.ymin = Float(Double(cy) - Double(h) / 2)
            out.xmax = Float(Double(cx) + Double(w) / 2)
            out.ymax = Float(Double(cy) + Double(h) / 2)
        case .cornerSize:
            let (pw, ph) = try Self.priorSize(prior, "DecodeBBox")
            if varianceEncodedInTarget {
                out.xmin = prior.xmin + loc.xmin * pw
                out.ymin = prior.ymin + loc.ymin * ph
                out.xmax = prior.xmax + loc.xmax * pw
                out.ymax = prior.ymax + loc.ymax * ph
            } else {
                out.xmin = prior.xmin + variance[0] * loc.xmin * pw
                out.ymin = prior.ymin + variance[1] * loc.ymin * ph
                out.xmax = prior.xmax + variance[2] * loc.xmax * pw
                out.ymax = prior.ymax + variance[3] * loc.ymax * ph
            }
        }
        out.size = out.area(usingStoredSize: false)
        return clip ? out.clipped() : out
    }

    /// Caffe's `(a + b) / 2.`: a float sum halved in double, stored as float.
    @usableFromInline
    static func center(_ a: Float, _ b: Float) -> Float { Float(Double(a + b) / 2) }

    @usableFromInline
    static func priorSize(_ prior: NormalizedBox, _ function: String) throws -> (Float, Float) {
        let pw = prior.xmax - prior.xmin
        guard pw > 0 else { throw DetectionError("\(function): prior box width is \(pw), expected > 0 for \(codeTypeNameForErrors)") }
        let ph = prior.ymax - prior.ymin
        guard ph > 0 else { throw DetectionError("\(function): prior box height is \(ph), expected > 0 for \(codeTypeNameForErrors)") }
        return (pw, ph)
    }

    @usableFromInline
    static let codeTypeNameForErrors = "CENTER_SIZE and CORNER_SIZE coding"

    @usableFromInline
    static func checkPositive(_ variance: SIMD4<Float>, _ function: String) throws {
        for i in 0..<4 where !(variance[i] > 0) {
            throw DetectionError("\(function): prior variance \(i) is \(variance[i]), expected > 0")
        }
    }
}
