import DataPipeline
import Foundation
import Runtime

/// SSD's `AnnotatedData` layer (src/caffe/layers/annotated_data_layer.cpp): AnnotatedDatum
/// records from an LMDB through the augmentation pipeline (distort, expand, batch samplers,
/// resize, crop, mirror, mean) into `data` and the `[1, 1, G, 8]` label rows.
final class AnnotatedDataLayer: PrefetchingDataLayer {
    override class var caffeType: String { "AnnotatedData" }

    override func makeLoader(seed: UInt32) throws -> any BatchSource & InitialShapes {
        try AnnotatedBatchLoader(layer: parameter, phase: phase, baseDirectory: FileManager.default.currentDirectoryPath, seed: seed)
    }
}

/// Caffe's `Data` layer: Datum records (classification) into `data` and a `[N]` label.
final class DataLayer: PrefetchingDataLayer {
    override class var caffeType: String { "Data" }

    override func makeLoader(seed: UInt32) throws -> any BatchSource & InitialShapes {
        try DatumBatchLoader(layer: parameter, phase: phase, baseDirectory: FileManager.default.currentDirectoryPath, seed: seed)
    }
}
