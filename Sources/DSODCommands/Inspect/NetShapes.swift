import CaffeProto
import Layers
import Runtime

/// Parameter shapes of a net: from its stored blobs when it has them, otherwise from building it
/// (every layer set up, as Caffe's Net::Init does, with fillers run).
enum NetShapes {
    static func summary(of net: Caffe_NetParameter, file: String) throws -> NetSummary {
        var summary = NetSummary(net: net)
        guard summary.blobs.isEmpty, !net.layer.isEmpty else { return summary }
        let built: Net
        do {
            built = try Net(parameter: net, registry: .standard)
        } catch {
            throw NetSummaryError(file: file, reason: "the net has no stored weights, and building it to find its parameter shapes failed: \(error)")
        }
        summary.blobs = built.layers.filter { !$0.blobs.isEmpty }.map { layer in
            NetSummary.LayerBlobs(name: layer.name, type: layer.type, shapes: layer.blobs.map(\.shape))
        }
        return summary
    }
}

struct NetSummaryError: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
}
