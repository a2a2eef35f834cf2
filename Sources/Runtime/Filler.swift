import CaffeProto

/// Caffe's weight fillers (include/caffe/filler.hpp `GetFiller`): constant, uniform, gaussian
/// (with `sparse`), positive_unitball, xavier, msra, bilinear.
public enum Filler {
    /// Fills `blob` according to `parameter`, drawing from `random`. Errors name the filler and
    /// what about the blob or parameter it cannot handle.
    public static func fill(_ blob: Blob, with parameter: Caffe_FillerParameter, random: RandomSource) throws {
        let count = blob.count
        let data = blob.data
        let type = parameter.type
        if type != "gaussian" && parameter.sparse != -1 {
            throw FillerError(filler: type, reason: "sparse is only supported by the gaussian filler")
        }
        switch type {
        case "constant":
            data.update(repeating: parameter.value, count: count)
        case "uniform":
            for i in 0..<count { data[i] = random.uniform(parameter.min, parameter.max) }
        case "gaussian":
            for i in 0..<count { data[i] = random.gaussian(mean: parameter.mean, std: parameter.std) }
            let sparse = Int(parameter.sparse)
            if sparse < -1 {
                throw FillerError(filler: type, reason: "sparse must be >= -1, got \(sparse)")
            }
            if sparse >= 0 {
                guard blob.numAxes >= 1 else {
                    throw FillerError(filler: type, reason: "sparse needs a blob with at least one axis")
                }
                // filler.hpp GaussianFiller: keep each weight with probability sparse / shape(0),
                // shape(0) being the number of outputs.
                let probability = Double(Float(sparse) / Float(blob.shape[0]))
                for i in 0..<count where !random.bernoulli(probability) { data[i] = 0 }
            }
        case "positive_unitball":
            for i in 0..<count { data[i] = random.uniform(0, 1) }
            let rows = blob.num
            guard rows > 0, count % rows == 0, count / rows > 0 else {
                throw FillerError(filler: type, reason: "blob of shape \(blob.shape) has no rows to normalise")
            }
            let dim = count / rows
            for row in 0..<rows {
                let start = data + row * dim
                var sum: Float = 0
                for j in 0..<dim { sum += start[j] }
                for j in 0..<dim { start[j] /= sum }
            }
        case "xavier", "msra":
            let n = try fanNormaliser(blob, parameter)
            if type == "xavier" {
                let scale = (Float(3) / n).squareRoot()
                for i in 0..<count { data[i] = random.uniform(-scale, scale) }
            } else {
                let std = (Float(2) / n).squareRoot()
                for i in 0..<count { data[i] = random.gaussian(mean: 0, std: std) }
            }
        case "bilinear":
            try fillBilinear(blob)
        default:
            throw FillerError(filler: type, reason: "unknown filler type (known: constant, uniform, gaussian, positive_unitball, xavier, msra, bilinear)")
        }
    }

    /// fan_in = count / num, fan_out = count / channels (legacy num/channels of the blob).
    static func fanNormaliser(_ blob: Blob, _ parameter: Caffe_FillerParameter) throws -> Float {
        guard blob.count > 0, blob.num > 0, blob.channels > 0 else {
            throw FillerError(filler: parameter.type, reason: "cannot fill an empty blob of shape \(blob.shape)")
        }
        let fanIn = Float(blob.count / blob.num)
        let fanOut = Float(blob.count / blob.channels)
        switch parameter.varianceNorm {
        case .average: return (fanIn + fanOut) / 2
        case .fanOut: return fanOut
        case .fanIn: return fanIn
        }
    }

    /// filler.hpp BilinearFiller: every element of the 4-D blob gets the kernel value of its
    /// (y, x) position, whatever its channel pair; computed in float exactly as Caffe does.
    static func fillBilinear(_ blob: Blob) throws {
        guard blob.numAxes == 4 else {
            throw FillerError(filler: "bilinear", reason: "needs a 4-D blob, got shape \(blob.shape)")
        }
        guard blob.width == blob.height else {
            throw FillerError(filler: "bilinear", reason: "needs a square kernel, got \(blob.height)x\(blob.width)")
        }
        let width = blob.width, height = blob.height
        guard width > 0 else { return }
        let f = Int((Double(width) / 2).rounded(.up))
        let c = Float(Double(2 * f - 1 - f % 2) / (2.0 * Double(f)))
        let fFloat = Float(f)
        let data = blob.data
        for i in 0..<blob.count {
            let x = Float(i % width)
            let y = Float((i / width) % height)
            data[i] = (1 - abs(x / fFloat - c)) * (1 - abs(y / fFloat - c))
        }
    }
}

/// A filler that cannot fill the blob it was given.
public struct FillerError: Error, CustomStringConvertible, Sendable {
    public var filler: String
    public var reason: String
    public var description: String { "filler \"\(filler)\": \(reason)" }
}
