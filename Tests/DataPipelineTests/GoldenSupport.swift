import Foundation
import Runtime
import TestSupport
import XCTest

/// Helpers to read the lmdb golden area.
enum LMDBGolden {
    static var root: URL { TestPaths.golden("lmdb") }
    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: root.appendingPathComponent(relative))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw NSError(domain: "golden", code: 1, userInfo: [NSLocalizedDescriptionKey: "\(relative) is not a JSON object"])
        }
        return object
    }

    static func npy(_ relative: String) throws -> NumpyArray { try NumpyArray.read(path(relative)) }
}

