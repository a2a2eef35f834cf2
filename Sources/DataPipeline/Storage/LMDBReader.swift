import CLMDB
import Foundation

/// Read-only access to an LMDB environment as Caffe's `db::LMDB` opens it, plus `MDB_NOLOCK`
/// so databases on a read-only file system (the shared golden data, old dataset mounts) open.
///
/// Iteration is in key order (LMDB's byte-wise order, which is the order `convert_annoset`'s
/// zero-padded keys were written in). Each `LMDBCursor` holds its own read transaction, so many
/// readers can walk one database at the same time.
public final class LMDBReader: @unchecked Sendable {
    // Safe to share: an MDB_env opened read-only is thread-safe; every cursor has its own
    // transaction (MDB_NOTLS lets a transaction move between threads).
    let env: OpaquePointer
    /// The folder (or file) given to `open`.
    public let path: String

    /// Opens `path` (a folder holding data.mdb, or the data file itself).
    public init(path: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw DataPipelineError(path, "no such LMDB (the folder does not exist)")
        }
        var flags = UInt32(MDB_RDONLY) | UInt32(MDB_NOLOCK) | UInt32(MDB_NOTLS)
        if isDirectory.boolValue {
            guard FileManager.default.fileExists(atPath: path + "/data.mdb") else {
                throw DataPipelineError(path, "not an LMDB: the folder has no data.mdb")
            }
        } else {
            flags |= UInt32(MDB_NOSUBDIR)
        }
        var handle: OpaquePointer?
        try Self.check(mdb_env_create(&handle), path, "cannot create an LMDB environment")
        guard let env = handle else { throw DataPipelineError(path, "cannot create an LMDB environment") }
        // A large map size lets a reader open databases bigger than the default 10 MB map.
        let fileSize = (try? FileManager.default.attributesOfItem(
            atPath: isDirectory.boolValue ? path + "/data.mdb" : path)[.size] as? Int) ?? 0
        mdb_env_set_mapsize(env, max(fileSize, 1 << 20))
        let rc = mdb_env_open(env, path, flags, 0o664)
        if rc != 0 {
            mdb_env_close(env)
            if rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH {
                throw DataPipelineError(path, "not an LMDB database (data.mdb has no valid LMDB header)")
            }
            throw DataPipelineError(path, "cannot open the LMDB: \(Self.message(rc))")
        }
        self.env = env
        self.path = path
    }

    deinit { mdb_env_close(env) }

    /// Number of records.
    public func count() throws -> Int {
        let cursor = try LMDBCursor(reader: self)
        return cursor.entries
    }

    /// A new cursor positioned on the first record.
    public func makeCursor() throws -> LMDBCursor { try LMDBCursor(reader: self) }

    static func check(_ rc: Int32, _ path: String, _ what: String) throws {
        if rc != 0 { throw DataPipelineError(path, "\(what): \(message(rc))") }
    }

    static func message(_ rc: Int32) -> String {
        guard let text = mdb_strerror(rc) else { return "LMDB error \(rc)" }
        return String(cString: text)
    }
}

/// One key/value record; both are copies, valid after the cursor moves.
public struct LMDBRecord: Sendable, Equatable {
    public var key: String
    public var value: Data
}

/// A cursor over an `LMDBReader` that wraps around to the first key after the last, as
/// Caffe's `DataReader::Body::read_one` does between epochs.
public final class LMDBCursor: @unchecked Sendable {
    // Used from one thread at a time (the reader thread that owns it).
    private let reader: LMDBReader
    private var txn: OpaquePointer?
    private var cursor: OpaquePointer?
    private var current: LMDBRecord?
    /// Number of records in the database.
    public let entries: Int

    init(reader: LMDBReader) throws {
        self.reader = reader
        var txn: OpaquePointer?
        try LMDBReader.check(mdb_txn_begin(reader.env, nil, UInt32(MDB_RDONLY), &txn), reader.path,
                             "cannot begin a read transaction")
        var dbi: MDB_dbi = 0
        let rcOpen = mdb_dbi_open(txn, nil, 0, &dbi)
        if rcOpen != 0 {
            mdb_txn_abort(txn)
            throw DataPipelineError(reader.path, "cannot open the main database: \(LMDBReader.message(rcOpen))")
        }
        var stat = MDB_stat()
        mdb_stat(txn, dbi, &stat)
        entries = Int(stat.ms_entries)
        var cursor: OpaquePointer?
        let rcCursor = mdb_cursor_open(txn, dbi, &cursor)
        if rcCursor != 0 {
            mdb_txn_abort(txn)
            throw DataPipelineError(reader.path, "cannot open a cursor: \(LMDBReader.message(rcCursor))")
        }
        self.txn = txn
        self.cursor = cursor
        guard try move(MDB_FIRST) else {
            throw DataPipelineError(reader.path, "the LMDB is empty (no records)")
        }
    }

    deinit {
        mdb_cursor_close(cursor)
        mdb_txn_abort(txn)
    }

    /// The record under the cursor.
    public var record: LMDBRecord {
        // `current` is set by init (which fails on an empty database) and by every move.
        current ?? LMDBRecord(key: "", value: Data())
    }

    /// Moves to the next record, wrapping to the first after the last.
    public func next() throws {
        if try !move(MDB_NEXT) {
            _ = try move(MDB_FIRST)
        }
    }

    /// Moves back to the first record.
    public func seekToFirst() throws { _ = try move(MDB_FIRST) }

    /// Returns the current record and advances (with wrap-around).
    public func read() throws -> LMDBRecord {
        let result = record
        try next()
        return result
    }

    private func move(_ op: MDB_cursor_op) throws -> Bool {
        var key = MDB_val(), value = MDB_val()
        let rc = mdb_cursor_get(cursor, &key, &value, op)
        if rc == MDB_NOTFOUND { return false }
        try LMDBReader.check(rc, reader.path, "cannot read a record")
        let keyBytes = key.mv_data.map { Data(bytes: $0, count: key.mv_size) } ?? Data()
        let valueBytes = value.mv_data.map { Data(bytes: $0, count: value.mv_size) } ?? Data()
        current = LMDBRecord(key: String(decoding: keyBytes, as: UTF8.self), value: valueBytes)
        return true
    }
}
