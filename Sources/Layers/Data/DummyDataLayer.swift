import CaffeProto
import Runtime

/// Caffe's DummyData (src/caffe/layers/dummy_data_layer.cpp): no bottom; tops of `shape` (once
/// or once per top) or legacy `num`/`channels`/`height`/`width` (each once or once per top),
/// filled by `data_filler` (none: constant 0; one: for every top; else one per top). Non-constant
/// fillers draw new values every forward, from the net's random source, top by top.
/// Constant tops are filled at setup, as Caffe's; Caffe never refills them, here they are refilled
/// every forward too (the same values, and no draw from the random source), so that the net's
/// memory reuse cannot lose them.
final class DummyDataLayer: Layer {
    override class var caffeType: String { "DummyData" }
    override var blobCounts: BlobCounts { BlobCounts(exactBottoms: 0, minTops: 1) }

    private var fillers: [Caffe_FillerParameter] = []

    override func layerSetUp(bottom: [Blob], top: [Blob]) throws {
        let p = parameter.dummyDataParam
        let tops = top.count
        // dummy_data_layer.cpp LayerSetUp: 0, 1 or one filler per top.
        guard [0, 1, tops].contains(p.dataFiller.count) else {
            throw error("\(p.dataFiller.count) data_filler values for \(tops) tops: give 0, 1 or one per top")
        }
        fillers = p.dataFiller.isEmpty ? [constantFiller(0)] : p.dataFiller
        let legacy = !p.num.isEmpty || !p.channels.isEmpty || !p.height.isEmpty || !p.width.isEmpty
        var shapes: [[Int]] = []
        if legacy {
            guard p.shape.isEmpty else { throw error("give either shape or the legacy num/channels/height/width, not both") }
            func value(_ values: [UInt32], _ name: String, _ i: Int) throws -> Int {
                guard values.count == 1 || values.count == tops else {
                    throw error("\(name) must be given once or once per top (\(tops)), got \(values.count)")
                }
                return Int(values.count == 1 ? values[0] : values[i])
            }
            for i in 0..<tops {
                shapes.append([try value(p.num, "num", i), try value(p.channels, "channels", i),
                               try value(p.height, "height", i), try value(p.width, "width", i)])
            }
        } else {
            guard p.shape.count == 1 || p.shape.count == tops else {
                throw error("shape must be given once or once per top (\(tops)), got \(p.shape.count)")
            }
            for i in 0..<tops { shapes.append(p.shape[p.shape.count == 1 ? 0 : i].dim.map { Int($0) }) }
        }
        for (blob, shape) in zip(top, shapes) { try reshapeBlob(blob, shape) }
        // dummy_data_layer.cpp LayerSetUp: the constant tops are filled at setup; the others
        // keep their zeros until the first forward.
        for (i, blob) in top.enumerated() {
            let filler = fillers[fillers.count > 1 ? i : 0]
            if filler.type == "constant" { try fill(blob, with: filler, what: "data_filler of top \(i)") }
        }
    }

    override func forward(bottom: [Blob], top: [Blob]) throws {
        for (i, blob) in top.enumerated() {
            let filler = fillers[fillers.count > 1 ? i : 0]
            try fill(blob, with: filler, what: "data_filler of top \(i)")
        }
    }

    /// Data has no gradient; requests are ignored, as in Caffe.
    override func backward(top: [Blob], propagateDown: [Bool], bottom: [Blob]) throws {}
}
