import CaffeProto

/// Where a layer's keyword arguments go, as `Function._to_proto` in net_spec.py decides:
/// - a key ending in `param` (`param`, `transform_param`, `convolution_param`, ...) is a field of
///   the layer itself;
/// - any other key is first tried as a field of the type's own message (`num_output` of a
///   Convolution goes to `convolution_param`); when that message has no such field, or the type
///   has no message (`Deconvolution`), it is a field of the layer (`include`, `propagate_down`,
///   `name`, `loss_weight`).
/// Keys are applied in order and merged, so a later key overrides or appends to an earlier one
/// and to the generated name, type, bottoms and tops.
enum LayerKeywordArguments {
    static func apply(_ params: ParamDict, type: String, to layer: inout Caffe_LayerParameter) throws {
        for (key, value) in params.entries {
            let fragment = try ProtoAssignment.text(assigning: value, to: key, layer: layer.name, type: type)
            if fragment.isEmpty { continue }
            var typeMessageError: (field: String, error: CaffeFormatError)? = nil
            if !key.hasSuffix("param"), let field = LayerParamFields.field(forType: type) {
                switch ProtoAssignment.parseLayerFragment("\(field) {\n\(fragment)}\n") {
                case .success(let parsed):
                    try merge(parsed, into: &layer, key: key, type: type)
                    continue
                case .failure(let error):
                    typeMessageError = (field, error)
                }
            }
            switch ProtoAssignment.parseLayerFragment(fragment) {
            case .success(let parsed):
                try merge(parsed, into: &layer, key: key, type: type)
            case .failure(let error):
                var reason = "not a field of the layer or wrong value (\(error.message))"
                if let (field, fieldError) = typeMessageError {
                    reason = "not a field of \(field) (\(fieldError.message)) nor of the layer (\(error.message))"
                }
                throw NetSpecError.badParameter(layer: layer.name, type: type, key: key, reason: reason)
            }
        }
    }

    private static func merge(_ fragment: Caffe_LayerParameter, into layer: inout Caffe_LayerParameter,
                              key: String, type: String) throws
    {
        do {
            try ProtoAssignment.merge(fragment, into: &layer)
        } catch {
            throw NetSpecError.badParameter(layer: layer.name, type: type, key: key, reason: "merge failed: \(error)")
        }
    }
}
