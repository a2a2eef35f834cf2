import CaffeProto

/// Caffe's include/exclude filtering of layers by the net state (net.cpp `FilterNet`,
/// `StateMeetsRule`).
public enum NetStateRules {
    /// Whether `state` meets `rule`: phase equal if given, level within min/max if given, every
    /// `stage` present, no `not_stage` present.
    public static func stateMeetsRule(_ state: Caffe_NetState, _ rule: Caffe_NetStateRule) -> Bool {
        if rule.hasPhase && rule.phase != state.phase { return false }
        if rule.hasMinLevel && state.level < rule.minLevel { return false }
        if rule.hasMaxLevel && state.level > rule.maxLevel { return false }
        for stage in rule.stage where !state.stage.contains(stage) { return false }
        for stage in rule.notStage where state.stage.contains(stage) { return false }
        return true
    }

    /// Whether a layer is part of the net in `state`: without include rules it is, unless an
    /// exclude rule is met; with include rules it is only if one is met. Giving both kinds is an
    /// error.
    public static func includes(_ layer: Caffe_LayerParameter, in state: Caffe_NetState) throws -> Bool {
        guard layer.include.isEmpty || layer.exclude.isEmpty else {
            throw NetError(layer: layer.name, message: "specify either include rules or exclude rules, not both")
        }
        if layer.include.isEmpty {
            return !layer.exclude.contains { stateMeetsRule(state, $0) }
        }
        return layer.include.contains { stateMeetsRule(state, $0) }
    }

    /// The net with only the layers included in its `state`.
    public static func filter(_ net: Caffe_NetParameter) throws -> Caffe_NetParameter {
        var filtered = net
        filtered.layer = try net.layer.filter { try includes($0, in: net.state) }
        return filtered
    }
}
