import Foundation
import SwiftProtobuf

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

    /// Writes `data` to `path` atomically: a temporary file in the same folder, then rename, so a
    /// crash never leaves a partial file behind.
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
        let folder = url.deletingLastPathComponent()
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CaffeFormatError(file: path, message: "cannot create a file in \(folder.path)")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
            if rename(temporary.path, path) != 0 {
                throw CaffeFormatError(file: path, message: "cannot rename the written file into place: \(String(cString: strerror(errno)))")
            }
        } catch let error as CaffeFormatError {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw CaffeFormatError(file: path, message: "write failed: \(error.localizedDescription)")
        }
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
