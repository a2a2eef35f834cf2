/// Every error the data pipeline reports. `description` is the one line a user sees: it names
/// the file, the LMDB key or the parameter, and what was expected.
public struct DataPipelineError: Error, CustomStringConvertible, Equatable, Sendable {
    /// Where: a path, "path key K", a parameter name.
    public var location: String
    public var message: String

    public init(_ location: String, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { location.isEmpty ? message : "\(location): \(message)" }
}
