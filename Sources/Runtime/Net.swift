import CaffeProto

/// A network built from a NetParameter with Caffe's semantics (src/caffe/net.cpp `Net::Init`):
/// include/exclude filtering by phase, level and stages; legacy `input` fields; automatic Split
/// layers; in-place layers; loss weights; which layers and bottoms need backward (`lr_mult`,
/// `propagate_down`, `force_backward`); parameter sharing by `param { name }`.
///
/// Typical use:
///
///     let net = try Net(path: "deploy.prototxt", phase: .test, registry: .standard)
///     try net.loadWeights(from: "weights.caffemodel")
///     try net.blob(named: "data")!.setData(values)
///     try net.forward()
///     let scores = net.blob(named: "mbox_conf")!.dataArray()
public final class Net {
    public let name: String
    public let phase: Caffe_Phase
    /// The NetParameter the net was built from, after filtering, upgrades and split insertion,
    /// with each layer's phase set.
    public let builtParameter: Caffe_NetParameter
    /// The net's random source (fillers, Dropout).
    public let random: RandomSource
    /// Opt-in fixes of Caffe bugs given to every layer.
    public let options: LayerOptions
    /// Speed and memory switches (folding), see `NetOptimizations`.
    public let optimizations: NetOptimizations

    public private(set) var layers: [Layer] = []
    public private(set) var layerNames: [String] = []
    public private(set) var blobs: [Blob] = []
    public private(set) var blobNames: [String] = []
    public private(set) var bottoms: [[Blob]] = []
    public private(set) var tops: [[Blob]] = []
    public private(set) var bottomBlobIndices: [[Int]] = []
    public private(set) var topBlobIndices: [[Int]] = []
    /// Whether each layer runs in `backward()`.
    public private(set) var layerNeedsBackward: [Bool] = []
    /// Whether each bottom of each layer receives a gradient.
    public private(set) var bottomNeedsBackward: [[Bool]] = []
    public private(set) var blobNeedsBackward: [Bool] = []
    /// Loss weight of each blob (0 for non-loss blobs).
    public private(set) var blobLossWeights: [Float] = []
    /// Blobs produced by Input layers, in order.
    public private(set) var inputBlobIndices: [Int] = []
    /// Blobs no layer consumes, sorted by name (Caffe's net outputs).
    public private(set) var outputBlobIndices: [Int] = []
    /// Layers taken over by a neighbouring convolution (`NetOptimizations.foldBatchNorm`): they
    /// do not run, and their tops other than the chain's last are not computed.
    public internal(set) var layerIsFolded: [Bool] = []
    /// Storage reuse (`NetOptimizations.reuseMemory`), nil when off or not applicable.
    var memoryPlan: MemoryPlan?

    /// Every parameter blob of every layer, in layer order (shared ones included).
    public private(set) var params: [Blob] = []
    /// For each entry of `params`: the index of its owner in `params`, or nil if it owns itself.
    public private(set) var paramOwners: [Int?] = []
    /// For each entry of `params`: (layer index, blob index in the layer).
    public private(set) var paramLayerIndices: [(layer: Int, blob: Int)] = []
    /// For each entry of `params`: its `param { name }` or its index as text.
    public private(set) var paramDisplayNames: [String] = []
    /// The distinct learnable blobs (owners only), as the solver updates them.
    public private(set) var learnableParams: [Blob] = []
    /// For each entry of `params`: index into `learnableParams`.
    public private(set) var learnableParamIndices: [Int] = []
    /// Per learnable param: lr_mult and decay_mult (1 when not given).
    public private(set) var paramLearningRateMultipliers: [Float] = []
    public private(set) var paramWeightDecayMultipliers: [Float] = []
    private var hasParamLearningRate: [Bool] = []
    private var hasParamWeightDecay: [Bool] = []
    private var paramNameIndex: [String: Int] = [:]

    private var blobIndex: [String: Int] = [:]
    private var layerIndex: [String: Int] = [:]

