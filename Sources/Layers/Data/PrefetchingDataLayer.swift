import CaffeProto
import DataPipeline
import Foundation
import Runtime

/// Caffe's `BasePrefetchingDataLayer`: a loader prepares batches on a background thread and each
/// forward copies the next one into the tops, reshaping them to the batch (the label top's row
/// count changes from batch to batch). Paths in the layer (`source`, `mean_file`,
/// `label_map_file`) are relative to the working directory, as in Caffe.
class PrefetchingDataLayer: Layer {
    private var prefetcher: BatchPrefetcher?

    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 0, minTops: 1, maxTops: 2) }

    /// The loader for this layer type.
    func makeLoader(seed: UInt32) throws -> any BatchSource & InitialShapes {
        throw error("internal error: \(type) has no loader")
    }

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let loader: any BatchSource & InitialShapes
        do {
            loader = try makeLoader(seed: UInt32(truncatingIfNeeded: random.next()))
        } catch let failure as DataPipelineError {
            throw error(failure.description)
        }
        try top[0].reshape(loader.initialDataShape)
        if top.count > 1 { try top[1].reshape(loader.initialLabelShape) }
        prefetcher = BatchPrefetcher(source: loader)
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        guard let prefetcher else { throw error("forward before set-up") }
        let batch: DataBatch
        do { batch = try prefetcher.next() } catch let failure as DataPipelineError {
            throw error(failure.description)
        }
        try top[0].reshape(batch.dataShape)
        try top[0].setData(batch.data)
        if top.count > 1 {
            try top[1].reshape(batch.labelShape)
            try top[1].setData(batch.label)
        }
    }

    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}

    deinit { prefetcher?.stop() }
}

/// The shapes a loader reads from the first record, for the tops at set-up.
protocol InitialShapes {
    var initialDataShape: [Int] { get }
    var initialLabelShape: [Int] { get }
}

extension AnnotatedBatchLoader: InitialShapes {}
extension DatumBatchLoader: InitialShapes {}
