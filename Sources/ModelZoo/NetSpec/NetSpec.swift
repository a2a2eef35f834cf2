import CaffeProto

/// One output blob of a layer, as `net_spec.Top`: a layer function and which of its tops.
/// Two tops are the same when they come from the same `LayerFunction` object and index.
public struct Top: Hashable {
    public let function: LayerFunction
    public let index: Int

    public static func == (lhs: Top, rhs: Top) -> Bool {
        lhs.function === rhs.function && lhs.index == rhs.index
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ObjectIdentifier(function))
        hasher.combine(index)
    }
}

/// A layer applied to its bottoms, as `net_spec.Function`: type, inputs, keyword arguments,
/// number of tops and whether it works in place. It has no name until the net is serialized.
public final class LayerFunction {
    public let type: String
    public let inputs: [Top]
    /// Keyword arguments in the order given; `NetSpec.update` adds to them.
    public internal(set) var params: ParamDict
    public let ntop: Int
    /// An in-place layer's tops are its bottoms (`in_place=True`).
    public let inPlace: Bool

    public init(type: String, inputs: [Top], params: ParamDict, ntop: Int = 1, inPlace: Bool = false) {
        self.type = type
        self.inputs = inputs
        self.params = params
        self.ntop = max(0, ntop)
        self.inPlace = inPlace
    }

    /// Every top of the layer, in order.
    public var tops: [Top] { (0..<ntop).map { Top(function: self, index: $0) } }
}

/// A net under construction, as `caffe.NetSpec`: named tops in the order first assigned.
/// `toProto()` emits every layer needed to compute them, naming each layer after its first top
/// and each unnamed top `<Type><n>`, counted per type in the order layers are emitted.
///
///     let net = NetSpec()
///     net["data"] = L.layer("Input", [], ["shape": ["dim": .ints([1, 3, 300, 300])]])
///     net["conv"] = L.Convolution(try net.top("data"), params: ["num_output": 64, "kernel_size": 3])
///     let proto = try net.toProto()
public final class NetSpec {
    /// What a name refers to: a top, or a layer with no tops (`ntop=0`).
    enum Entry {
        case top(Top)
        case layer(LayerFunction)

        var function: LayerFunction {
            switch self {
            case .top(let top): return top.function
            case .layer(let function): return function
            }
        }
    }

    private var entries: [(name: String, entry: Entry)] = []

    public init() {}

    /// `net.name` / `net[name]`. Assigning to an existing name keeps its place in the order
    /// (an OrderedDict); assigning nil removes it.
    public subscript(name: String) -> Top? {
        get {
            guard let entry = entries.first(where: { $0.name == name })?.entry, case .top(let top) = entry else { return nil }
            return top
        }
        set { set(name, newValue.map(Entry.top)) }
    }

    /// Names a layer that has no tops (`ntop=0`), so it is serialized under that name.
    public func setLayer(_ name: String, _ function: LayerFunction) { set(name, .layer(function)) }

    private func set(_ name: String, _ entry: Entry?) {
        let index = entries.firstIndex(where: { $0.name == name })
        switch (index, entry) {
        case let (index?, entry?): entries[index].entry = entry
        case let (nil, entry?): entries.append((name, entry))
        case let (index?, nil): entries.remove(at: index)
        case (nil, nil): break
        }
    }

    /// The top named `name`, or an error listing the names the net has (Python's KeyError).
    public func top(_ name: String) throws -> Top {
        guard let top = self[name] else { throw NetSpecError.unknownTop(name, known: keys) }
        return top
    }

    /// Names in assignment order (`net.keys()`).
    public var keys: [String] { entries.map(\.name) }

    public func contains(_ name: String) -> Bool { entries.contains { $0.name == name } }

    /// `net.update(name, params)`: adds keyword arguments to the layer producing `name`.
    public func update(_ name: String, _ params: ParamDict) throws {
        guard let entry = entries.first(where: { $0.name == name })?.entry else {
            throw NetSpecError.unknownTop(name, known: keys)
        }
        entry.function.params.update(with: params)
    }

