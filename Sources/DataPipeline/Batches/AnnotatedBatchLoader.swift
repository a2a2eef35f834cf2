import CaffeProto
import Foundation

/// `AnnotatedDataLayer` (src/caffe/layers/annotated_data_layer.cpp) without the blobs: reads
/// AnnotatedDatum records and builds `data` and `label` batches exactly as its `load_batch`:
/// distort → expand → batch samplers + crop → transform (resize, crop, mirror, mean, scale) →
/// annotations through the same geometry.
public final class AnnotatedBatchLoader: BatchSource, @unchecked Sendable {
    // Mutable state (stream, rng) is used by one thread at a time: the caller or one prefetcher.
    public let layerName: String
    public let batchSize: Int
    public let transformer: DataTransformer
    public let samplers: [BatchSamplerSpec]
    /// True when labels are boxes (the first record has a type or anno_type is set).
    public let hasAnnotationType: Bool
    /// The label map named by `label_map_file`, when the file exists (Caffe only stores the name).
    public let labelMap: Caffe_LabelMap?
    /// [N, C, H, W] and label shape as set up from the first record (`DataLayerSetUp`).
    public let initialDataShape: [Int]
    public let initialLabelShape: [Int]
    private let stream: RecordStream
    private var rng: CaffeRandom

    /// - Parameters:
    ///   - layer: an `AnnotatedData` layer; `data_param.source`, `mean_file` and
    ///     `label_map_file` are resolved against `baseDirectory` when relative.
    ///   - phase: TRAIN draws random crops; TEST takes centre crops.
    public init(layer: Caffe_LayerParameter, phase: Caffe_Phase, baseDirectory: String, seed: UInt32 = 1701) throws {
        layerName = layer.name
        let here = "layer \"\(layer.name)\""
        rng = CaffeRandom(seed: seed)
        guard layer.dataParam.batchSize > 0 else {
            throw DataPipelineError(here, "data_param.batch_size must be > 0")
        }
        batchSize = Int(layer.dataParam.batchSize)
        if layer.dataParam.hasBackend && layer.dataParam.backend != .lmdb {
            throw DataPipelineError(here, "data_param.backend LEVELDB is not supported; convert the database to LMDB")
        }
        let config = try TransformConfig(layer.transformParam, phase: phase, layer: layer.name, baseDirectory: baseDirectory)
        transformer = DataTransformer(config: config)
        if let resize = config.resize, resize.mode == .fitSmallSize, batchSize != 1 {
            throw DataPipelineError(here, "FIT_SMALL_SIZE resizing needs batch_size 1 (got \(batchSize))")
        }
        let anno = layer.annotatedDataParam
        samplers = try anno.batchSampler.enumerated().map {
            try BatchSamplerSpec($0.element, location: "\(here) batch_sampler \($0.offset)")
        }
        if anno.hasLabelMapFile {
            let path = Self.resolve(anno.labelMapFile, baseDirectory)
            labelMap = FileManager.default.fileExists(atPath: path) ? try CaffeFiles.read(path, as: Caffe_LabelMap.self) : nil
        } else {
            labelMap = nil
        }
        guard layer.dataParam.hasSource else { throw DataPipelineError(here, "data_param.source is not set") }
        stream = try RecordStream(source: Self.resolve(layer.dataParam.source, baseDirectory),
                                  randSkip: Int(layer.dataParam.randSkip), rng: &rng)
        let first = try stream.peek()
        let firstRecord = try RecordDecoder.annotated(first.value, key: first.key, source: stream.source)
        hasAnnotationType = firstRecord.hasBoxType || anno.hasAnnoType
        let shape = try Self.headerShape(firstRecord.datum, transformer: transformer, location: "\(stream.source) key \"\(first.key)\"")
        initialDataShape = [batchSize] + shape
        if hasAnnotationType {
            let boxes = firstRecord.groups.reduce(0) { $0 + $1.annotations.count }
            initialLabelShape = [1, 1, max(boxes, 1), 8]
        } else {
            // Records without a type: one class label per item, shaped [N, 1, 1, 1] (label_shape(4, 1)).
            initialLabelShape = [batchSize, 1, 1, 1]
        }
    }

    static func resolve(_ path: String, _ base: String) -> String {
        path.hasPrefix("/") ? path : (base as NSString).appendingPathComponent(path)
    }

    /// `InferBlobShape` of a stored datum without decoding all pixels: the JPEG header gives
    /// size and components (native decode: 3 channels if more than one component, else 1).
    static func headerShape(_ datum: DatumRecord, transformer: DataTransformer, location: String) throws -> [Int] {
        if datum.encoded {
            let info = try JPEGCodec.imageHeader(datum.data, source: location)
            let channels: Int
            switch transformer.config.decodeMode {
            case .color: channels = 3
            case .gray: channels = 1
            case .native: channels = info.channels
            }
            var (width, height) = (info.width, info.height)
            if transformer.config.decodeMode != .native {
                (width, height) = try JPEGCodec.orientedSize(datum.data, source: location)
            }
            return try transformer.outputShape(channels: channels, height: height, width: width, location: location)
        }
        return try transformer.outputShape(.raw(datum), location: location)
    }

