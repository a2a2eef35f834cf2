import Foundation
import Kernels

/// One line of Caffe's `debug_info` output; `isError` marks the one Caffe logs at ERROR level
/// (the L1/L2 norms after a backward pass).
public struct NetDebugLine: Sendable, Equatable {
    /// Caffe's file:line that logs the same message (for glog-style rendering).
    public var source: String
    public var message: String
    public var isError: Bool
}

/// Caffe's per-layer debug output (net.cpp ForwardDebugInfo, BackwardDebugInfo,
/// UpdateDebugInfo and the norms in Net::Backward): the mean absolute value of every top's data
/// after a layer's forward, of every bottom's and parameter's diff after its backward, and of
/// each parameter's data and diff before the update. A NaN or inf shows up here first.
extension Net {
    private func emit(_ source: String, _ message: String, error: Bool = false) {
        debugInfoSink?(NetDebugLine(source: source, message: message, isError: error))
    }

    /// Mean |x| as Caffe computes it (`asum / count`), printed as glog prints a float.
    private static func meanAbs(_ pointer: UnsafePointer<Float>, _ count: Int) -> String {
        let value = count > 0 ? BLAS.asum(count, pointer) / Float(count) : Float.nan
        return String(format: "%g", Double(value))
    }

    /// The net parameter index of layer `layerId`'s blob `blobId`.
    private func netParamIndex(layer layerId: Int, blob blobId: Int) -> Int? {
        paramLayerIndices.firstIndex { $0.layer == layerId && $0.blob == blobId }
    }

    func forwardDebugInfo(_ layerId: Int) {
        for (topId, blob) in tops[layerId].enumerated() {
            let name = blobNames[topBlobIndices[layerId][topId]]
            emit("net.cpp:608", "    [Forward] Layer \(layerNames[layerId]), top blob \(name) data: \(Self.meanAbs(blob.data, blob.count))")
        }
        for (paramId, blob) in layers[layerId].blobs.enumerated() {
            let name = netParamIndex(layer: layerId, blob: paramId).map { paramDisplayNames[$0] } ?? String(paramId)
            emit("net.cpp:620", "    [Forward] Layer \(layerNames[layerId]), param blob \(name) data: \(Self.meanAbs(blob.data, blob.count))")
        }
    }

    func backwardDebugInfo(_ layerId: Int) {
        for (bottomId, blob) in bottoms[layerId].enumerated() where bottomNeedsBackward[layerId][bottomId] {
            let name = blobNames[bottomBlobIndices[layerId][bottomId]]
            emit("net.cpp:636", "    [Backward] Layer \(layerNames[layerId]), bottom blob \(name) diff: \(Self.meanAbs(blob.diff, blob.count))")
        }
        let layer = layers[layerId]
        for (paramId, blob) in layer.blobs.enumerated()
        where paramId < layer.parameterPropagateDown.count && layer.parameterPropagateDown[paramId] {
            emit("net.cpp:647", "    [Backward] Layer \(layerNames[layerId]), param blob \(paramId) diff: \(Self.meanAbs(blob.diff, blob.count))")
        }
    }

    /// The norms of all learnable parameters after a full backward pass (logged at ERROR level).
    func parameterNormsDebugInfo() {
        var asumData: Float = 0, asumDiff: Float = 0, sumsqData: Float = 0, sumsqDiff: Float = 0
        for blob in learnableParams {
            asumData += BLAS.asum(blob.count, blob.data)
            asumDiff += BLAS.asum(blob.count, blob.diff)
            sumsqData += BLAS.dot(blob.count, blob.data, blob.data)
            sumsqDiff += BLAS.dot(blob.count, blob.diff, blob.diff)
        }
        func g(_ x: Float) -> String { String(format: "%g", Double(x)) }
        emit("net.cpp:736", "    [Backward] All net params (data, diff): L1 norm = (\(g(asumData)), \(g(asumDiff))); L2 norm = (\(g(sumsqData.squareRoot())), \(g(sumsqDiff.squareRoot())))", error: true)
    }

    /// Net parameter `paramId`'s data and diff (the step about to be applied), as Caffe's
    /// `UpdateDebugInfo` (which Caffe's own Net::Update no longer calls in this fork; the
    /// solver calls it before applying each update when debug info is on).
    public func updateDebugInfo(param paramId: Int) {
        guard debugInfoSink != nil, paramId < params.count else { return }
        let blob = params[paramId]
        let layerName = layerNames[paramLayerIndices[paramId].layer]
        let diff = Self.meanAbs(blob.diff, blob.count)
        if let owner = paramOwners[paramId] {
            let ownerLayer = layerNames[paramLayerIndices[owner].layer]
            emit("net.cpp:672", "    [Update] Layer \(layerName), param blob \(paramDisplayNames[paramId]) (owned by layer \(ownerLayer), param \(paramDisplayNames[owner])) diff: \(diff)")
        } else {
            emit("net.cpp:664", "    [Update] Layer \(layerName), param \(paramDisplayNames[paramId]) data: \(Self.meanAbs(blob.data, blob.count)); diff: \(diff)")
        }
    }
}
