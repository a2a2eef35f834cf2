import CaffeProto
import Runtime

/// Test helper: the part of a net this registry can build. Layers of unregistered types (the
/// SSD layers until they land) are removed, then every layer that reads a blob nobody produces
/// any more, repeatedly. Returns the kept net and the removed layer names.
public func pruneToRegistered(_ net: Caffe_NetParameter, registry: LayerRegistry) throws -> (net: Caffe_NetParameter, removed: [String]) {
    var current = try LegacyNetInput.upgrade(net)
    var removed: [String] = []
    while true {
        var produced = Set<String>()
        var kept: [Caffe_LayerParameter] = []
        var changed = false
        for layer in current.layer {
            let usable = registry.contains(layer.type) && layer.bottom.allSatisfy { produced.contains($0) }
            if usable {
                kept.append(layer)
                produced.formUnion(layer.top)
            } else {
                removed.append(layer.name)
                changed = true
            }
        }
        current.layer = kept
        if !changed { return (current, removed) }
    }
}
