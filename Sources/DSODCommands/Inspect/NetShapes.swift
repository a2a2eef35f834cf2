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
            let shapeNet = try shapeOnly(net)
            do {
                built = try Net(parameter: shapeNet, registry: .standard)
            } catch let testError {
                // A train net's data layer is included in TRAIN only: try that phase too.
                guard let trained = try? Net(parameter: shapeNet, phase: .train, registry: .standard) else { throw testError }
                built = trained
            }
        } catch {
            throw NetSummaryError(file: file, reason: "the net has no stored weights, and building it to find its parameter shapes failed: \(error)")
        }
        summary.blobs = built.layers.filter { !$0.blobs.isEmpty }.map { layer in
            NetSummary.LayerBlobs(name: layer.name, type: layer.type, shapes: layer.blobs.map(\.shape))
        }
        return summary
    }
}

extension NetShapes {
    /// The net with what building it needs from disk taken out, since only shapes matter here:
    /// DetectionOutput's result files, DetectionEvaluate's name-size file, and data layers (replaced by Input layers of the shape
    /// their batch size and resize_param give).
    static func shapeOnly(_ net: Caffe_NetParameter) throws -> Caffe_NetParameter {
        var net = net
        for i in net.layer.indices {
            var layer = net.layer[i]
            if layer.type == "DetectionOutput" { layer.detectionOutputParam.clearSaveOutputParam() }
            if layer.type == "DetectionEvaluate" { layer.detectionEvaluateParam.clearNameSizeFile() }
            if layer.type == "AnnotatedData" || layer.type == "Data" {
                let resize = layer.transformParam.resizeParam
                let crop = layer.transformParam.cropSize
                let height = crop > 0 ? Int64(crop) : Int64(resize.height)
                let width = crop > 0 ? Int64(crop) : Int64(resize.width)
                guard height > 0, width > 0 else { continue }  // the LMDB decides; build as is
                var input = Caffe_LayerParameter()
                input.name = layer.name
                input.type = "Input"
                input.top = layer.top
                input.include = layer.include
                input.exclude = layer.exclude
                var data = Caffe_BlobShape()
                data.dim = [Int64(max(1, layer.dataParam.batchSize)), 3, height, width]
                var label = Caffe_BlobShape()
                label.dim = layer.type == "Data" ? [Int64(max(1, layer.dataParam.batchSize))] : [1, 1, 1, 8]
                input.inputParam.shape = Array([data, label].prefix(layer.top.count))
                layer = input
            }
            net.layer[i] = layer
        }
        return net
    }
}

struct NetSummaryError: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
}
