/// The data augmentation every DSOD script configures (SSD's): the batch samplers of the
/// training data layer and the train/test transformations.
extension DSODScript {
    /// One whole-image sampler, then crops of 30-100% of the image with aspect ratio 1/2..2 that
    /// overlap some object by at least 0.1, 0.3, 0.5, 0.7, 0.9 IoU, or any amount.
    public static let ssdBatchSamplers: [ParamDict] = {
        func crop(_ constraint: ParamDict) -> ParamDict {
            [
                "sampler": ["min_scale": 0.3, "max_scale": 1.0, "min_aspect_ratio": 0.5, "max_aspect_ratio": 2.0],
                "sample_constraint": .dict(constraint),
                "max_trials": 50,
                "max_sample": 1,
            ]
        }
        return [["sampler": [:], "max_trials": 1, "max_sample": 1]]
            + [0.1, 0.3, 0.5, 0.7, 0.9].map { crop(["min_jaccard_overlap": .float($0)]) }
            + [crop(["max_jaccard_overlap": 1.0])]
    }()

    /// `train_transform_param`: mirror, mean subtraction, warp to the input size with a random
    /// interpolation, photometric distortion, zoom-out expansion, and keep boxes whose centre
    /// stays in the crop. The COCO script also forces colour decoding.
    public static func trainTransform(width: Int, height: Int, forceColor: Bool) -> ParamDict {
        var transform: ParamDict = ["mirror": true, "mean_value": [104, 117, 123]]
        if forceColor { transform["force_color"] = true }
        transform.update(with: [
            "resize_param": [
                "prob": 1,
                "resize_mode": .enumValue("WARP"),
                "height": .int(height),
                "width": .int(width),
                "interp_mode": .enumValues(["LINEAR", "AREA", "NEAREST", "CUBIC", "LANCZOS4"]),
            ],
            "distort_param": [
                "brightness_prob": 0.5,
                "brightness_delta": 32,
                "contrast_prob": 0.5,
                "contrast_lower": 0.5,
                "contrast_upper": 1.5,
                "hue_prob": 0.5,
                "hue_delta": 18,
                "saturation_prob": 0.5,
                "saturation_lower": 0.5,
                "saturation_upper": 1.5,
                "random_order_prob": 0.0,
            ],
            "expand_param": ["prob": 0.5, "max_expand_ratio": 4.0],
            "emit_constraint": ["emit_type": .enumValue("CENTER")],
        ])
        return transform
    }

    /// `test_transform_param`: mean subtraction and a linear warp to the input size.
    public static func testTransform(width: Int, height: Int, forceColor: Bool) -> ParamDict {
        var transform: ParamDict = ["mean_value": [104, 117, 123]]
        if forceColor { transform["force_color"] = true }
        transform["resize_param"] = [
            "prob": 1,
            "resize_mode": .enumValue("WARP"),
            "height": .int(height),
            "width": .int(width),
            "interp_mode": .enumValues(["LINEAR"]),
        ]
        return transform
    }
}
