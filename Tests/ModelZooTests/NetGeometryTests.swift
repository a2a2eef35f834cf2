import CaffeProto
import ModelZoo
import XCTest

/// Feature-map sizes through the generated deploy nets, by Caffe's output-size rules
/// (conv_layer.cpp: (H + 2p - dilated k) / s + 1; deconv_layer.cpp: s (H - 1) + k - 2p;
/// pooling_layer.cpp: ceil((H + 2p - k) / s) + 1). Every Concat along channels must see equal
/// spatial sizes, and the prediction sources must have the sizes the scripts' comments give.
/// This is the check for DSOD512, which has no reference file.
final class NetGeometryTests: XCTestCase {
    struct Shape: Equatable, CustomStringConvertible {
        var channels: Int, height: Int, width: Int
        var description: String { "\(channels)x\(height)x\(width)" }
    }

    /// Shapes of the blobs of the feature part of `net` (through the gates; the flattened head
    /// is not followed).
    private func shapes(_ net: Caffe_NetParameter, file: StaticString = #filePath, line: UInt = #line) -> [String: Shape] {
        var shapes: [String: Shape] = [:]
        let dims = net.inputShape[0].dim.map(Int.init)
        shapes["data"] = Shape(channels: dims[1], height: dims[2], width: dims[3])
        for layer in net.layer {
            guard let input = layer.bottom.first.flatMap({ shapes[$0] }) else { continue }
            var out: Shape?
            switch layer.type {
            case "Convolution", "Deconvolution":
                let p = layer.convolutionParam
                let k = Int(p.kernelSize.first ?? 1), s = Int(p.stride.first ?? 1), pad = Int(p.pad.first ?? 0)
                let d = Int(p.dilation.first ?? 1)
                let size: (Int) -> Int = layer.type == "Convolution"
                    ? { ($0 + 2 * pad - (d * (k - 1) + 1)) / s + 1 }
                    : { s * ($0 - 1) + k - 2 * pad }
                out = Shape(channels: Int(p.numOutput), height: size(input.height), width: size(input.width))
            case "Pooling":
                let p = layer.poolingParam
                if p.globalPooling {
                    out = Shape(channels: input.channels, height: 1, width: 1)
                } else {
                    let k = Int(p.kernelSize), s = Int(p.stride), pad = Int(p.pad)
                    let size: (Int) -> Int = { Int((Double($0 + 2 * pad - k) / Double(s)).rounded(.up)) + 1 }
                    out = Shape(channels: input.channels, height: size(input.height), width: size(input.width))
                }
            case "BatchNorm", "Scale", "ReLU", "Sigmoid", "Dropout", "Normalize":
                out = input
            case "Eltwise":
                let shapesIn = layer.bottom.compactMap { shapes[$0] }
                XCTAssertEqual(Set(shapesIn.map(\.description)).count, 1, "\(layer.name): Eltwise of \(shapesIn)", file: file, line: line)
                out = input
            case "InnerProduct":
                out = Shape(channels: Int(layer.innerProductParam.numOutput), height: 1, width: 1)
            case "Reshape":
                out = Shape(channels: input.channels * input.height * input.width, height: 1, width: 1)
            case "Concat" where layer.concatParam.axis == 1:
                let shapesIn = layer.bottom.compactMap { shapes[$0] }
                guard shapesIn.count == layer.bottom.count else { continue }
                XCTAssertEqual(Set(shapesIn.map { "\($0.height)x\($0.width)" }).count, 1,
                               "\(layer.name): Concat of \(shapesIn)", file: file, line: line)
                out = Shape(channels: shapesIn.map(\.channels).reduce(0, +), height: input.height, width: input.width)
            default:
                continue
            }
            if let out { for top in layer.top { shapes[top] = out } }
        }
        return shapes
    }

    private func deploy(_ model: DSODModel) throws -> Caffe_NetParameter {
        try DSODJob(script: DSODScript(model: model, dataset: .voc0712, home: "/home/user")).deploy
    }

    func testDSOD300SourceSizes() throws {
        let shapes = shapes(try deploy(.dsod300))
        XCTAssertEqual(["First", "Second", "Third", "Fourth", "Fifth", "Sixth"].map { shapes[$0]?.height }, [38, 19, 10, 5, 3, 2])
        XCTAssertEqual(shapes["First"]?.channels, 800)
    }

    /// DSOD512_V3_Body's comments: 64, 32, 16, 8, 4, 2, 1.
    func testDSOD512SourceSizes() throws {
        let net = try deploy(.dsod512)
        let shapes = shapes(net)
        let sources = ["First", "Second", "Third", "Fourth", "Fifth_", "Sixth_", "Seventh_"]
        XCTAssertEqual(sources.map { shapes[$0]?.height }, [64, 32, 16, 8, 4, 2, 1])
        XCTAssertEqual(net.inputShape.first?.dim, [1, 3, 512, 512])
        let priorBoxes = net.layer.filter { $0.type == "PriorBox" }
        XCTAssertEqual(priorBoxes.map { $0.bottom.first ?? "" }, sources.map { "\($0)_norm" })
        XCTAssertEqual(priorBoxes.map { $0.priorBoxParam.step }, [8, 16, 32, 64, 128, 256, 512])
    }

    /// GRP-DSOD320: the gated sources at 40, 20, 10, 5, 3, 2 with the channels the script's
    /// `channel_nums` gives the gates.
    func testGRPDSOD320SourceSizesAndGateChannels() throws {
        let shapes = shapes(try deploy(.grpDSOD320))
        let sources = (1...6).map { "Recurrent\($0)_gate" }
        XCTAssertEqual(sources.map { shapes[$0]?.height }, [40, 20, 10, 5, 3, 2])
        XCTAssertEqual(sources.map { shapes[$0]?.channels }, [1184, 513, 258, 258, 258, 256])
    }
}
