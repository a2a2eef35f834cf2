import CaffeProto

/// Caffe's automatic Split layers (src/caffe/util/insert_splits.cpp `InsertSplits`): a top read
/// by more than one bottom (a non-zero loss_weight on the top counts as a reader) gets a Split
/// layer `<blob>_<producer>_<top index>_split` with tops `..._split_<k>`, so that each reader
/// has its own diff and the Split sums them.
public enum SplitInsertion {
    public static func splitLayerName(layer: String, blob: String, topIndex: Int) -> String {
        "\(blob)_\(layer)_\(topIndex)_split"
    }

    public static func splitBlobName(layer: String, blob: String, topIndex: Int, splitIndex: Int) -> String {
        "\(blob)_\(layer)_\(topIndex)_split_\(splitIndex)"
    }

    private struct TopIndex: Hashable {
        var layer: Int
        var top: Int
    }

    /// The net with Split layers inserted. A bottom that no earlier layer produces is an error
    /// naming the layer and the bottom.
    public static func insertSplits(_ net: Caffe_NetParameter) throws -> Caffe_NetParameter {
        var lastTop: [String: TopIndex] = [:]
        var sourceOfBottom: [TopIndex: TopIndex] = [:]  // (layer, bottom) -> producing top
        var readers: [TopIndex: Int] = [:]
        var lossWeightOfTop: [TopIndex: Float] = [:]
        for (i, layer) in net.layer.enumerated() {
            for (j, blob) in layer.bottom.enumerated() {
                guard let source = lastTop[blob] else {
                    throw NetError(layer: layer.name, message: "unknown bottom blob '\(blob)' (bottom index \(j)): no earlier layer produces it")
                }
                sourceOfBottom[TopIndex(layer: i, top: j)] = source
                readers[source, default: 0] += 1
            }
            for (j, blob) in layer.top.enumerated() {
                lastTop[blob] = TopIndex(layer: i, top: j)
            }
            for j in 0..<min(layer.lossWeight.count, layer.top.count) {
                guard let topIndex = lastTop[layer.top[j]] else { continue }
                lossWeightOfTop[topIndex] = layer.lossWeight[j]
                if layer.lossWeight[j] != 0 { readers[topIndex, default: 0] += 1 }
            }
        }
        var result = net
        result.layer = []
        var nextSplit: [TopIndex: Int] = [:]
        for (i, original) in net.layer.enumerated() {
            var layer = original
            for j in 0..<layer.bottom.count {
                guard let source = sourceOfBottom[TopIndex(layer: i, top: j)] else { continue }
                if readers[source, default: 0] > 1 {
                    let producer = net.layer[source.layer].name
                    let index = nextSplit[source, default: 0]
                    nextSplit[source] = index + 1
                    layer.bottom[j] = splitBlobName(layer: producer, blob: layer.bottom[j], topIndex: source.top, splitIndex: index)
                }
            }
            var splits: [Caffe_LayerParameter] = []
            for j in 0..<layer.top.count {
                let topIndex = TopIndex(layer: i, top: j)
                let count = readers[topIndex, default: 0]
                guard count > 1 else { continue }
                let lossWeight = lossWeightOfTop[topIndex] ?? 0
                var split = Caffe_LayerParameter()
                split.name = splitLayerName(layer: layer.name, blob: layer.top[j], topIndex: j)
                split.type = "Split"
                split.bottom = [layer.top[j]]
                for k in 0..<count {
                    split.top.append(splitBlobName(layer: layer.name, blob: layer.top[j], topIndex: j, splitIndex: k))
                    if lossWeight != 0 { split.lossWeight.append(k == 0 ? lossWeight : 0) }
                }
                if lossWeight != 0 {
                    // The loss moves to the Split's first top, which is its own reader.
                    layer.lossWeight = []
                    nextSplit[topIndex, default: 0] += 1
                }
                splits.append(split)
            }
            result.layer.append(layer)
            result.layer.append(contentsOf: splits)
        }
        return result
    }
}
