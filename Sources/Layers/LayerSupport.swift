import CaffeProto
import Runtime

extension Layer {
    /// Caffe's `CanonicalAxisIndex` of a layer parameter, with an error naming the parameter.
    func axisIndex(_ axis: Int32, of blob: Blob, parameter parameterName: String) throws -> Int {
        let value = Int(axis)
        guard value >= -blob.numAxes, value < blob.numAxes else {
            throw error("\(parameterName) \(value) is out of range for a \(blob.numAxes)-D bottom of shape \(blob.shape)")
        }
        return value < 0 ? value + blob.numAxes : value
    }

    /// Reshapes a blob, turning a shape error into one naming this layer.
    func reshapeBlob(_ blob: Blob, _ shape: [Int], what: String = "top") throws {
        do { try blob.reshape(shape) } catch { throw self.error("cannot shape the \(what) as \(shape): \(error)") }
    }

    /// Fills a parameter blob, turning a filler error into one naming this layer.
    func fill(_ blob: Blob, with filler: Caffe_FillerParameter, what: String) throws {
        do { try Filler.fill(blob, with: filler, random: random) } catch { throw self.error("\(what): \(error)") }
    }

    /// A new parameter blob of `shape`.
    func makeBlob(_ shape: [Int], what: String) throws -> Blob {
        do { return try Blob(shape: shape) } catch { throw self.error("cannot create the \(what) blob: \(error)") }
    }

    /// Checks that the blobs given in the prototxt or weights have the expected shapes.
    func expectBlobShape(_ index: Int, _ shape: [Int], what: String) throws {
        guard index < blobs.count else { throw error("missing the \(what) blob (blob \(index))") }
        guard blobs[index].shape == shape else {
            throw error("the \(what) blob has shape \(blobs[index].shape), expected \(shape)")
        }
    }
}

/// A filler parameter of the given type and value (for Caffe's built-in defaults).
func constantFiller(_ value: Float) -> Caffe_FillerParameter {
    var filler = Caffe_FillerParameter()
    filler.type = "constant"
    filler.value = value
    return filler
}

/// A label stored as a float, truncated to an integer as Caffe's `static_cast<int>`; nil for NaN,
/// infinities and values outside Int32 (which would trap in Swift's conversion).
func integerLabel(_ value: Float) -> Int? {
    guard value.isFinite, value > Float(Int32.min) - 1, value < Float(Int32.max) else { return nil }
    return Int(value)
}
