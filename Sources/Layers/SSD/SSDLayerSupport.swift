import CaffeProto
import Detection
import Runtime

/// Small conversions shared by the SSD layers (PriorBox, DetectionOutput, MultiBoxLoss,
/// DetectionEvaluate), which are thin wrappers around the Detection module.
extension Layer {
    /// Runs a Detection step, turning its `DetectionError` (a Caffe CHECK failure there) into a
    /// `LayerError` naming this layer.
    func detectionStep<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let failure as DetectionError {
            throw error(failure.message)
        }
    }
}

/// Caffe stores a proto `uint32` in an `int` member (`num_classes_ = param.num_classes()`):
/// values above `INT_MAX` wrap to negative numbers, which the layers' checks then reject.
@inline(__always)
func caffeInt(_ value: UInt32) -> Int { Int(Int32(bitPattern: value)) }

extension BoxCodeType {
    /// The Detection code type of a `PriorBoxParameter.CodeType`.
    init(_ proto: Caffe_PriorBoxParameter.CodeType) {
        switch proto {
        case .corner: self = .corner
        case .centerSize: self = .centerSize
        case .cornerSize: self = .cornerSize
        }
    }
}

extension ImageResize {
    /// The parts of a `ResizeParameter` that `OutputBBox` reads (mode, height, width, scales).
    init(_ proto: Caffe_ResizeParameter) {
        let mode: Mode
        switch proto.resizeMode {
        case .warp: mode = .warp
        case .fitSmallSize: mode = .fitSmallSize
        case .fitLargeSizeAndPad: mode = .fitLargeSizeAndPad
        }
        self.init(mode: mode, height: caffeInt(proto.height), width: caffeInt(proto.width),
                  heightScale: caffeInt(proto.heightScale), widthScale: caffeInt(proto.widthScale))
    }
}

extension Blob {
    /// The first `count` values of the data as a read-only buffer (valid until the blob is
    /// reshaped or its memory is shared anew).
    func dataBuffer(_ count: Int? = nil) -> UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: data, count: Swift.min(count ?? self.count, self.count))
    }
}
