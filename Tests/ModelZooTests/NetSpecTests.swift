import CaffeProto
import ModelZoo
import XCTest

/// NetSpec against the behaviour of Caffe's python/caffe/net_spec.py (SSD fork). Each expected
/// net is what net_spec.py prints for the same Python, written out by hand from its rules.
final class NetSpecTests: XCTestCase {
    private func parse(_ text: String) throws -> Caffe_NetParameter {
        try CaffeText.parse(text, as: Caffe_NetParameter.self, file: "expected")
    }

    private func input(_ net: NetSpec) {
        net["data"] = L.layer("Input", [], ["shape": ["dim": .ints([1, 3, 8, 8])]])
    }

    /// Unnamed tops are `<Type><n>`, counted per type in emission order; a layer is named after
    /// its first top; in-place layers write their bottom but still take a counter value.
    func testAutomaticNamesAndInPlaceLayers() throws {
        let net = NetSpec()
        input(net)
        let bn = L.BatchNorm(try net.top("data"))
        let scale = L.Scale(bn, params: ["bias_term": true], inPlace: true)
        let relu = L.ReLU(scale, inPlace: true)
        let conv = L.Convolution(relu, params: ["num_output": 4, "kernel_size": 3])
        let bn2 = L.BatchNorm(conv, inPlace: true)
        net["out"] = L.Convolution(bn2, params: ["num_output": 2, "kernel_size": 1])

        let expected = try parse("""
            layer { name: "data" type: "Input" top: "data" input_param { shape { dim: 1 dim: 3 dim: 8 dim: 8 } } }
            layer { name: "BatchNorm1" type: "BatchNorm" bottom: "data" top: "BatchNorm1" }
            layer { name: "Scale1" type: "Scale" bottom: "BatchNorm1" top: "BatchNorm1" scale_param { bias_term: true } }
            layer { name: "ReLU1" type: "ReLU" bottom: "BatchNorm1" top: "BatchNorm1" }
            layer { name: "Convolution1" type: "Convolution" bottom: "BatchNorm1" top: "Convolution1"
                    convolution_param { num_output: 4 kernel_size: 3 } }
            layer { name: "BatchNorm2" type: "BatchNorm" bottom: "Convolution1" top: "Convolution1" }
            layer { name: "out" type: "Convolution" bottom: "Convolution1" top: "out"
                    convolution_param { num_output: 2 kernel_size: 1 } }
            """)
        XCTAssertEqual(try net.toProto(), expected)
    }

    /// Layers are emitted depth first from each named top in assignment order, inputs before the
    /// layer, so counters follow that order, not construction order.
    func testEmissionOrderFollowsNamedTops() throws {
        let net = NetSpec()
        input(net)
        let data = try net.top("data")
        let late = L.Pooling(data, params: ["pool": .enumValue("MAX"), "kernel_size": 2])  // built first
        let early = L.Pooling(data, params: ["pool": .enumValue("AVE"), "kernel_size": 2])
        net["b"] = L.Concat(early, late, params: ["axis": 1])
        let names = try net.toProto().layer.map(\.name)
        XCTAssertEqual(names, ["data", "Pooling1", "Pooling2", "b"])
        XCTAssertEqual(try net.toProto().layer[1].poolingParam.pool, .ave, "the first input is emitted first")
    }

    /// A top assigned to two names is serialized under the later one; reassigning a name keeps
    /// its first position (OrderedDict).
    func testTwiceNamedTopTakesTheLastNameAndReassignmentKeepsOrder() throws {
        let net = NetSpec()
        input(net)
        let pooled = L.Pooling(try net.top("data"), params: ["kernel_size": 2])
        net["first"] = pooled
        net["second"] = L.ReLU(pooled)
        net["alias"] = pooled
        net["first"] = pooled
        XCTAssertEqual(net.keys, ["data", "first", "second", "alias"])
        let layers = try net.toProto().layer
        XCTAssertEqual(layers.map(\.name), ["data", "alias", "second"])
        XCTAssertEqual(layers[2].bottom, ["alias"])
    }

    /// Keyword arguments: `*param` keys on the layer; other keys in `<type>_param` when it has
    /// that field, else on the layer; repeated fields from scalars or lists; dicts merge;
    /// `name` overrides the generated name; a type without a message puts keys on the layer.
    func testKeywordArgumentPlacement() throws {
        let net = NetSpec()
        input(net)
        let data = try net.top("data")
        net["conv"] = L.Convolution(data, params: [
            "num_output": 8, "kernel_size": 3, "weight_filler": ["type": "xavier"],
            "param": [["lr_mult": 1, "decay_mult": 1], ["lr_mult": 2, "decay_mult": 0]],
            "include": ["phase": .enumValue("TEST")],
            "propagate_down": .bools([false]),
            "loss_weight": 0.5,
            "name": "renamed",
        ])
        net["deconv"] = L.Deconvolution(data, params: ["convolution_param": ["num_output": 3, "kernel_size": 2], "exclude": ["stage": "x"]])
        let layers = try net.toProto().layer
        let conv = layers[1]
        XCTAssertEqual(conv.name, "renamed")
        XCTAssertEqual(conv.top, ["conv"], "the top keeps its NetSpec name")
        XCTAssertEqual(conv.convolutionParam.numOutput, 8)
        XCTAssertEqual(conv.convolutionParam.kernelSize, [3])
        XCTAssertEqual(conv.convolutionParam.weightFiller.type, "xavier")
        XCTAssertEqual(conv.param.map(\.lrMult), [1, 2])
        XCTAssertEqual(conv.param.map(\.decayMult), [1, 0])
        XCTAssertEqual(conv.include.map(\.phase), [.test])
        XCTAssertEqual(conv.propagateDown, [false])
        XCTAssertEqual(conv.lossWeight, [0.5])
        let deconv = layers[2]
        XCTAssertEqual(deconv.convolutionParam.numOutput, 3)
        XCTAssertEqual(deconv.exclude.map(\.stage), [["x"]])
    }