    /// Receives Caffe's `debug_info` lines while set (see NetDebugInfo.swift); nil turns them off.
    public var debugInfoSink: ((NetDebugLine) -> Void)?

    /// Reads a net definition (text or binary, upgraded by `CaffeFiles.readNet`) and builds it.
    public convenience init(path: String, phase: Caffe_Phase? = nil, level: Int32? = nil, stages: [String]? = nil,
                            registry: LayerRegistry, seed: UInt64 = RandomSource.defaultSeed,
                            options: LayerOptions = LayerOptions(), optimizations: NetOptimizations = .all) throws {
        let parameter = try CaffeFiles.readNet(path)
        do {
            try self.init(parameter: parameter, phase: phase, level: level, stages: stages, registry: registry,
                          seed: seed, options: options, optimizations: optimizations)
        } catch let error as NetError where error.file == nil {
            throw NetError(file: path, layer: error.layer, message: error.message)
        } catch let error as LayerError {
            throw NetError(file: path, message: error.description)
        }
    }

    /// Builds the net. `phase`, `level` and `stages` override the NetParameter's `state` when
    /// given (as Caffe's `Net(file, phase, level, stages)`). `optimizations` (all on by default)
    /// change speed and memory, not results beyond float rounding.
    public init(parameter: Caffe_NetParameter, phase: Caffe_Phase? = nil, level: Int32? = nil, stages: [String]? = nil,
                registry: LayerRegistry, seed: UInt64 = RandomSource.defaultSeed,
                options: LayerOptions = LayerOptions(), optimizations: NetOptimizations = .all) throws {
        var input = try LegacyNetInput.upgrade(parameter)
        if let phase { input.state.phase = phase }
        if let level { input.state.level = level }
        if let stages { input.state.stage += stages }
        guard input.layers.isEmpty else {
            throw NetError(message: "the net uses V1 'layers' entries; read it with CaffeFiles.readNet to upgrade them")
        }
        self.phase = input.state.phase
        self.name = input.name
        self.random = RandomSource(seed: seed)
        self.options = options
        self.optimizations = optimizations
        let filtered = try NetStateRules.filter(input)
        var built = try SplitInsertion.insertSplits(filtered)
        for i in built.layer.indices where !built.layer[i].hasPhase {
            built.layer[i].phase = self.phase
        }
        self.builtParameter = built
        try construct(built, registry: registry)
    }

    // MARK: Construction (net.cpp Net::Init)