    /// The NetParameter holding every layer needed for the named tops, in the order
    /// `net_spec.py` emits them (depth first from each name, inputs before the layer).
    public func toProto() throws -> Caffe_NetParameter {
        var serializer = NetSerializer()
        // `names = {v: k for k, v in tops.items()}`: a top named twice keeps its last name.
        for (name, entry) in entries {
            switch entry {
            case .top(let top): serializer.names[.top(top)] = name
            case .layer(let function): serializer.names[.function(ObjectIdentifier(function))] = name
            }
        }
        for (_, entry) in entries { try serializer.emit(entry.function) }
        var net = Caffe_NetParameter()
        net.layer = serializer.layers
        return net
    }

    /// `net_spec.to_proto(*tops)`: the layers needed for `tops`, every name generated.
    public static func toProto(_ tops: [Top]) throws -> Caffe_NetParameter {
        var serializer = NetSerializer()
        for top in tops { try serializer.emit(top.function) }
        var net = Caffe_NetParameter()
        net.layer = serializer.layers
        return net
    }
}

/// The state of one `to_proto` call: names given so far, per-type counters, emitted layers.
struct NetSerializer {
    enum NameKey: Hashable {
        case top(Top)
        case function(ObjectIdentifier)
    }

    var names: [NameKey: String] = [:]
    private var autonames: [String: Int] = [:]
    private(set) var layers: [Caffe_LayerParameter] = []
    private var emitted: [ObjectIdentifier: Int] = [:]

    /// Emits `root` after everything it depends on. Iterative, so deep nets cannot overflow the
    /// stack, but in exactly the order of net_spec.py's recursive `_to_proto`.
    mutating func emit(_ root: LayerFunction) throws {
        guard emitted[ObjectIdentifier(root)] == nil else { return }
        var stack: [(function: LayerFunction, nextInput: Int)] = [(root, 0)]
        while let (function, nextInput) = stack.last {
            if nextInput < function.inputs.count {
                stack[stack.count - 1].nextInput += 1
                let input = function.inputs[nextInput].function
                if emitted[ObjectIdentifier(input)] == nil { stack.append((input, 0)) }
                continue
            }
            stack.removeLast()
            if emitted[ObjectIdentifier(function)] == nil {
                let layer = try build(function)
                emitted[ObjectIdentifier(function)] = layers.count
                layers.append(layer)
            }
        }
    }

    /// `_get_top_name`: the top's given name, or the next `<Type><n>`.
    private mutating func topName(_ top: Top) -> String {
        if let name = names[.top(top)] { return name }
        let name = nextAutoname(top.function.type)
        names[.top(top)] = name
        return name
    }

    /// `_get_name`: a layer is named after its first top; a layer without tops gets its own
    /// `<Type><n>`.
    private mutating func layerName(_ function: LayerFunction) -> String {
        let key = NameKey.function(ObjectIdentifier(function))
        if let name = names[key] { return name }
        let name = function.ntop > 0 ? topName(Top(function: function, index: 0)) : nextAutoname(function.type)
        names[key] = name
        return name
    }

    private mutating func nextAutoname(_ type: String) -> String {
        let count = (autonames[type] ?? 0) + 1
        autonames[type] = count
        return "\(type)\(count)"
    }

    /// `Function._to_proto` for one layer whose inputs are all emitted.
    private mutating func build(_ function: LayerFunction) throws -> Caffe_LayerParameter {
        var layer = Caffe_LayerParameter()
        layer.type = function.type
        for input in function.inputs {
            guard let producer = emitted[ObjectIdentifier(input.function)],
                  input.index < layers[producer].top.count
            else {
                let producerName = emitted[ObjectIdentifier(input.function)].map { layers[$0].name } ?? input.function.type
                throw NetSpecError.missingTop(layer: producerName, bottomOf: function.type, index: input.index)
            }
            layer.bottom.append(layers[producer].top[input.index])
        }
        // An in-place layer writes its bottoms; its own top still takes a `<Type><n>` name,
        // which becomes the layer's name (net_spec.py, Function._to_proto and _get_name).
        layer.top = function.inPlace ? layer.bottom : function.tops.map { topName($0) }
        layer.name = layerName(function)
        try LayerKeywordArguments.apply(function.params, type: function.type, to: &layer)
        return layer
    }
}
