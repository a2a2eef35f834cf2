/// A solver definition or state that cannot be used, named by file and field.
public struct SolverError: Error, CustomStringConvertible, Sendable {
    public var file: String?
    public var message: String

    public init(file: String? = nil, _ message: String) {
        self.file = file
        self.message = message
    }

    public var description: String { file.map { "\($0): \(message)" } ?? message }
}