    private func construct(_ param: Caffe_NetParameter, registry: LayerRegistry) throws {
        var available = Set<String>()
        let context = LayerContext(random: random, options: options)
        for (layerId, layerParam) in param.layer.enumerated() {
            if !layerParam.propagateDown.isEmpty && layerParam.propagateDown.count != layerParam.bottom.count {
                throw NetError(layer: layerParam.name, message: "propagate_down must be given either 0 or \(layerParam.bottom.count) (bottom count) times, got \(layerParam.propagateDown.count)")
            }
            let layer: Layer
            do {
                layer = try registry.makeLayer(layerParam, context: context)
            } catch let error as LayerError {
                throw error
            } catch {
                throw LayerError(layer: layerParam.name, type: layerParam.type, message: "\(error)")
            }
            layers.append(layer)
            layerNames.append(layerParam.name)
            bottoms.append([])
            tops.append([])
            bottomBlobIndices.append([])
            topBlobIndices.append([])
            bottomNeedsBackward.append([])
            var needBackward = false

            for (bottomId, blobName) in layerParam.bottom.enumerated() {
                guard available.contains(blobName), let blobId = blobIndex[blobName] else {
                    throw NetError(layer: layerParam.name, message: "unknown bottom blob '\(blobName)' (bottom index \(bottomId))")
                }
                bottoms[layerId].append(blobs[blobId])
                bottomBlobIndices[layerId].append(blobId)
                available.remove(blobName)
                var need = blobNeedsBackward[blobId]
                if !layerParam.propagateDown.isEmpty { need = layerParam.propagateDown[bottomId] }
                bottomNeedsBackward[layerId].append(need)
                needBackward = needBackward || blobNeedsBackward[blobId]
            }
            for (topId, blobName) in layerParam.top.enumerated() {
                try appendTop(layerParam, layerId: layerId, topId: topId, blobName: blobName, available: &available)
                if layerParam.type == "Input", let blobId = topBlobIndices[layerId].last {
                    inputBlobIndices.append(blobId)
                }
            }
            if layer.autoTopBlobs {
                let needed = max(layer.blobCounts.minTops ?? 0, layer.blobCounts.exactTops ?? 0)
                var count = layerParam.top.count
                while count < needed {
                    appendAnonymousTop(layerId: layerId)
                    count += 1
                }
            }
            do {
                try layer.setUp(bottom: bottoms[layerId], top: tops[layerId])
            } catch let error as LayerError {
                throw error
            } catch {
                throw layer.error("\(error)")
            }
            for (topId, blobId) in topBlobIndices[layerId].enumerated() {
                if blobLossWeights.count <= blobId {
                    blobLossWeights += Array(repeating: 0, count: blobId + 1 - blobLossWeights.count)
                }
                blobLossWeights[blobId] = layer.lossWeight(top: topId)
            }
            // Net::Init reads lr_mult from the net's own LayerParameter, not from the layer's copy
            // (which BatchNorm extends with lr_mult 0 specs): a BatchNorm without param specs
            // still counts as having learnable parameters here.
            let paramSpecs = layerParam.param
            guard paramSpecs.count <= layer.blobs.count else {
                throw layer.error("too many param specs (\(paramSpecs.count)) for its \(layer.blobs.count) parameter blob(s)")
            }
            layer.parameterPropagateDown = Array(repeating: true, count: layer.blobs.count)
            for paramId in 0..<layer.blobs.count {
                let lrMult: Float = paramId < paramSpecs.count ? paramSpecs[paramId].lrMult : 1
                let paramNeedsBackward = lrMult != 0
                needBackward = needBackward || paramNeedsBackward
                layer.parameterPropagateDown[paramId] = paramNeedsBackward
            }
            for paramId in 0..<layer.blobs.count {
                try appendParam(layerId: layerId, paramId: paramId)
            }
            layerNeedsBackward.append(needBackward)
            if needBackward {
                for blobId in topBlobIndices[layerId] { blobNeedsBackward[blobId] = true }
            }
        }
        resolveBackwardNeeds(forceBackward: param.forceBackward)
        outputBlobIndices = available.sorted().compactMap { blobIndex[$0] }
        for (index, name) in layerNames.enumerated() where layerIndex[name] == nil { layerIndex[name] = index }
        shareWeights()
        layerIsFolded = Array(repeating: false, count: layers.count)
        foldChannelChains()
        shareSplitDiffs()
        if optimizations.reuseMemory { memoryPlan = planMemory() }
    }

    /// Makes layer `layer` write blob `blob` instead of its top (folding).
    func retarget(layer: Int, top blob: Int) {
        tops[layer] = [blobs[blob]]
        topBlobIndices[layer] = [blob]
    }

    /// Layer `layer` runs the backward of the folded `chain` in front of it: it takes over the
    /// first chain layer's bottom gradient and runs whenever any of them would (folding).
    func adoptBackward(of chain: [Int], into layer: Int) {
        guard let first = chain.first else { return }
        bottomNeedsBackward[layer] = [bottomNeedsBackward[first].first ?? false]
        var needs = layerNeedsBackward[layer]
        for j in chain {
            needs = needs || layerNeedsBackward[j]
            layerNeedsBackward[j] = false
        }
        layerNeedsBackward[layer] = needs
    }

    /// Makes layer `layer` read blob `blob` instead of its bottom (folding).
    func rebind(layer: Int, bottom blob: Int) {
        bottoms[layer] = [blobs[blob]]
        bottomBlobIndices[layer] = [blob]
    }

