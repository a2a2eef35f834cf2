import CaffeProto
import Foundation

/// What `dsod inspect` reports about a net or weights file: layers by type, the shape of every
/// parameter blob, and the counts of learnable parameters and BatchNorm statistics.
struct NetSummary: Equatable {
    struct LayerBlobs: Equatable {
        var name: String
        var type: String
        var shapes: [[Int]]
    }

    var name: String
    var layerCount: Int
    /// (type, count), in order of first appearance.
    var layersByType: [(type: String, count: Int)]
    var blobs: [LayerBlobs]

    static func == (a: NetSummary, b: NetSummary) -> Bool {
        a.name == b.name && a.layerCount == b.layerCount && a.blobs == b.blobs
            && a.layersByType.map { "\($0.type)=\($0.count)" } == b.layersByType.map { "\($0.type)=\($0.count)" }
    }

    /// Parameters that training updates: every blob but BatchNorm's mean, variance and factor
    /// (which Caffe stores as blobs but never learns; BatchNormLayer sets their lr_mult to 0).
    var learnableParameters: Int {
        blobs.filter { $0.type != "BatchNorm" }.reduce(0) { $0 + $1.shapes.reduce(0) { $0 + $1.reduce(1, *) } }
    }

    /// Learnable parameters plus BatchNorm's statistics: every stored value.
    var allParameters: Int {
        blobs.reduce(0) { $0 + $1.shapes.reduce(0) { $0 + $1.reduce(1, *) } }
    }

    var batchNormStatistics: Int { allParameters - learnableParameters }

    /// A summary from the blobs stored in the file's layers (a caffemodel, or a prototxt with
    /// `blobs`). Legacy 4-D dims are shown as stored (num, channels, height, width).
    init(net: Caffe_NetParameter) {
        name = net.name
        layerCount = net.layer.count
        var order: [String] = []
        var counts: [String: Int] = [:]
        for layer in net.layer {
            if counts[layer.type] == nil { order.append(layer.type) }
            counts[layer.type, default: 0] += 1
        }
        layersByType = order.map { ($0, counts[$0]!) }
        blobs = net.layer.filter { !$0.blobs.isEmpty }.map { layer in
            LayerBlobs(name: layer.name, type: layer.type, shapes: layer.blobs.map(Self.shape(of:)))
        }
    }

    /// The shape Caffe gives a stored blob: legacy dims win when any is set (Blob::FromProto).
    static func shape(of blob: Caffe_BlobProto) -> [Int] {
        if blob.hasNum || blob.hasChannels || blob.hasHeight || blob.hasWidth {
            return [Int(blob.num), Int(blob.channels), Int(blob.height), Int(blob.width)]
        }
        return blob.shape.dim.map { Int($0) }
    }

    /// The lines `dsod inspect` prints.
    func report(file: String, showBlobs: Bool) -> [String] {
        var lines = ["\(file): net \"\(name)\", \(layerCount) layers"]
        lines.append("Layers by type:")
        let width = layersByType.map(\.type.count).max() ?? 0
        for (type, count) in layersByType {
            lines.append("  " + type.padding(toLength: width, withPad: " ", startingAt: 0) + "  \(count)")
        }
        if showBlobs && !blobs.isEmpty {
            lines.append("Parameter blobs:")
            let nameWidth = min(blobs.map(\.name.count).max() ?? 0, 40)
            for layer in blobs {
                let shapes = layer.shapes.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }.joined(separator: " ")
                lines.append("  " + layer.name.padding(toLength: max(nameWidth, layer.name.count), withPad: " ", startingAt: 0)
                             + "  " + layer.type.padding(toLength: 12, withPad: " ", startingAt: 0) + " " + shapes)
            }
        }
        lines.append("Learnable parameters: \(Self.grouped(learnableParameters))")
        lines.append("With BatchNorm statistics: \(Self.grouped(allParameters))")
        return lines
    }

    /// 14715804 → "14,715,804".
    static func grouped(_ n: Int) -> String {
        let digits = Array(String(n))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }
}