    /// An empty dict leaves a sub-message unset; `[{}]` adds one empty element.
    func testEmptyDictsAndListsOfEmptyDicts() throws {
        let tops = CreateAnnotatedDataLayer(source: "db", train: false, labelMapFile: "map")
        let net = NetSpec()
        net["data"] = tops[0]
        net["label"] = tops[1]
        let layer = try net.toProto().layer[0]
        XCTAssertFalse(layer.hasTransformParam)
        XCTAssertEqual(layer.annotatedDataParam.batchSampler.count, 1)
        XCTAssertFalse(layer.annotatedDataParam.batchSampler[0].hasSampler)
        XCTAssertEqual(layer.name, "data")
        XCTAssertEqual(layer.top, ["data", "label"])
        XCTAssertEqual(layer.include.map(\.phase), [.test])
        XCTAssertEqual(layer.dataParam.backend, .lmdb)
    }

    /// `update` adds keyword arguments to the layer behind a name, replacing equal keys.
    func testUpdate() throws {
        let net = NetSpec()
        input(net)
        net["conv"] = L.Convolution(try net.top("data"), params: ["num_output": 8, "kernel_size": 3])
        try net.update("conv", ["dilation": 2, "num_output": 16])
        let conv = try net.toProto().layer[1].convolutionParam
        XCTAssertEqual(conv.dilation, [2])
        XCTAssertEqual(conv.numOutput, 16)
        XCTAssertThrowsError(try net.update("nope", ["x": 1]))
    }

    /// A layer nobody reads from a named top is not serialized (GRP-DSOD's dropout branch).
    func testUnreachableLayersAreDropped() throws {
        let net = NetSpec()
        input(net)
        let relu = L.ReLU(try net.top("data"))
        _ = L.Dropout(relu, params: ["dropout_ratio": 0.5])
        net["out"] = L.Sigmoid(relu)
        XCTAssertEqual(try net.toProto().layer.map(\.type), ["Input", "ReLU", "Sigmoid"])
    }

    /// Multi-top layers: every top gets a name in order; consumers read the right one.
    func testMultipleTops() throws {
        let net = NetSpec()
        input(net)
        let halves = L.layer("Slice", [try net.top("data")], ["axis": 1], ntop: 2)
        net["second"] = L.ReLU(halves[1])
        let layers = try net.toProto().layer
        XCTAssertEqual(layers[1].name, "Slice1")
        XCTAssertEqual(layers[1].top, ["Slice1", "Slice2"], "each top takes the next counter value")
        XCTAssertEqual(layers[2].bottom, ["Slice2"])
    }

    /// Deep chains serialize without recursion limits.
    func testDeepChain() throws {
        let net = NetSpec()
        input(net)
        var top = try net.top("data")
        for _ in 0..<20_000 { top = L.ReLU(top) }
        net["end"] = top
        let layers = try net.toProto().layer
        XCTAssertEqual(layers.count, 20_001)
        XCTAssertEqual(layers[20_000].bottom, ["ReLU19999"])
    }

    func testErrorsNameTheLayerAndKey() throws {
        let net = NetSpec()
        input(net)
        net["conv"] = L.Convolution(try net.top("data"), params: ["num_outputs": 8])
        XCTAssertThrowsError(try net.toProto()) { error in
            guard case let NetSpecError.badParameter(layer, type, key, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual([layer, type, key], ["conv", "Convolution", "num_outputs"])
            XCTAssertTrue("\(error)".contains("convolution_param"), "\(error)")
        }
        let wrongType = NetSpec()
        input(wrongType)
        wrongType["conv"] = L.Convolution(try wrongType.top("data"), params: ["num_output": 2.5])
        XCTAssertThrowsError(try wrongType.toProto())
        let emptyList = NetSpec()
        input(emptyList)
        emptyList["conv"] = L.Convolution(try emptyList.top("data"), params: ["kernel_size": []])
        XCTAssertThrowsError(try emptyList.toProto()) { error in
            XCTAssertEqual(error as? NetSpecError, .emptyList(layer: "conv", key: "kernel_size"))
        }
        XCTAssertThrowsError(try net.top("missing")) { error in
            XCTAssertTrue("\(error)".contains("'missing'") && "\(error)".contains("data"), "\(error)")
        }
    }

    /// Strings with quotes and backslashes survive the text round trip.
    func testStringEscaping() throws {
        let net = NetSpec()
        input(net)
        let odd = "a \"quoted\" \\ path\twith\nbreaks é"
        net["out"] = L.layer("Data", [try net.top("data")], ["source": .string(odd)])
        XCTAssertEqual(try net.toProto().layer[1].dataParam.source, odd)
    }

    /// `net_spec.to_proto(*tops)` names everything itself.
    func testToProtoOfUnnamedTops() throws {
        let data = L.layer("Input", [], ["shape": ["dim": .ints([1])]])
        let layers = try NetSpec.toProto([L.ReLU(data)]).layer
        XCTAssertEqual(layers.map(\.name), ["Input1", "ReLU1"])
        XCTAssertEqual(layers[1].bottom, ["Input1"])
    }
}
