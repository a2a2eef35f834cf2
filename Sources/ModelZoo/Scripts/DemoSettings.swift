/// The `synth` dataset's settings: the README's demo, which trains DSOD_tiny from scratch on two
/// CPU cores in a few minutes. docs/models.md gives the reasons for each number.
extension DSODScript {
    /// The iterations of the demo's run: about 7 minutes at the working estimate of 0.1 s per
    /// iteration of 8 images (`dsodgen --max-iter` changes it; the schedule follows).
    public static let demoMaxIter = 2500

    /// The demo's `base_lr`. DSOD's formula gives 0.1 for a batch of 128; for a batch of 8 that
    /// is 16 times the gradient noise per step. Scaling by sqrt(8 / 128) gives 0.025; 0.02 keeps
    /// a margin for a net trained from scratch without warm-up (Caffe has no warm-up policy).
    public static let demoBaseLR = 0.02

    /// SSD's seven samplers (one whole image, then crops that overlap some object by at least
    /// 0.1, 0.3, 0.5, 0.7, 0.9 IoU or any amount) with crops of 50-100% of the image side
    /// instead of 30-100%: the test images are whole, so the short run should not spend most of
    /// its samples on objects magnified up to 3x.
    public static let demoBatchSamplers: [ParamDict] = {
        func crop(_ constraint: ParamDict) -> ParamDict {
            [
                "sampler": ["min_scale": 0.5, "max_scale": 1.0, "min_aspect_ratio": 0.5, "max_aspect_ratio": 2.0],
                "sample_constraint": .dict(constraint),
                "max_trials": 50,
                "max_sample": 1,
            ]
        }
        return [["sampler": [:], "max_trials": 1, "max_sample": 1]]
            + [0.1, 0.3, 0.5, 0.7, 0.9].map { crop(["min_jaccard_overlap": .float($0)]) }
            + [crop(["max_jaccard_overlap": 1.0])]
    }()

    /// The demo's `train_transform_param`: mirror, mean subtraction, a linear warp to the input
    /// size, milder photometric distortion than DSOD's at lower probabilities, and no zoom-out
    /// expansion (the test objects are never smaller than in the images; expansion would spend
    /// the short run on objects the test does not have). Hue is not jittered: each class has
    /// its own hue range, and Caffe's `hue_delta` of 18 is 36 degrees (OpenCV's 8-bit hue is
    /// 0-180), which would carry red discs into the orange crosses' range.
    public static func demoTrainTransform(width: Int, height: Int) -> ParamDict {
        [
            "mirror": true,
            "mean_value": [104, 117, 123],
            "resize_param": [
                "prob": 1,
                "resize_mode": .enumValue("WARP"),
                "height": .int(height),
                "width": .int(width),
                "interp_mode": .enumValues(["LINEAR"]),
            ],
            "distort_param": [
                "brightness_prob": 0.3,
                "brightness_delta": 16,
                "contrast_prob": 0.3,
                "contrast_lower": 0.75,
                "contrast_upper": 1.25,
                "hue_prob": 0.0,
                "saturation_prob": 0.3,
                "saturation_lower": 0.75,
                "saturation_upper": 1.25,
                "random_order_prob": 0.0,
            ],
            "emit_constraint": ["emit_type": .enumValue("CENTER")],
        ]
    }

    /// The demo's solver on the CPU: one batch of 8 per iteration (`iter_size` 1), `base_lr`
    /// 0.02, `demoMaxIter` iterations, testing and snapshotting only at the end, the log every
    /// 10 iterations. Called by `init` for the `synth` dataset.
    mutating func applyDemoSolverSettings() {
        gpus = ""
        batchSize = 8
        accumBatchSize = 8
        solverBaseLROverride = DSODScript.demoBaseLR
        display = 10
        testInitialization = false
        snapshotAfterTrain = true
        setMaxIter(DSODScript.demoMaxIter)
    }

    /// Sets `max_iter`. On `synth` the schedule follows it: the rate drops tenfold at 2/3 and
    /// at 5/6 of the run, the test comes five times (every fifth of the run, so the training
    /// curves show the mAP rising; at the end only when `max_iter` is not a multiple of 5) and
    /// the snapshot at the end. DSOD's scripts keep their step values and intervals.
    public mutating func setMaxIter(_ iterations: Int) {
        maxIter = iterations
        guard dataset == .synth else { return }
        var steps: [Int] = []
        for step in [iterations * 2 / 3, iterations * 5 / 6] where step > 0 && !steps.contains(step) { steps.append(step) }
        stepvalue = steps
        testInterval = iterations % 5 == 0 ? iterations / 5 : max(iterations, 1)
        snapshot = iterations
    }

    /// Sets the training batch; on `synth` the gradient is not accumulated over batches, so
    /// `accumBatchSize` follows (`iter_size` 1).
    public mutating func setBatchSize(_ size: Int) {
        batchSize = size
        if dataset == .synth { accumBatchSize = size }
    }
}
