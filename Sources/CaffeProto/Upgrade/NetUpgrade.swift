/// Caffe's upgrade of old net definitions, applied on every read as `UpgradeNetAsNeeded`
/// (src/caffe/util/upgrade_proto.cpp) does, in its order: data-transform fields, V1 → V2 layers,
/// input fields → an Input layer, and BatchNorm's deprecated params. V0 nets get an error.
public enum NetUpgrade {
    /// Upgrades `net` in place. Returns one note per upgrade applied (Caffe logs the same).
    @discardableResult
    public static func upgrade(_ net: inout Caffe_NetParameter, file: String) throws -> [String] {
        var notes: [String] = []
        if net.layers.contains(where: { $0.hasLayer }) {
            throw CaffeFormatError(file: file, message: "is a V0 net (layers { layer { ... } }); V0 nets are not supported. Upgrade it with an old Caffe's upgrade_net_proto_text first")
        }
        if !net.layers.isEmpty && !net.layer.isEmpty {
            // Caffe aborts here (UpgradeV1Net's LOG(FATAL)).
            throw CaffeFormatError(file: file, message: "mixes 'layer' (current) and 'layers' (V1) definitions; write every layer in one style, e.g. layer { type: \"Convolution\" ... }")
        }
        if upgradeDataTransformation(&net) {
            notes.append("moved deprecated data-layer transformation fields into transform_param")
        }
        if !net.layers.isEmpty {
            var layers: [Caffe_LayerParameter] = []
            for (i, v1) in net.layers.enumerated() {
                layers.append(try V1LayerUpgrade.upgrade(v1, index: i, file: file))
            }
            net.layers = []
            net.layer = layers
            notes.append("upgraded \(layers.count) V1 layers (layers { type: ENUM }) to layer { type: \"Name\" }")
        }
        if !net.input.isEmpty {
            try upgradeInput(&net, file: file)
            notes.append("turned input fields into an Input layer")
        }
        // BatchNorm with exactly 3 param specs (UpgradeNetBatchNorm): Caffe clears them, even in
        // files it wrote itself (golden formats quirk 2).
        var clearedBatchNorm = false
        for i in net.layer.indices where net.layer[i].type == "BatchNorm" && net.layer[i].param.count == 3 {
            net.layer[i].param = []
            clearedBatchNorm = true
        }
        if clearedBatchNorm { notes.append("cleared the deprecated three param specs of BatchNorm layers") }
        return notes
    }

    /// `UpgradeNetDataTransformation`: scale, mean_file, crop_size and mirror of V1 DATA,
    /// IMAGE_DATA and WINDOW_DATA layers move into transform_param.
    private static func upgradeDataTransformation(_ net: inout Caffe_NetParameter) -> Bool {
        var changed = false
        for i in net.layers.indices {
            var layer = net.layers[i]
            var transform = layer.transformParam
            let moved: Bool
            switch layer.type {
            case .data: moved = moveTransformFields(from: &layer.dataParam, into: &transform)
            case .imageData: moved = moveTransformFields(from: &layer.imageDataParam, into: &transform)
            case .windowData: moved = moveTransformFields(from: &layer.windowDataParam, into: &transform)
            default: moved = false
            }
            if moved {
                layer.transformParam = transform
                net.layers[i] = layer
                changed = true
            }
        }
        return changed
    }

    /// Moves the set legacy transform fields of one data-layer parameter; true when any was set.
    private static func moveTransformFields<P: LegacyTransformFields>(from p: inout P, into t: inout Caffe_TransformationParameter) -> Bool {
        guard p.hasScale || p.hasMeanFile || p.hasCropSize || p.hasMirror else { return false }
        if p.hasScale { t.scale = p.scale; p.clearScale() }
        if p.hasMeanFile { t.meanFile = p.meanFile; p.clearMeanFile() }
        if p.hasCropSize { t.cropSize = p.cropSize; p.clearCropSize() }
        if p.hasMirror { t.mirror = p.mirror; p.clearMirror() }
        return true
    }

    /// `UpgradeNetInput`: `input` + `input_shape` (or 4 `input_dim`s per input) become one Input
    /// layer named "input", placed first. An `input` without dims (old caffemodels) is dropped.
    private static func upgradeInput(_ net: inout Caffe_NetParameter, file: String) throws {
        let hasShape = !net.inputShape.isEmpty
        let hasDim = !net.inputDim.isEmpty
        if hasShape || hasDim {
            var layer = Caffe_LayerParameter()
            layer.name = "input"
            layer.type = "Input"
            for (i, name) in net.input.enumerated() {
                layer.top.append(name)
                if hasShape {
                    guard i < net.inputShape.count else {
                        throw CaffeFormatError(file: file, message: "declares \(net.input.count) inputs but only \(net.inputShape.count) input_shape entries")
                    }
                    layer.inputParam.shape.append(net.inputShape[i])
                } else {
                    guard net.inputDim.count >= 4 * (i + 1) else {
                        throw CaffeFormatError(file: file, message: "declares \(net.input.count) inputs but \(net.inputDim.count) input_dim values; expected 4 per input")
                    }
                    var shape = Caffe_BlobShape()
                    shape.dim = net.inputDim[(4 * i)..<(4 * i + 4)].map { Int64($0) }
                    layer.inputParam.shape.append(shape)
                }
            }
            net.layer.insert(layer, at: 0)
        }
        net.input = []
        net.inputShape = []
        net.inputDim = []
    }
}

/// `UpgradeSolverAsNeeded`: the enum `solver_type` becomes the string `type`.
public enum SolverUpgrade {
    public static func upgrade(_ solver: inout Caffe_SolverParameter, file: String) throws {
        guard solver.hasSolverType else { return }
        guard !solver.hasType else {
            // Caffe CHECK-fails here.
            throw CaffeFormatError(file: file, message: "sets both solver_type (deprecated enum) and type; keep only type, e.g. type: \"SGD\"")
        }
        let names: [Caffe_SolverParameter.SolverType: String] = [
            .sgd: "SGD", .nesterov: "Nesterov", .adagrad: "AdaGrad", .rmsprop: "RMSProp", .adadelta: "AdaDelta", .adam: "Adam",
        ]
        solver.type = names[solver.solverType] ?? "SGD"
        solver.clearSolverType()
    }
}

/// The transformation fields old data layers carried in their own parameters.
protocol LegacyTransformFields {
    var scale: Float { get }
    var hasScale: Bool { get }
    mutating func clearScale()
    var meanFile: String { get }
    var hasMeanFile: Bool { get }
    mutating func clearMeanFile()
    var cropSize: UInt32 { get }
    var hasCropSize: Bool { get }
    mutating func clearCropSize()
    var mirror: Bool { get }
    var hasMirror: Bool { get }
    mutating func clearMirror()
}

extension Caffe_DataParameter: LegacyTransformFields {}
extension Caffe_ImageDataParameter: LegacyTransformFields {}
extension Caffe_WindowDataParameter: LegacyTransformFields {}
