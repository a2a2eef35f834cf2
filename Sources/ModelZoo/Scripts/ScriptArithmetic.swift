import Foundation

/// The values DSOD's scripts compute from their settings, computed the same way (Python 2
/// integer division, `math.ceil` on floats), so every number in the generated files matches.
extension DSODScript {
    /// `loc_weight = (neg_pos_ratio + 1.) / 4.`
    public var locWeight: Double { (negPosRatio + 1) / 4 }

    /// The min and max prior size of each source layer: sizes from `minRatio` to `maxRatio`
    /// percent of `minDim` in equal integer steps, after one smaller size for the first source.
    ///
    ///     step = int(math.floor((max_ratio - min_ratio) / (len(mbox_source_layers) - 2)))
    ///     for ratio in xrange(min_ratio, max_ratio + 1, step):
    ///       min_sizes.append(min_dim * ratio / 100.)
    ///       max_sizes.append(min_dim * (ratio + step) / 100.)
    public func priorSizes() throws -> (min: [Double], max: [Double]) {
        let divisor = mboxSourceLayers.count - 2
        guard divisor > 0 else {
            throw NetSpecError.invalidRecipe("prior sizes need at least 3 source layers, got \(mboxSourceLayers.count)")
        }
        // Python 2 integer division (floor), then math.floor: one floor division.
        let step = Int((Double(maxRatio - minRatio) / Double(divisor)).rounded(.down))
        guard step > 0 else {
            throw NetSpecError.invalidRecipe("prior size step is \(step): max_ratio \(maxRatio) must exceed min_ratio \(minRatio) by at least \(divisor)")
        }
        var minSizes = [Double(minDim * firstMinPercent) / 100]
        var maxSizes = [Double(minDim * firstMaxPercent) / 100]
        for ratio in stride(from: minRatio, through: maxRatio, by: step) {
            minSizes.append(Double(minDim * ratio) / 100)
            maxSizes.append(Double(minDim * (ratio + step)) / 100)
        }
        return (minSizes, maxSizes)
    }

    /// `prior_variance`: four values for CENTER_SIZE coding, else one.
    public var priorVariance: [Double] { codeType == "CENTER_SIZE" ? [0.1, 0.1, 0.2, 0.2] : [0.1] }

    /// How the mini-batch is split across the GPUs in `gpus`.
    public struct BatchSplit: Sendable, Equatable {
        public var gpuIDs: [Int]
        public var batchSizePerDevice: Int
        public var iterSize: Int
        /// GPU when `gpus` names at least one device, else CPU.
        public var solverMode: String
        public var deviceID: Int
    }

    /// The scripts' batch arithmetic:
    ///
    ///     iter_size = accum_batch_size / batch_size          # CPU: integer division
    ///     batch_size_per_device = int(math.ceil(float(batch_size) / num_gpus))
    ///     iter_size = int(math.ceil(float(accum_batch_size) / (batch_size_per_device * num_gpus)))
    ///
    /// An empty `gpus` means no GPU (the scripts' CPU branch, which they cannot reach because
    /// `"".split(",")` is one empty name).
    public func batchSplit() throws -> BatchSplit {
        guard batchSize > 0, accumBatchSize > 0 else {
            throw NetSpecError.invalidRecipe("batch size (\(batchSize)) and accumulated batch size (\(accumBatchSize)) must be positive")
        }
        let gpuIDs = try parsedGPUs()
        if gpuIDs.isEmpty {
            // The scripts' integer division would give iter_size 0, and a solver that never
            // runs the net.
            guard accumBatchSize >= batchSize else {
                throw NetSpecError.invalidRecipe("accumulated batch size \(accumBatchSize) is smaller than the batch size \(batchSize); iter_size would be 0")
            }
            return BatchSplit(gpuIDs: [], batchSizePerDevice: batchSize, iterSize: accumBatchSize / batchSize,
                              solverMode: "CPU", deviceID: 0)
        }
        let perDevice = Int((Double(batchSize) / Double(gpuIDs.count)).rounded(.up))
        let iterSize = Int((Double(accumBatchSize) / Double(perDevice * gpuIDs.count)).rounded(.up))
        return BatchSplit(gpuIDs: gpuIDs, batchSizePerDevice: perDevice, iterSize: iterSize, solverMode: "GPU", deviceID: gpuIDs[0])
    }

    /// The device numbers in `gpus` ("0,1,2"), or an error naming the one that is not a number.
    public func parsedGPUs() throws -> [Int] {
        let trimmed = gpus.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return [] }
        return try trimmed.split(separator: ",", omittingEmptySubsequences: false).map { part in
            guard let id = Int(part.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw NetSpecError.invalidRecipe("gpus: '\(part)' is not a device number (expected e.g. 0,1,2,3)")
            }
            return id
        }
    }

    /// The solver's `base_lr`: `base_lr` scaled for the loss normalization, times 10.
    ///
    ///     if normalization_mode == P.Loss.NONE: base_lr /= batch_size_per_device
    ///     elif normalization_mode == P.Loss.VALID: base_lr *= 25. / loc_weight
    ///     elif normalization_mode == P.Loss.FULL: base_lr *= 2000.
    ///     'base_lr': 10 * base_lr
    public func solverBaseLR(batchSizePerDevice: Int) -> Double {
        var lr = baseLR
        switch normalizationMode {
        case "NONE": lr /= Double(batchSizePerDevice)
        case "VALID": lr *= 25 / locWeight
        case "FULL": lr *= 2000
        default: break
        }
        return 10 * lr
    }

    /// `test_iter`: enough batches to cover the test set (the COCO script floors).
    public var testIter: Int {
        guard testBatchSize > 0 else { return 0 }
        return testIterRoundsUp ? Int((Double(numTestImage) / Double(testBatchSize)).rounded(.up)) : numTestImage / testBatchSize
    }

    // The files a script writes, relative to the Caffe root it runs in (an empty folder is the
    // root itself: the demo's flat layout).
    public var trainNetFile: String { DSODScript.path(saveDir, "train.prototxt") }
    public var testNetFile: String { DSODScript.path(saveDir, "test.prototxt") }
    public var deployNetFile: String { DSODScript.path(saveDir, "deploy.prototxt") }
    public var solverFile: String { DSODScript.path(saveDir, "solver.prototxt") }
    public var snapshotPrefix: String { DSODScript.path(snapshotDir, modelName) }
    public var jobFile: String { DSODScript.path(jobDir, "\(modelName).sh") }

    /// `name` inside `folder`, or `name` alone when `folder` is empty.
    public static func path(_ folder: String, _ name: String) -> String { folder.isEmpty ? name : "\(folder)/\(name)" }
}
