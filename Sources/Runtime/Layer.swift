import CaffeProto

/// What a layer is given when it is created: its parameters come separately; the context holds
/// the net-wide things a layer may need.
public struct LayerContext {
    /// The net's seeded random source (fillers, Dropout, augmentation). Layers that run work on
    /// another thread should `fork()` it once at setup.
    public var random: RandomSource
    /// Net-wide switches (fixes of Caffe bugs, off by default).
    public var options: LayerOptions

    public init(random: RandomSource, options: LayerOptions = LayerOptions()) {
        self.random = random
        self.options = options
    }
}

/// Explicit opt-ins that change Caffe's numbers where Caffe has a bug. Everything is off by
/// default: the default behaviour is Caffe's, quirks included.
public struct LayerOptions: Sendable, Equatable {
    /// Normalize's backward as the exact gradient instead of Caffe's (which multiplies the whole
    /// projection by the channel's scale; see NormalizeLayer).
    public var exactNormalizeGradient: Bool

    public init(exactNormalizeGradient: Bool = false) {
        self.exactNormalizeGradient = exactNormalizeGradient
    }
}

/// Blob-count constraints of a layer type (Caffe's `ExactNumBottomBlobs`, `MinBottomBlobs`, ...;
/// nil means no constraint), checked by `Layer.setUp` before `layerSetUp`.
public struct BlobCounts: Sendable, Equatable {
    public var exactBottoms: Int?
    public var minBottoms: Int?
    public var maxBottoms: Int?
    public var exactTops: Int?
    public var minTops: Int?
    public var maxTops: Int?
    /// Caffe's `EqualNumBottomTopBlobs`.
    public var equalBottomsAndTops: Bool

    public init(exactBottoms: Int? = nil, minBottoms: Int? = nil, maxBottoms: Int? = nil,
                exactTops: Int? = nil, minTops: Int? = nil, maxTops: Int? = nil,
                equalBottomsAndTops: Bool = false) {
        self.exactBottoms = exactBottoms
        self.minBottoms = minBottoms
        self.maxBottoms = maxBottoms
        self.exactTops = exactTops
        self.minTops = minTops
        self.maxTops = maxTops
        self.equalBottomsAndTops = equalBottomsAndTops
    }

    /// No constraint.
    public static let any = BlobCounts()
    /// One bottom, one top (Caffe's NeuronLayer).
    public static let oneToOne = BlobCounts(exactBottoms: 1, exactTops: 1)
}

/// Base class of every layer, with Caffe's `Layer` life cycle:
///
/// 1. `init(parameter:context:)`: read parameters; copy blobs given in the LayerParameter.
/// 2. `setUp(bottom:top:)` (called once by the Net): checks `blobCounts`, calls `layerSetUp`
///    (create and fill parameter blobs), `reshape`, then sets the loss weights into the top diffs.
/// 3. `forward(bottom:top:)`: the Net calls `reshape` then `forward` every pass (so shape changes
///    of the inputs propagate), and adds `loss weight · top` of loss tops to the net's loss.
/// 4. `backward(top:propagateDown:bottom:)`: writes bottom diffs where `propagateDown[i]`,
///    accumulates parameter diffs where `parameterPropagateDown[j]`.
///
/// Subclasses override `type`, `blobCounts` and the four steps; they report problems by throwing
/// `error("...")`, which names the layer.
open class Layer {
    /// The layer's parameters. The Net has set `phase`; layers may add to it as Caffe does
    /// (LossLayer adds `loss_weight: 1`, BatchNorm adds its three `lr_mult: 0` param specs), and
    /// `toProto` writes it back.
    public var parameter: Caffe_LayerParameter
    /// The learnable (or stored) parameter blobs, in Caffe's order.
    public var blobs: [Blob] = []
    /// Whether each parameter blob gets a gradient (set by the Net from `lr_mult` and
    /// `force_backward`).
    public var parameterPropagateDown: [Bool] = []
    /// The loss weight of each top (0 for tops that are not losses).
    public private(set) var lossWeights: [Float] = []
    /// The net's random source.
    public let random: RandomSource
    /// The net's opt-in bug fixes.
    public let options: LayerOptions

    public var name: String { parameter.name }
    public var phase: Caffe_Phase { parameter.phase }

    /// Creates the layer. Blobs stored in the LayerParameter (a text net with `blobs`) become the
    /// layer's parameter blobs, and `layerSetUp` should then skip its fillers, as in Caffe.
    public required init(parameter: Caffe_LayerParameter, context: LayerContext) throws {
        self.parameter = parameter
        self.random = context.random
        self.options = context.options
        if !parameter.blobs.isEmpty {
            blobs = try parameter.blobs.enumerated().map { index, proto in
                do { return try Blob(proto: proto) } catch {
                    throw LayerError(layer: parameter.name, type: parameter.type,
                                     message: "blob \(index) given in the layer definition: \(error)")
                }
            }
            self.parameter.blobs = []
        }
    }

    /// The Caffe type string this class implements (`"Convolution"`, ...).
    open class var caffeType: String { "" }

    /// The type string of this instance.
    public var type: String { parameter.type.isEmpty ? Self.caffeType : parameter.type }

    /// Blob-count constraints checked before `layerSetUp`.
    open var blobCounts: BlobCounts { .any }

