import CaffeProto
import Foundation

/// A mean image from a `.binaryproto` (`compute_image_mean`'s output), C × H × W floats.
public struct MeanBlob: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public var values: [Float]

    public init(channels: Int, height: Int, width: Int, values: [Float]) {
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    /// Reads a BlobProto file as Caffe's `data_mean_.FromProto` (legacy num/channels/height/width
    /// or a shape of up to 4 axes).
    public static func read(_ path: String) throws -> MeanBlob {
        let blob: Caffe_BlobProto
        do {
            blob = try Caffe_BlobProto(serializedBytes: try CaffeFiles.contents(of: path))
        } catch let error as CaffeFormatError {
            throw DataPipelineError(path, "cannot read the mean file: \(error.message)")
        } catch {
            throw DataPipelineError(path, "not a BlobProto (.binaryproto) mean file: \(error)")
        }
        var dims: [Int]
        if blob.hasShape {
            dims = blob.shape.dim.map { Int($0) }
        } else {
            dims = [Int(blob.num), Int(blob.channels), Int(blob.height), Int(blob.width)]
        }
        while dims.count < 4 { dims.insert(1, at: 0) }
        let c = dims[dims.count - 3], h = dims[dims.count - 2], w = dims[dims.count - 1]
        let values = blob.data.isEmpty ? blob.doubleData.map(Float.init) : blob.data
        if c * h * w == 0 || values.isEmpty {
            throw DataPipelineError(path, "the mean file is empty (shape \(dims)); compute_image_mean writes such a file when run over an AnnotatedDatum LMDB")
        }
        guard values.count >= c * h * w else {
            throw DataPipelineError(path, "the mean file holds \(values.count) values, its shape \(dims) needs \(c * h * w)")
        }
        return MeanBlob(channels: c, height: h, width: w, values: Array(values.prefix(c * h * w)))
    }
}
