import CLMDB
import Foundation

/// Creates a new LMDB as Caffe's `db::LMDB::Open(source, db::NEW)` does (the folder must not
/// exist yet) and writes records in transactions of up to 1000, like `convert_annoset`.
public final class LMDBWriter {
    private let env: OpaquePointer
    public let path: String
    private var pending: [(Data, Data)] = []
    /// Records per transaction (`convert_annoset` commits every 1000 images).
    public var batchSize = 1000

    /// Creates the folder `path` and an empty environment in it.
    public init(path: String, mapSize: Int = 1 << 40) throws {
        if FileManager.default.fileExists(atPath: path) {
            throw DataPipelineError(path, "already exists; Caffe's convert_annoset refuses to overwrite a database (remove it first)")
        }
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw DataPipelineError(path, "cannot create the LMDB folder: \(error.localizedDescription)")
        }
        var handle: OpaquePointer?
        try LMDBReader.check(mdb_env_create(&handle), path, "cannot create an LMDB environment")
        guard let env = handle else { throw DataPipelineError(path, "cannot create an LMDB environment") }
        mdb_env_set_mapsize(env, mapSize)
        let rc = mdb_env_open(env, path, 0, 0o664)
        if rc != 0 {
            mdb_env_close(env)
            throw DataPipelineError(path, "cannot open the new LMDB: \(LMDBReader.message(rc))")
        }
        self.env = env
        self.path = path
    }

    deinit { mdb_env_close(env) }

    /// Queues a record; it is written by the next commit (automatic every `batchSize` records).
    public func put(key: String, value: Data) throws {
        pending.append((Data(key.utf8), value))
        if pending.count >= batchSize { try commit() }
    }

    /// Writes the queued records in one transaction.
    public func commit() throws {
        guard !pending.isEmpty else { return }
        var txn: OpaquePointer?
        try LMDBReader.check(mdb_txn_begin(env, nil, 0, &txn), path, "cannot begin a write transaction")
        var dbi: MDB_dbi = 0
        var rc = mdb_dbi_open(txn, nil, 0, &dbi)
        if rc == 0 {
            for (key, value) in pending {
                rc = key.withUnsafeBytes { k in
                    value.withUnsafeBytes { v in
                        var mk = MDB_val(mv_size: k.count, mv_data: UnsafeMutableRawPointer(mutating: k.baseAddress))
                        var mv = MDB_val(mv_size: v.count, mv_data: UnsafeMutableRawPointer(mutating: v.baseAddress))
                        return mdb_put(txn, dbi, &mk, &mv, 0)
                    }
                }
                if rc != 0 { break }
            }
        }
        if rc != 0 {
            mdb_txn_abort(txn)
            throw DataPipelineError(path, "cannot write records: \(LMDBReader.message(rc))")
        }
        try LMDBReader.check(mdb_txn_commit(txn), path, "cannot commit records")
        pending.removeAll(keepingCapacity: true)
    }
}
