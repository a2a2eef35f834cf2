import CaffeProto

/// Caffe's `UpgradeNetInput` (src/caffe/util/upgrade_proto.cpp): net-level `input` with
/// `input_dim` (4 per input) or `input_shape` becomes one Input layer named "input", placed
/// first. `CaffeFiles.readNet` is meant to do this on every read; the Net applies it too so that
/// a NetParameter built in code or read another way behaves the same.
public enum LegacyNetInput {
    public static func needsUpgrade(_ net: Caffe_NetParameter) -> Bool { !net.input.isEmpty }

    public static func upgrade(_ net: Caffe_NetParameter) throws -> Caffe_NetParameter {
        guard !net.input.isEmpty else { return net }
        let hasShape = !net.inputShape.isEmpty
        let hasDim = !net.inputDim.isEmpty
        var input = Caffe_LayerParameter()
        input.name = "input"
        input.type = "Input"
        if hasShape || hasDim {
            for (i, name) in net.input.enumerated() {
                input.top.append(name)
                if hasShape {
                    guard i < net.inputShape.count else {
                        throw NetError(message: "net input '\(name)' has no input_shape (\(net.input.count) inputs, \(net.inputShape.count) input_shape)")
                    }
                    input.inputParam.shape.append(net.inputShape[i])
                } else {
                    guard net.inputDim.count >= 4 * (i + 1) else {
                        throw NetError(message: "net input '\(name)' needs 4 input_dim values (\(net.inputDim.count) given for \(net.input.count) inputs)")
                    }
                    var shape = Caffe_BlobShape()
                    shape.dim = (0..<4).map { Int64(net.inputDim[4 * i + $0]) }
                    input.inputParam.shape.append(shape)
                }
            }
        } else {
            // A net with inputs but no dims (a weights file): Caffe drops the field.
            var upgraded = net
            upgraded.input = []
            return upgraded
        }
        var upgraded = net
        upgraded.input = []
        upgraded.inputShape = []
        upgraded.inputDim = []
        upgraded.layer.insert(input, at: 0)
        return upgraded
    }
}