    private func appendTop(_ layerParam: Caffe_LayerParameter, layerId: Int, topId: Int, blobName: String,
                           available: inout Set<String>) throws {
        if layerParam.bottom.count > topId && layerParam.bottom[topId] == blobName, let blobId = blobIndex[blobName] {
            // In-place computation: the top is the bottom's blob.
            tops[layerId].append(blobs[blobId])
            topBlobIndices[layerId].append(blobId)
        } else if blobIndex[blobName] != nil {
            throw NetError(layer: layerParam.name, message: "top blob '\(blobName)' is produced by more than one layer (only in-place layers, with the same name at the same bottom index, may rewrite a blob)")
        } else {
            let blob = try Blob()
            let blobId = blobs.count
            blobs.append(blob)
            blobNames.append(blobName)
            blobNeedsBackward.append(false)
            blobIndex[blobName] = blobId
            tops[layerId].append(blob)
            topBlobIndices[layerId].append(blobId)
        }
        available.insert(blobName)
    }

    private func appendAnonymousTop(layerId: Int) {
        // Anonymous tops cannot be read by other layers (not registered by name).
        guard let blob = try? Blob() else { return }
        let blobId = blobs.count
        blobs.append(blob)
        blobNames.append("(automatic)")
        blobNeedsBackward.append(false)
        tops[layerId].append(blob)
        topBlobIndices[layerId].append(blobId)
    }

    private func appendParam(layerId: Int, paramId: Int) throws {
        let layer = layers[layerId]
        let specs = layer.parameter.param
        let spec = paramId < specs.count ? specs[paramId] : Caffe_ParamSpec()
        let paramName = paramId < specs.count ? specs[paramId].name : ""
        paramDisplayNames.append(paramName.isEmpty ? String(paramId) : paramName)
        let netParamId = params.count
        params.append(layer.blobs[paramId])
        paramLayerIndices.append((layerId, paramId))
        if paramName.isEmpty || paramNameIndex[paramName] == nil {
            // This layer owns the blob.
            paramOwners.append(nil)
            if !paramName.isEmpty { paramNameIndex[paramName] = netParamId }
            learnableParamIndices.append(learnableParams.count)
            learnableParams.append(params[netParamId])
            hasParamLearningRate.append(spec.hasLrMult)
            hasParamWeightDecay.append(spec.hasDecayMult)
            paramLearningRateMultipliers.append(spec.lrMult)
            paramWeightDecayMultipliers.append(spec.decayMult)
            return
        }
        guard let ownerId = paramNameIndex[paramName] else { return }
        paramOwners.append(ownerId)
        let owner = paramLayerIndices[ownerId]
        let ownerBlob = layers[owner.layer].blobs[owner.blob]
        let thisBlob = layer.blobs[paramId]
        let ownerName = layerNames[owner.layer]
        if spec.shareMode == .permissive {
            guard thisBlob.count == ownerBlob.count else {
                throw NetError(layer: layer.name, message: "cannot share param '\(paramName)' owned by layer '\(ownerName)': count mismatch (owner shape \(ownerBlob.shapeString), this layer's \(thisBlob.shapeString))")
            }
        } else if thisBlob.shape != ownerBlob.shape {
            throw NetError(layer: layer.name, message: "cannot share param '\(paramName)' owned by layer '\(ownerName)': shape mismatch (owner shape \(ownerBlob.shapeString), this layer expects \(thisBlob.shapeString)); use share_mode: PERMISSIVE to compare counts only")
        }
        let learnableId = learnableParamIndices[ownerId]
        learnableParamIndices.append(learnableId)
        if spec.hasLrMult {
            if hasParamLearningRate[learnableId] {
                guard spec.lrMult == paramLearningRateMultipliers[learnableId] else {
                    throw NetError(layer: layer.name, message: "shared param '\(paramName)' has lr_mult \(spec.lrMult), its owner '\(ownerName)' \(paramLearningRateMultipliers[learnableId])")
                }
            } else {
                hasParamLearningRate[learnableId] = true
                paramLearningRateMultipliers[learnableId] = spec.lrMult
            }
        }
        if spec.hasDecayMult {
            if hasParamWeightDecay[learnableId] {
                guard spec.decayMult == paramWeightDecayMultipliers[learnableId] else {
                    throw NetError(layer: layer.name, message: "shared param '\(paramName)' has decay_mult \(spec.decayMult), its owner '\(ownerName)' \(paramWeightDecayMultipliers[learnableId])")
                }
            } else {
                hasParamWeightDecay[learnableId] = true
                paramWeightDecayMultipliers[learnableId] = spec.decayMult
            }
        }
    }

