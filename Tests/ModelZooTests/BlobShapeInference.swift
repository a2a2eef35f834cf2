import CaffeProto
import Foundation

/// Blob shapes through a generated net by the rules of each Caffe layer's `Reshape`, for the
/// layer types of DSOD's nets, with the parameter count and multiply-adds that follow from them.
/// Written from the Caffe sources independently of the runtime, so the tests do not check our
/// layers against themselves:
///
/// - Convolution (conv_layer.cpp): `(H + 2p - (d(k - 1) + 1)) / s + 1`, floored.
/// - Pooling (pooling_layer.cpp): `ceil((H + 2p - k) / s) + 1`, one less when the last window
///   would start in the padding.
/// - Concat: sizes add along `axis`, the other axes must agree. Permute, Flatten, Reshape.
/// - PriorBox (prior_box_layer.cpp): `1 x 2 x (H W P 4)`, P = ratios after de-duplication and
///   flipping, times min sizes, plus max sizes.
///
/// Learnable values: convolution weights and bias, Scale's scale and bias, Normalize's scale.
/// BatchNorm's mean, variance and factor (2C + 1) are counted apart. Multiply-adds count the
/// convolutions only, for the whole batch (one image in a deploy net).
struct BlobShapeInference {
    private(set) var shapes: [String: [Int]] = [:]
    /// Problems found (mismatched Concat inputs, unknown bottoms), as messages.
    private(set) var problems: [String] = []
    private(set) var learnableValues = 0
    private(set) var batchNormValues = 0
    private(set) var convolutionMultiplyAdds = 0
    /// Multiply-adds per convolution layer, in net order.
    private(set) var multiplyAddsByLayer: [(layer: String, count: Int)] = []

    /// Walks `net` from `inputs` (blob name → shape); data layers give their `data` top from the
    /// batch size and the resize parameter.
    init(_ net: Caffe_NetParameter, inputs: [String: [Int]] = [:]) {
        shapes = inputs
        for (name, shape) in zip(net.input, net.inputShape) { shapes[name] = shape.dim.map(Int.init) }
        for layer in net.layer { infer(layer) }
    }

    private mutating func infer(_ layer: Caffe_LayerParameter) {
        if layer.type == "AnnotatedData" || layer.type == "Data" {
            let resize = layer.transformParam.resizeParam
            shapes[layer.top[0]] = [Int(layer.dataParam.batchSize), 3, Int(resize.height), Int(resize.width)]
            return
        }
        var inputs: [[Int]] = []
        for bottom in layer.bottom {
            guard let shape = shapes[bottom] else {
                // Labels and detections have data-dependent shapes; layers reading them end here.
                if !["label", "detection_out"].contains(bottom) { problems.append("\(layer.name): unknown bottom \(bottom)") }
                return
            }
            inputs.append(shape)
        }
        guard let input = inputs.first, let output = outputShape(layer, input, inputs) else { return }
        for top in layer.top { shapes[top] = output }
    }

    private mutating func outputShape(_ layer: Caffe_LayerParameter, _ input: [Int], _ inputs: [[Int]]) -> [Int]? {
        switch layer.type {
        case "Convolution":
            let p = layer.convolutionParam
            let k = Int(p.kernelSize.first ?? p.kernelH), s = Int(p.stride.first ?? 1), pad = Int(p.pad.first ?? 0)
            let d = Int(p.dilation.first ?? 1)
            let size = { (x: Int) in (x + 2 * pad - (d * (k - 1) + 1)) / s + 1 }
            let output = [input[0], Int(p.numOutput), size(input[2]), size(input[3])]
            let weights = Int(p.numOutput) * input[1] / Int(p.group) * k * k
            learnableValues += weights + (p.biasTerm ? Int(p.numOutput) : 0)
            let multiplyAdds = output[1] * output[2] * output[3] * input[1] / Int(p.group) * k * k
            convolutionMultiplyAdds += multiplyAdds
            multiplyAddsByLayer.append((layer.name, multiplyAdds))
            return output
        case "Pooling":
            let p = layer.poolingParam
            if p.globalPooling { return [input[0], input[1], 1, 1] }
            let k = Int(p.kernelSize), s = Int(p.stride), pad = Int(p.pad)
            func size(_ x: Int) -> Int {
                var pooled = Int((Double(x + 2 * pad - k) / Double(s)).rounded(.up)) + 1
                if pad > 0 && (pooled - 1) * s >= x + pad { pooled -= 1 }
                return pooled
            }
            return [input[0], input[1], size(input[2]), size(input[3])]
        case "BatchNorm":
            batchNormValues += 2 * input[1] + 1
            return input
        case "Scale":
            learnableValues += input[1] * (layer.scaleParam.biasTerm ? 2 : 1)
            return input
        case "Normalize":
            learnableValues += layer.normParam.channelShared ? 1 : input[1]
            return input
        case "ReLU", "Dropout", "Softmax", "Sigmoid":
            return input
        case "Concat":
            let axis = Int(layer.concatParam.axis)
            var output = input
            output[axis] = inputs.map { $0[axis] }.reduce(0, +)
            for other in inputs {
                var a = other, b = input
                a[axis] = 0
                b[axis] = 0
                if a != b { problems.append("\(layer.name): Concat along \(axis) of \(inputs)") }
            }
            return output
        case "Permute":
            return layer.permuteParam.order.map { input[Int($0)] }
        case "Flatten":
            let axis = Int(layer.flattenParam.axis)
            return Array(input[..<axis]) + [input[axis...].reduce(1, *)]
        case "Reshape":
            let dims = layer.reshapeParam.shape.dim.enumerated().map { $0.element == 0 ? input[$0.offset] : Int($0.element) }
            let known = dims.filter { $0 > 0 }.reduce(1, *)
            return dims.map { $0 == -1 ? input.reduce(1, *) / known : $0 }
        case "PriorBox":
            return [1, 2, input[2] * input[3] * Self.priorsPerCell(layer.priorBoxParam) * 4]
        default:
            return nil
        }
    }

    /// Priors per feature-map cell as PriorBoxLayer::LayerSetUp counts them.
    static func priorsPerCell(_ p: Caffe_PriorBoxParameter) -> Int {
        var ratios: [Float] = [1]
        for ratio in p.aspectRatio where !ratios.contains(where: { abs($0 - ratio) < 1e-6 }) {
            ratios.append(ratio)
            if p.flip { ratios.append(1 / ratio) }
        }
        return ratios.count * p.minSize.count + p.maxSize.count
    }
}
