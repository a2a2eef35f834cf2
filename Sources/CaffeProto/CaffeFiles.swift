import Foundation
import SwiftProtobuf
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// Reading and writing Caffe's files. Every net goes through `readNet`: parsed once, upgraded once
/// (DESIGN.md, "One way through").
public enum CaffeFiles {
    /// The file's bytes, or an error naming it.
    public static func contents(of path: String) throws -> Data {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw CaffeFormatError(file: path, message: "no such file")
        }
        guard !isDirectory.boolValue else {
            throw CaffeFormatError(file: path, message: "is a directory, expected a file")
        }
        // Protobuf (and Caffe: kProtoReadBytesLimit = INT_MAX in util/io.cpp) cannot hold a
        // larger message; refuse before reading it into memory.
        if let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size > CaffeBinary.maximumSize {
            throw CaffeFormatError(file: path, message: "is \(size) bytes; Caffe's files (binary and text) are limited to 2 GiB - 1 (2147483647 bytes), as protobuf messages are")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CaffeFormatError(file: path, message: "cannot be read (permissions?)")
        }
        return data
    }

    /// Whether a path names a binary protobuf file by Caffe's conventions (`.caffemodel`,
    /// `.solverstate`, `.binaryproto`, `.pb`); everything else is read as text.
    public static func isBinaryPath(_ path: String) -> Bool {
        let ext = (path as NSString).pathExtension.lowercased()
        return ["caffemodel", "solverstate", "binaryproto", "pb", "bin"].contains(ext)
    }

    /// Writes `data` to `path` atomically: a temporary file in the same folder
    /// (`.<name>.tmp-<pid>`), written in full and flushed to disk (fsync), then renamed over
    /// `path`, and the folder flushed so the rename itself survives a crash. A kill at any moment
    /// leaves either the previous file or the new one, never a partial one; a failed write (a
    /// full disk) removes the temporary file, leaves the previous file as it was, and throws an
    /// error naming the path and the system's reason.
    public static func writeAtomically(_ data: Data, to path: String) throws {
        // A device or pipe (/dev/stdout, a FIFO) is written in place: renaming over it would
        // replace it with a regular file.
        var status = stat()
        if stat(path, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG && (status.st_mode & S_IFMT) != S_IFDIR {
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw CaffeFormatError(file: path, message: "cannot open for writing")
            }
            do { try handle.write(contentsOf: data); try handle.close() } catch {
                throw CaffeFormatError(file: path, message: "write failed: \(error.localizedDescription)")
            }
            return
        }
        let url = URL(fileURLWithPath: path)
        let folder = url.deletingLastPathComponent().path
        let temporary = (folder as NSString).appendingPathComponent(".\(url.lastPathComponent)\(temporaryMarker)\(getpid())")
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else {
            throw CaffeFormatError(file: path, message: "cannot create a file in \(folder): \(String(cString: strerror(errno)))")
        }
        func fail(_ what: String) -> CaffeFormatError {
            let reason = String(cString: strerror(errno))
            close(fd)
            unlink(temporary)
            return CaffeFormatError(file: path, message: "\(what): \(reason); \(FileManager.default.fileExists(atPath: path) ? "the previous file is unchanged" : "nothing was written")")
        }
        var written = 0
        let failed = data.withUnsafeBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return false }
            while written < raw.count {
                let n = posixWrite(fd, base + written, raw.count - written)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { return true }
                written += n
            }
            return false
        }
        if failed { throw fail("cannot write (\(written) of \(data.count) bytes written)") }
        guard fsync(fd) == 0 else { throw fail("cannot flush the written file to disk") }
        guard close(fd) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CaffeFormatError(file: path, message: "cannot close the written file: \(reason)")
        }
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw CaffeFormatError(file: path, message: "cannot rename the written file into place: \(reason)")
        }
        // Flush the folder entry too (best effort: some file systems refuse fsync on folders).
        let folderFD = open(folder.isEmpty ? "." : folder, O_RDONLY)
        if folderFD >= 0 {
            _ = fsync(folderFD)
            close(folderFD)
        }
    }

    /// The part of a temporary file's name between the target name and the writer's process id.
    static let temporaryMarker = ".tmp-"

    /// Removes the temporary files that `writeAtomically` left in `folder` for names starting
    /// with `prefix` when its process was killed mid-write (the process is gone); returns their
    /// paths. Files of living writers are left alone.
    @discardableResult
    public static func removeStaleTemporaryFiles(in folder: String, prefix: String) -> [String] {
        let directory = folder.isEmpty ? "." : folder
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        var removed: [String] = []
        for name in names where name.hasPrefix("." + prefix) {
            guard let marker = name.range(of: temporaryMarker, options: .backwards),
                  let pid = Int32(name[marker.upperBound...]) else { continue }
            if pid != getpid() && kill(pid, 0) != 0 && errno == ESRCH {
                let path = (directory as NSString).appendingPathComponent(name)
                if unlink(path) == 0 { removed.append(path) }
            }
        }
        return removed.sorted()
    }
}

extension CaffeFiles {
    /// A message read from a file, with what Caffe would have logged about it: upgrades applied
    /// (`notes`) and oddities it accepts silently (`warnings`, e.g. an empty weights file).
    public struct Loaded<M: SwiftProtobuf.Message> {
        public var message: M
        public var notes: [String] = []
        public var warnings: [String] = []
    }

    /// Reads a message from a text or binary file (by extension; see `isBinaryPath`).
    public static func load<M: SwiftProtobuf.Message>(_ path: String, as type: M.Type = M.self) throws -> Loaded<M> {
        let data = try contents(of: path)
        if isBinaryPath(path) {
            let decoded = try CaffeBinary.decode(data, as: M.self, file: path)
            return Loaded(message: decoded.message, warnings: decoded.warnings)
        }
        return Loaded(message: try CaffeText.parse(bytes: [UInt8](data), as: M.self, file: path))
    }

    public static func read<M: SwiftProtobuf.Message>(_ path: String, as type: M.Type = M.self) throws -> M {
        try load(path, as: M.self).message
    }

    /// Reads a net definition or weights file (text or binary by extension) and upgrades legacy
    /// forms (V1 layers, input fields, BatchNorm params) as Caffe does on every read.
    public static func loadNet(_ path: String) throws -> Loaded<Caffe_NetParameter> {
        var loaded = try load(path, as: Caffe_NetParameter.self)
        loaded.notes = try NetUpgrade.upgrade(&loaded.message, file: path)
        return loaded
    }

    public static func readNet(_ path: String) throws -> Caffe_NetParameter {
        try loadNet(path).message
    }

    /// Reads a solver definition, upgrading `solver_type` to `type`.
    public static func readSolver(_ path: String) throws -> Caffe_SolverParameter {
        var solver = try read(path, as: Caffe_SolverParameter.self)
        try SolverUpgrade.upgrade(&solver, file: path)
        return solver
    }

    /// Writes a message as text (Caffe's printer style) or binary, by the path's extension,
    /// atomically.
    public static func write<M: SwiftProtobuf.Message>(_ message: M, to path: String) throws {
        if isBinaryPath(path) {
            try writeAtomically(try CaffeBinary.encode(message), to: path)
        } else {
            try writeAtomically(Data(CaffeText.format(message).utf8), to: path)
        }
    }
}
