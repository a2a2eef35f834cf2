import Foundation

/// An input the SSD geometry cannot work with, where Caffe would abort with a `CHECK` failure or
/// `LOG(FATAL)`. The message names the function, the value and what was expected; layers prefix
/// it with their name.
public struct DetectionError: Error, CustomStringConvertible, Equatable, Sendable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

/// Caffe's `static_cast<int>(float)`: truncation toward zero. Caffe stores ids, labels and counts
/// as floats in its blobs and casts them back; a value that is not finite or does not fit an
/// `Int32` (undefined behaviour in C++) is reported instead of trapping.
@inlinable
func caffeInt(_ value: Float, _ what: @autoclosure () -> String) throws -> Int {
    guard value.isFinite, value >= -2_147_483_648, value < 2_147_483_648 else {
        throw DetectionError("\(what()) is \(value), expected an integer value")
    }
    return Int(value)
}