    /// One batch (`load_batch`).
    public func nextBatch() throws -> DataBatch {
        let config = transformer.config
        let peeked = try stream.peek()
        let peekLocation = "\(stream.source) key \"\(peeked.key)\""
        let peekRecord = try RecordDecoder.annotated(peeked.value, key: peeked.key, source: stream.source)
        var topShape = [batchSize] + (try Self.headerShape(peekRecord.datum, transformer: transformer, location: peekLocation))
        var itemCount = topShape.dropFirst().reduce(1, *)  // outputShape checked it against the blob limit
        var data = try AllocationChecks.batchBuffer(batch: batchSize, itemShape: Array(topShape.dropFirst()), location: peekLocation)
        var labels: [Float] = []
        var classLabels: [Float] = []
        var keys: [String] = []
        var boxCount = 0
        for item in 0..<batchSize {
            let raw = try stream.next()
            keys.append(raw.key)
            let location = "\(stream.source) key \"\(raw.key)\""
            let record = try RecordDecoder.annotated(raw.value, key: raw.key, source: stream.source)
            do {
                var expanded = record
                if config.distortion != nil { expanded = try transformer.distort(expanded, rng: &rng, location: location) }
                if config.expansion != nil { expanded = try transformer.expand(expanded, rng: &rng, location: location) }
                var sampled = expanded
                if !samplers.isEmpty {
                    let samples = generateBatchSamples(expanded, samplers: samplers, rng: &rng)
                    if !samples.isEmpty {
                        let pick = Int(rng.next() % UInt32(samples.count))
                        sampled = try transformer.crop(expanded, to: samples[pick], location: location)
                    }
                }
                let decoded = try transformer.decode(sampled.datum, location: location)
                let shape = try transformer.outputShape(decoded, location: location)
                if config.resize?.mode == .fitSmallSize {
                    topShape = [batchSize] + shape
                    itemCount = shape.reduce(1, *)
                    data = try AllocationChecks.batchBuffer(batch: batchSize, itemShape: shape, location: location)
                } else if Array(topShape.dropFirst()) != shape {
                    throw DataPipelineError(location, "transformed shape \(shape) differs from the batch shape \(Array(topShape.dropFirst())) taken from the batch's first record; Caffe aborts here (CHECK in AnnotatedDataLayer::load_batch). Use resize_param, or force_color for mixed 1- and 3-channel JPEGs")
                }
                let outcome = try data.withUnsafeMutableBufferPointer { buffer in
                    try transformer.transform(decoded, shape: shape, into: try Self.slot(buffer, item * itemCount),
                                              rng: &rng, location: location)
                }
                if hasAnnotationType {
                    guard sampled.hasBoxType else {
                        throw DataPipelineError(location, "the record has no AnnotationType while the first record had one")
                    }
                    let groups = try transformer.transformAnnotations(sampled.groups, datumHeight: sampled.datum.height,
                                                                      datumWidth: sampled.datum.width, doResize: true,
                                                                      crop: outcome.crop, mirror: outcome.mirrored, location: location)
                    for group in groups {
                        for annotation in group.annotations {
                            let b = annotation.box
                            labels += [Float(item), Float(group.label), Float(annotation.instanceID),
                                       b.xmin, b.ymin, b.xmax, b.ymax, b.difficult ? 1 : 0]
                            boxCount += 1
                        }
                    }
                } else {
                    classLabels.append(Float(sampled.datum.label))
                }
            } catch let error as DataPipelineError where !error.location.contains(raw.key) {
                throw DataPipelineError(location, error.description)
            }
        }
        if !hasAnnotationType {
            return DataBatch(data: data, dataShape: topShape, label: classLabels, labelShape: [batchSize, 1, 1, 1], keys: keys)
        }
        if boxCount == 0 {
            // A batch without any box gets one row of -1 (caffe_set(8, -1, ...)).
            return DataBatch(data: data, dataShape: topShape, label: [Float](repeating: -1, count: 8),
                             labelShape: [1, 1, 1, 8], keys: keys)
        }
        return DataBatch(data: data, dataShape: topShape, label: labels, labelShape: [1, 1, boxCount, 8], keys: keys)
    }

    /// The output position of one item (the batch buffer is never empty: shapes are positive).
    static func slot(_ buffer: UnsafeMutableBufferPointer<Float>, _ offset: Int) throws -> UnsafeMutablePointer<Float> {
        guard let base = buffer.baseAddress, offset < buffer.count else {
            throw DataPipelineError("batch", "internal: item offset \(offset) outside a batch of \(buffer.count) values")
        }
        return base + offset
    }
}
