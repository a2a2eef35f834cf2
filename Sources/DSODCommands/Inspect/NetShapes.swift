import CaffeProto

/// Parameter shapes of a net: from its stored blobs when it has them, otherwise from building it.
enum NetShapes {
    static func summary(of net: Caffe_NetParameter, file: String) throws -> NetSummary {
        // Building nets to infer shapes arrives with the runtime; until then a net without
        // weights is summarised by its layers only.
        NetSummary(net: net)
    }
}