    /// The backward pass of Net::Init: a layer runs backward only if it contributes to a loss
    /// and some bottom or parameter needs a gradient; `force_backward` then turns on every layer,
    /// every allowed bottom and every parameter.
    private func resolveBackwardNeeds(forceBackward: Bool) {
        var blobsUnderLoss = Set<Int>()
        var blobsSkipBackward = Set<Int>()
        for layerId in stride(from: layers.count - 1, through: 0, by: -1) {
            var contributesLoss = false
            var skipPropagateDown = true
            for (topId, blobId) in topBlobIndices[layerId].enumerated() {
                if layers[layerId].lossWeight(top: topId) != 0 || blobsUnderLoss.contains(blobId) {
                    contributesLoss = true
                }
                if !blobsSkipBackward.contains(blobId) { skipPropagateDown = false }
                if contributesLoss && !skipPropagateDown { break }
            }
            if layerNeedsBackward[layerId] && skipPropagateDown {
                layerNeedsBackward[layerId] = false
                for i in bottomNeedsBackward[layerId].indices { bottomNeedsBackward[layerId][i] = false }
            }
            if !contributesLoss { layerNeedsBackward[layerId] = false }
            for (bottomId, blobId) in bottomBlobIndices[layerId].enumerated() {
                if contributesLoss {
                    blobsUnderLoss.insert(blobId)
                } else {
                    bottomNeedsBackward[layerId][bottomId] = false
                }
                if !bottomNeedsBackward[layerId][bottomId] { blobsSkipBackward.insert(blobId) }
            }
        }
        guard forceBackward else { return }
        for layerId in layers.indices {
            layerNeedsBackward[layerId] = true
            for (bottomId, blobId) in bottomBlobIndices[layerId].enumerated() {
                let need = bottomNeedsBackward[layerId][bottomId] || layers[layerId].allowForceBackward(bottomIndex: bottomId)
                bottomNeedsBackward[layerId][bottomId] = need
                blobNeedsBackward[blobId] = blobNeedsBackward[blobId] || need
            }
            for paramId in layers[layerId].blobs.indices {
                layers[layerId].parameterPropagateDown[paramId] = true
            }
        }
    }

    /// Non-owners read and write their owner's memory (Net::ShareWeights).
    private func shareWeights() {
        for (index, owner) in paramOwners.enumerated() {
            guard let owner else { continue }
            params[index].shareStorage(with: params[owner])
        }
    }

    // MARK: Lookup

    public func blob(named name: String) -> Blob? {
        blobIndex[name].map { blobs[$0] }
    }

    public func hasBlob(_ name: String) -> Bool { blobIndex[name] != nil }

    public func layer(named name: String) -> Layer? {
        layerIndex[name].map { layers[$0] }
    }

    public func indexOfLayer(named name: String) -> Int? { layerIndex[name] }

    public var inputBlobs: [Blob] { inputBlobIndices.map { blobs[$0] } }
    public var outputBlobs: [Blob] { outputBlobIndices.map { blobs[$0] } }
    public var inputBlobNames: [String] { inputBlobIndices.map { blobNames[$0] } }
    public var outputBlobNames: [String] { outputBlobIndices.map { blobNames[$0] } }
}
