import CaffeProto
import Foundation
import Kernels

/// What loading a weights file did: Caffe is silent about layers without weights; callers can
/// warn about them.
public struct WeightLoadReport: Sendable, Equatable {
    /// Net layers whose blobs were copied from the file.
    public var loadedLayers: [String] = []
    /// File layers the net does not have (Caffe: "Ignoring source layer").
    public var ignoredSourceLayers: [String] = []
    /// Net layers with parameter blobs that the file does not mention (they keep their fillers).
    public var layersWithoutWeights: [String] = []
}

extension Net {
    /// Copies trained blobs into the layers with the same name (net.cpp
    /// `CopyTrainedLayersFrom`): file layers unknown to the net are skipped; for a matched layer
    /// the blob count and each blob's shape must agree (legacy 4-D dims right-aligned) and the
    /// value count must match. Shared parameters are copied layer by layer into the shared
    /// memory, so the last copy in file order wins.
    @discardableResult
    public func copyTrainedLayers(from weights: Caffe_NetParameter, file: String? = nil) throws -> WeightLoadReport {
        guard weights.layers.isEmpty || !weights.layer.isEmpty else {
            throw NetError(file: file, message: "the weights use V1 'layers' entries; read them with CaffeFiles.readNet to upgrade them")
        }
        var report = WeightLoadReport()
        var seen = Set<String>()
        for source in weights.layer {
            guard let targetId = indexOfLayer(named: source.name) else {
                report.ignoredSourceLayers.append(source.name)
                continue
            }
            let target = layers[targetId]
            guard target.blobs.count == source.blobs.count else {
                throw NetError(file: file, layer: source.name, message: "incompatible number of blobs: the net's \(target.type) layer has \(target.blobs.count), the file has \(source.blobs.count)")
            }
            for (j, proto) in source.blobs.enumerated() {
                let blob = target.blobs[j]
                guard blob.shapeEquals(proto) else {
                    let sourceShape = Blob.shape(of: proto)
                    let sourceCount = MemoryBudget.product(sourceShape).map(String.init) ?? "too many"
                    throw NetError(file: file, layer: source.name, message: "cannot copy param \(j) weights: shape mismatch; the file's blob is \((sourceShape.map(String.init) + ["(\(sourceCount))"]).joined(separator: " ")), the net expects \(blob.shapeString). To learn this layer from scratch, rename it.")
                }
                do {
                    try blob.load(proto)
                } catch {
                    throw NetError(file: file, layer: source.name, message: "param \(j): \(error)")
                }
            }
            if !seen.contains(source.name) { report.loadedLayers.append(source.name) }
            seen.insert(source.name)
        }
        report.layersWithoutWeights = layers.enumerated().compactMap { index, layer in
            !layer.blobs.isEmpty && !seen.contains(layerNames[index]) ? layerNames[index] : nil
        }
        return report
    }

    /// Reads a `.caffemodel` (binary; a text NetParameter by extension) and copies its blobs.
    @discardableResult
    public func loadWeights(from path: String) throws -> WeightLoadReport {
        let weights = try CaffeFiles.readNet(path)
        return try copyTrainedLayers(from: weights, file: path)
    }

    /// The net as Caffe's `Net::ToProto` writes it: every layer (Split layers included) with its
    /// parameters and blobs.
    public func toProto(writeDiff: Bool = false) -> Caffe_NetParameter {
        var proto = Caffe_NetParameter()
        proto.name = name
        proto.layer = layers.map { $0.toProto(writeDiff: writeDiff) }
        return proto
    }

    /// Writes the weights as a binary `.caffemodel` that Caffe reads, atomically.
    public func saveWeights(to path: String, writeDiff: Bool = false) throws {
        let data: Data
        do {
            data = try toProto(writeDiff: writeDiff).serializedData()
        } catch {
            throw NetError(file: path, message: "cannot serialise the weights: \(error)")
        }
        try CaffeFiles.writeAtomically(data, to: path)
    }
}
