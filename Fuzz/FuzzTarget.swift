import Foundation

/// One reader under fuzz: its name, how its corpus is seeded, and what it does with an input.
struct FuzzTarget: Sendable {
    let name: String
    let summary: String
    /// Text inputs get token mutations; binary inputs byte and varint ones.
    let isText: Bool
    /// Inputs longer than this are cut (keeps one input fast).
    let maximumLength: Int
    /// The seed corpus: files from the golden data and reference prototxts, plus a few made here.
    let seeds: @Sendable () -> [[UInt8]]
    /// Runs the reader on one input: returns whether it was accepted; throws `FuzzViolation`
    /// when the input was refused without saying where it went wrong.
    let run: @Sendable ([UInt8]) throws -> FuzzOutcome
}

enum FuzzOutcome: Sendable, CustomStringConvertible {
    case accepted
    /// Refused, with the reader's error message.
    case refused(String)

    var description: String {
        switch self {
        case .accepted: return "accepted"
        case .refused(let message): return "refused: \(message)"
        }
    }
}

/// A rejection that does not meet the bar: the error does not name where the input went wrong
/// (file and line:column, byte offset, layer, key), or it is of a kind the reader should not
/// let escape.
struct FuzzViolation: Error, CustomStringConvertible {
    let description: String
}

/// Checks on a reader's error.
enum Rejection {
    /// Refused with `error`, which must satisfy `located` (given the error and its one-line
    /// description).
    static func check(_ error: any Error, target: String, _ located: (any Error, String) -> Bool) throws -> FuzzOutcome {
        let text = "\(error)"
        guard !text.isEmpty, located(error, text) else {
            throw FuzzViolation(description: "\(target): a rejection that does not say where: \(type(of: error)): \(text)")
        }
        return .refused(text)
    }
}

/// A scratch folder for readers that take a path.
enum Scratch {
    static let folder: String = {
        // Memory-backed when the system has it: readers' atomic writes fsync.
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm/" : NSTemporaryDirectory()
        let path = base + "dsod-fuzz-\(getpid())"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }()

    /// Writes `bytes` to `<scratch>/<name>` and returns the path.
    static func file(_ name: String, _ bytes: [UInt8]) -> String {
        let path = folder + "/" + name
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func remove() { try? FileManager.default.removeItem(atPath: folder) }
}
