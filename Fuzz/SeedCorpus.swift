import DataPipeline
import Foundation

/// Where the seed inputs come from: the golden files written by Caffe (formats, LMDBs,
/// annotations), the reference prototxts and the repository's generated nets. Files are taken
/// in sorted order so a run with a fixed seed is the same everywhere.
enum SeedCorpus {
    /// `DSOD_SHARED`, else the first `shared/` folder holding `golden/` beside an ancestor of the
    /// working directory or of the executable.
    static let sharedRoot: String? = {
        if let env = ProcessInfo.processInfo.environment["DSOD_SHARED"] { return env }
        var starts = [FileManager.default.currentDirectoryPath]
        starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path)
        for start in starts {
            var folder = URL(fileURLWithPath: start).standardizedFileURL
            for _ in 0..<8 {
                let candidate = folder.appendingPathComponent("shared")
                if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("golden").path) {
                    return candidate.path
                }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }()

    /// The repository root: the first ancestor of the working directory or executable with a
    /// Package.swift.
    static let repoRoot: String? = {
        for start in [FileManager.default.currentDirectoryPath,
                      URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path] {
            var folder = URL(fileURLWithPath: start).standardizedFileURL
            for _ in 0..<6 {
                if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
                    return folder.path
                }
                folder.deleteLastPathComponent()
            }
        }
        return nil
    }()

    /// Files under `relative` (inside shared/, or the repo with `inRepo`) whose extension is one
    /// of `extensions` (lowercased; "" matches every file), at most `maxBytes` each, at most
    /// `limit` of them, sorted by path.
    static func files(_ relative: String, extensions: [String], maxBytes: Int = 100_000, limit: Int = 400,
                      inRepo: Bool = false) -> [[UInt8]] {
        guard let base = inRepo ? repoRoot : sharedRoot else { return [] }
        let root = base + "/" + relative
        guard let enumerator = FileManager.default.enumerator(atPath: root) else { return [] }
        var paths: [String] = []
        while let item = enumerator.nextObject() as? String {
            let ext = (item as NSString).pathExtension.lowercased()
            if extensions.contains("") || extensions.contains(ext) { paths.append(root + "/" + item) }
        }
        var found: [[UInt8]] = []
        for path in paths.sorted() where found.count < limit {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path), data.count <= maxBytes else { continue }
            found.append([UInt8](data))
        }
        return found
    }

    /// Every record value of the LMDBs under `relative` (folders holding data.mdb).
    static func lmdbRecords(_ relative: String, maxBytes: Int = 200_000, limit: Int = 64) -> [[UInt8]] {
        guard let base = sharedRoot, let enumerator = FileManager.default.enumerator(atPath: base + "/" + relative) else { return [] }
        var folders: [String] = []
        while let item = enumerator.nextObject() as? String {
            guard item.hasSuffix("data.mdb") else { continue }
            folders.append(base + "/" + relative + "/" + (item as NSString).deletingLastPathComponent)
        }
        var records: [[UInt8]] = []
        for folder in folders.sorted() {
            guard let reader = try? LMDBReader(path: folder), let cursor = try? reader.makeCursor() else { continue }
            for _ in 0..<min(cursor.entries, 16) {
                let value = cursor.record.value
                if value.count <= maxBytes { records.append([UInt8](value)) }
                if records.count >= limit { return records }
                try? cursor.next()
            }
        }
        return records
    }

    static func strings(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }
}
