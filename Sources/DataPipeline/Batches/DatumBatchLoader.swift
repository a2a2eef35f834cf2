import CaffeProto
import Foundation

/// Caffe's plain `Data` layer (src/caffe/layers/data_layer.cpp) without the blobs: Datum
/// records (raw or encoded) through the transformer; the label top is `[N]` of `datum.label`.
public final class DatumBatchLoader: BatchSource, @unchecked Sendable {
    // Mutable state (stream, rng) is used by one thread at a time.
    public let layerName: String
    public let batchSize: Int
    public let transformer: DataTransformer
    public let initialDataShape: [Int]
    /// The label top: one class per item (`[N]`).
    public var initialLabelShape: [Int] { [batchSize] }
    private let stream: RecordStream
    private var rng: CaffeRandom

    public init(layer: Caffe_LayerParameter, phase: Caffe_Phase, baseDirectory: String, seed: UInt32 = 1701) throws {
        layerName = layer.name
        let here = "layer \"\(layer.name)\""
        rng = CaffeRandom(seed: seed)
        guard layer.dataParam.batchSize > 0 else { throw DataPipelineError(here, "data_param.batch_size must be > 0") }
        batchSize = Int(layer.dataParam.batchSize)
        if layer.dataParam.hasBackend && layer.dataParam.backend != .lmdb {
            throw DataPipelineError(here, "data_param.backend LEVELDB is not supported; convert the database to LMDB")
        }
        guard layer.dataParam.hasSource else { throw DataPipelineError(here, "data_param.source is not set") }
        transformer = DataTransformer(config: try TransformConfig(layer.transformParam, phase: phase, layer: layer.name,
                                                                  baseDirectory: baseDirectory))
        stream = try RecordStream(source: AnnotatedBatchLoader.resolve(layer.dataParam.source, baseDirectory),
                                  randSkip: Int(layer.dataParam.randSkip), rng: &rng)
        let first = try stream.peek()
        let datum = try RecordDecoder.datum(first.value, key: first.key, source: stream.source)
        initialDataShape = [batchSize] + (try AnnotatedBatchLoader.headerShape(datum, transformer: transformer,
                                                                               location: "\(stream.source) key \"\(first.key)\""))
    }

    public func nextBatch() throws -> DataBatch {
        let peeked = try stream.peek()
        let peekDatum = try RecordDecoder.datum(peeked.value, key: peeked.key, source: stream.source)
        let shape = try AnnotatedBatchLoader.headerShape(peekDatum, transformer: transformer,
                                                         location: "\(stream.source) key \"\(peeked.key)\"")
        let itemCount = shape.reduce(1, *)  // outputShape checked it against the blob limit
        var data = try AllocationChecks.batchBuffer(batch: batchSize, itemShape: shape, location: "\(stream.source) key \"\(peeked.key)\"")
        var labels: [Float] = []
        var keys: [String] = []
        for item in 0..<batchSize {
            let raw = try stream.next()
            keys.append(raw.key)
            let location = "\(stream.source) key \"\(raw.key)\""
            let datum = try RecordDecoder.datum(raw.value, key: raw.key, source: stream.source)
            let decoded = try transformer.decode(datum, location: location)
            let itemShape = try transformer.outputShape(decoded, location: location)
            guard itemShape == shape else {
                throw DataPipelineError(location, "transformed shape \(itemShape) differs from the batch shape \(shape) of the batch's first record")
            }
            _ = try data.withUnsafeMutableBufferPointer { buffer in
                try transformer.transform(decoded, shape: shape, into: try Self.slot(buffer, item * itemCount),
                                          rng: &rng, location: location)
            }
            labels.append(Float(datum.label))
        }
        return DataBatch(data: data, dataShape: [batchSize] + shape, label: labels, labelShape: [batchSize], keys: keys)
    }

    /// The output position of one item (the batch buffer is never empty: shapes are positive).
    static func slot(_ buffer: UnsafeMutableBufferPointer<Float>, _ offset: Int) throws -> UnsafeMutablePointer<Float> {
        guard let base = buffer.baseAddress, offset < buffer.count else {
            throw DataPipelineError("batch", "internal: item offset \(offset) outside a batch of \(buffer.count) values")
        }
        return base + offset
    }
}