    /// Whether the Net may add anonymous tops up to the required count (Caffe's `AutoTopBlobs`).
    open var autoTopBlobs: Bool { false }

    /// Whether `force_backward` may make this bottom need a gradient (false for labels).
    open func allowForceBackward(bottomIndex: Int) -> Bool { true }

    /// One-time setup: read parameters that depend on bottom shapes, create and fill blobs.
    open func layerSetUp(bottom: [Blob], top: [Blob]) throws {}

    /// Shapes the tops (and internal buffers) from the bottoms. Called before every forward.
    open func reshape(bottom: [Blob], top: [Blob]) throws {}

    /// Computes the tops from the bottoms.
    open func forward(bottom: [Blob], top: [Blob]) throws {}

    /// Computes bottom diffs (where `propagateDown`) and parameter diffs from the top diffs.
    /// The default refuses any requested gradient.
    open func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {
        if propagateDown.contains(true) {
            throw error("has no backward pass, but a gradient was requested for one of its bottoms")
        }
    }

    /// An error naming this layer.
    public func error(_ message: String) -> LayerError {
        LayerError(layer: name, type: type, message: message)
    }

    // MARK: Driven by the Net

    /// Caffe's `Layer::SetUp`: counts, `layerSetUp`, `reshape`, loss weights.
    public final func setUp(bottom: [Blob], top: [Blob]) throws {
        try checkBlobCounts(bottom: bottom, top: top)
        try layerSetUp(bottom: bottom, top: top)
        try reshape(bottom: bottom, top: top)
        try setLossWeights(top: top)
        if parameterPropagateDown.count < blobs.count {
            parameterPropagateDown += Array(repeating: true, count: blobs.count - parameterPropagateDown.count)
        }
    }

    /// Caffe's `Layer::Forward`: reshape, forward, then the weighted loss of the loss tops.
    @discardableResult
    public final func runForward(bottom: [Blob], top: [Blob]) throws -> Float {
        try runForward(bottom: bottom, top: top, afterReshape: {})
    }

    /// `runForward` with `afterReshape` called between reshape and forward (the Net places
    /// reused memory there).
    final func runForward(bottom: [Blob], top: [Blob], afterReshape: () -> Void) throws -> Float {
        try reshape(bottom: bottom, top: top)
        afterReshape()
        try forward(bottom: bottom, top: top)
        var loss: Float = 0
        for (index, blob) in top.enumerated() where index < lossWeights.count && lossWeights[index] != 0 {
            loss += Float(BlasDot.dot(blob.count, blob.data, blob.diff))
        }
        return loss
    }

    /// The loss weight of top `index` (0 when it is not a loss).
    public func lossWeight(top index: Int) -> Float {
        index < lossWeights.count ? lossWeights[index] : 0
    }

    func checkBlobCounts(bottom: [Blob], top: [Blob]) throws {
        let counts = blobCounts
        func plural(_ n: Int, _ word: String) -> String { "\(n) \(word) blob\(n == 1 ? "" : "s")" }
        if let exact = counts.exactBottoms, bottom.count != exact {
            throw error("takes \(plural(exact, "bottom")), got \(bottom.count)")
        }
        if let minimum = counts.minBottoms, bottom.count < minimum {
            throw error("takes at least \(plural(minimum, "bottom")), got \(bottom.count)")
        }
        if let maximum = counts.maxBottoms, bottom.count > maximum {
            throw error("takes at most \(plural(maximum, "bottom")), got \(bottom.count)")
        }
        if let exact = counts.exactTops, top.count != exact {
            throw error("produces \(plural(exact, "top")), got \(top.count)")
        }
        if let minimum = counts.minTops, top.count < minimum {
            throw error("produces at least \(plural(minimum, "top")), got \(top.count)")
        }
        if let maximum = counts.maxTops, top.count > maximum {
            throw error("produces at most \(plural(maximum, "top")), got \(top.count)")
        }
        if counts.equalBottomsAndTops && bottom.count != top.count {
            throw error("needs as many tops as bottoms, got \(bottom.count) bottoms and \(top.count) tops")
        }
    }

    /// Caffe's `SetLossWeights`: one `loss_weight` per top (or none); each non-zero weight is
    /// written into the top's diff, which drives the backward pass.
    func setLossWeights(top: [Blob]) throws {
        lossWeights = Array(repeating: 0, count: top.count)
        let given = parameter.lossWeight
        guard !given.isEmpty else { return }
        guard given.count == top.count else {
            throw error("loss_weight must be given once per top or not at all (\(given.count) for \(top.count) tops)")
        }
        for (index, weight) in given.enumerated() where weight != 0 {
            lossWeights[index] = weight
            top[index].fillDiff(weight)
        }
    }

    /// The layer as a LayerParameter with its blobs (Caffe's `Layer::ToProto`).
    public func toProto(writeDiff: Bool = false) -> Caffe_LayerParameter {
        var proto = parameter
        proto.blobs = blobs.map { $0.toProto(writeDiff: writeDiff) }
        return proto
    }
}

/// Double-accumulated dot product used for losses.
enum BlasDot {
    static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Double {
        var sum = 0.0
        for i in 0..<n { sum += Double(x[i]) * Double(y[i]) }
        return sum
    }
}
