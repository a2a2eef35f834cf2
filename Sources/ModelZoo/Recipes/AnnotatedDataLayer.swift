/// model_libs.py's `CreateAnnotatedDataLayer`: an `AnnotatedData` layer named `data` reading an
/// LMDB, in the TRAIN or TEST phase, with tops `data` and (with `outputLabel`) `label`.
///
/// The default `batchSampler` is one empty sampler (`[{}]`), which still writes an empty
/// `batch_sampler {}` (the test nets of the scripts have it); an empty `transformParam` writes
/// nothing.
public func CreateAnnotatedDataLayer(
    source: String, batchSize: Int = 32, backend: String = "LMDB", outputLabel: Bool = true, train: Bool = true,
    labelMapFile: String = "", annoType: String? = nil, transformParam: ParamDict = [:],
    batchSampler: [ParamDict] = [[:]]
) -> [Top] {
    let kwargs: ParamDict = [
        "include": ["phase": .enumValue(train ? "TRAIN" : "TEST")],
        "transform_param": .dict(transformParam),
    ]
    var annotatedDataParam: ParamDict = ["label_map_file": .string(labelMapFile), "batch_sampler": .dicts(batchSampler)]
    if let annoType { annotatedDataParam["anno_type"] = .enumValue(annoType) }
    // `name="data"` is a keyword argument: not a field of AnnotatedDataParameter, so it lands on
    // the layer and overrides the generated name.
    let params = ParamDict([
        ("name", "data"),
        ("annotated_data_param", .dict(annotatedDataParam)),
        ("data_param", ["batch_size": .int(batchSize), "backend": .enumValue(backend), "source": .string(source)]),
    ]).merging(kwargs)
    return L.layer("AnnotatedData", [], params, ntop: outputLabel ? 2 : 1)
}
