import CaffeProto

extension Net {
    /// Runs every layer forward and returns the weighted loss.
    @discardableResult
    public func forward() throws -> Float {
        try forward(from: 0, to: layers.count - 1)
    }

    /// Runs layers `start...end` forward (Caffe's `ForwardFromTo`), returning their weighted loss.
    @discardableResult
    public func forward(from start: Int, to end: Int) throws -> Float {
        guard start >= 0, end < layers.count else {
            throw NetError(message: "forward range \(start)...\(end) is outside the net's \(layers.count) layers")
        }
        var loss: Float = 0
        if start > end { return 0 }
        for i in start...end {
            loss += try forwardLayer(i)
            if debugInfoSink != nil { forwardDebugInfo(i) }
        }
        return loss
    }

    /// Runs one layer forward (reshape + forward) and returns its weighted loss. A folded layer
    /// (`layerIsFolded`) does nothing: its convolution computes it.
    @discardableResult
    public func forwardLayer(_ index: Int) throws -> Float {
        if layerIsFolded[index] { return 0 }
        let layer = layers[index]
        do {
            if let memoryPlan, !memoryPlan.placements[index].isEmpty {
                return try layer.runForward(bottom: bottoms[index], top: tops[index]) {
                    memoryPlan.place(layer: index, tops: tops[index], bottoms: bottoms[index], blobs: blobs)
                }
            }
            return try layer.runForward(bottom: bottoms[index], top: tops[index])
        } catch let error as LayerError {
            throw error
        } catch {
            throw layer.error("\(error)")
        }
    }

    /// Runs every layer that needs it backward, last to first.
    public func backward() throws {
        try backward(from: layers.count - 1, to: 0)
        if debugInfoSink != nil { parameterNormsDebugInfo() }
    }

    /// Runs layers `start` down to `end` backward (Caffe's `BackwardFromTo`).
    public func backward(from start: Int, to end: Int) throws {
        guard end >= 0, start < layers.count else {
            throw NetError(message: "backward range \(start)...\(end) is outside the net's \(layers.count) layers")
        }
        if start < end { return }
        for i in stride(from: start, through: end, by: -1) where layerNeedsBackward[i] {
            try backwardLayer(i)
            if debugInfoSink != nil { backwardDebugInfo(i) }
        }
    }

    /// Runs one layer backward with the net's propagate-down flags.
    public func backwardLayer(_ index: Int) throws {
        let layer = layers[index]
        do {
            try layer.backward(top: tops[index], propagateDown: bottomNeedsBackward[index], bottom: bottoms[index])
        } catch let error as LayerError {
            throw error
        } catch {
            throw layer.error("\(error)")
        }
    }

    /// Forward then backward; returns the loss.
    @discardableResult
    public func forwardBackward() throws -> Float {
        let loss = try forward()
        try backward()
        return loss
    }

    /// Reshapes every layer from its bottoms (after an input blob changed shape).
    public func reshape() throws {
        for (index, layer) in layers.enumerated() where !layerIsFolded[index] {
            do {
                try layer.reshape(bottom: bottoms[index], top: tops[index])
            } catch let error as LayerError {
                throw error
            } catch {
                throw layer.error("\(error)")
            }
        }
    }

    /// Zeroes the gradient of every learnable parameter (once per solver iteration).
    public func clearParamDiffs() {
        for blob in learnableParams { blob.fillDiff(0) }
    }
}
