/// A keyword-argument value as DSOD's Python scripts pass them to `caffe.layers`: a number, a
/// flag, a string, an enum constant, a list or a dict. `NetSpec` assigns these to protobuf fields
/// the way `net_spec.py`'s `assign_proto` does (lists become repeated fields, dicts messages).
///
/// Literals make recipes read like the Python they mirror:
///
///     let kwargs: ParamDict = ["num_output": 64, "weight_filler": ["type": "xavier"],
///                              "param": [["lr_mult": 0, "decay_mult": 0]]]
public enum ParamValue: Sendable, Equatable {
    case int(Int)
    case float(Double)
    case bool(Bool)
    case string(String)
    /// An enum constant by its name in caffe.proto, e.g. `MAX` of `PoolingParameter.PoolMethod`.
    /// (Python passes the constant's number; the message is the same.)
    case enumValue(String)
    case list([ParamValue])
    case dict(ParamDict)
}

extension ParamValue: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    public init(integerLiteral value: Int) { self = .int(value) }
    public init(floatLiteral value: Double) { self = .float(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(stringLiteral value: String) { self = .string(value) }
    public init(arrayLiteral elements: ParamValue...) { self = .list(elements) }
    public init(dictionaryLiteral elements: (String, ParamValue)...) {
        self = .dict(ParamDict(elements))
    }
}

extension ParamValue {
    /// A list of integers, e.g. `dim: [1, 3, 300, 300]`.
    public static func ints(_ values: [Int]) -> ParamValue { .list(values.map { .int($0) }) }
    /// A list of floating-point values, e.g. prior sizes.
    public static func floats(_ values: [Double]) -> ParamValue { .list(values.map { .float($0) }) }
    /// A list of flags, e.g. `propagate_down`.
    public static func bools(_ values: [Bool]) -> ParamValue { .list(values.map { .bool($0) }) }
    /// A list of strings.
    public static func strings(_ values: [String]) -> ParamValue { .list(values.map { .string($0) }) }
    /// A list of enum constants by name, e.g. `interp_mode`.
    public static func enumValues(_ names: [String]) -> ParamValue { .list(names.map { .enumValue($0) }) }
    /// A list of messages.
    public static func dicts(_ values: [ParamDict]) -> ParamValue { .list(values.map { .dict($0) }) }
}

/// Keyword arguments in the order they were given, like a Python 3 `dict`: assigning to an
/// existing key replaces its value in place, a new key goes to the end.
public struct ParamDict: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The entries in insertion order.
    public private(set) var entries: [(key: String, value: ParamValue)]

    public init() { entries = [] }

    /// Entries in the given order; a repeated key keeps its first position and its last value.
    public init(_ pairs: [(String, ParamValue)]) {
        entries = []
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, ParamValue)...) { self.init(elements) }

    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }

    public subscript(key: String) -> ParamValue? {
        get { entries.first(where: { $0.key == key })?.value }
        set {
            let index = entries.firstIndex(where: { $0.key == key })
            switch (index, newValue) {
            case let (index?, value?): entries[index].value = value
            case let (nil, value?): entries.append((key, value))
            case let (index?, nil): entries.remove(at: index)
            case (nil, nil): break
            }
        }
    }

    /// Python's `dict.update`: every entry of `other` replaces or appends, in `other`'s order.
    public mutating func update(with other: ParamDict) {
        for (key, value) in other.entries { self[key] = value }
    }

    /// This dict updated with `other`, as a new value.
    public func merging(_ other: ParamDict) -> ParamDict {
        var copy = self
        copy.update(with: other)
        return copy
    }

    public static func == (lhs: ParamDict, rhs: ParamDict) -> Bool {
        lhs.entries.count == rhs.entries.count
            && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}
