import Foundation

/// The records of one LMDB in key order, wrapping around at the end of an epoch, as Caffe's
/// `DataReader` feeds a data layer. `rand_skip` skips a random number of records at the start
/// (uniform in 0..<rand_skip) as Caffe's data layers did before the DataReader.
public final class RecordStream: @unchecked Sendable {
    // Owned by one loader; used from one thread at a time.
    public let source: String
    private let reader: LMDBReader
    private let cursor: LMDBCursor
    private var peeked: LMDBRecord?

    public init(source: String, randSkip: Int = 0, rng: inout CaffeRandom) throws {
        self.source = source
        reader = try LMDBReader(path: source)
        cursor = try reader.makeCursor()
        if randSkip > 0 {
            let skip = Int(rng.next() % UInt32(randSkip))
            for _ in 0..<skip { try cursor.next() }
        }
    }

    /// Number of records in one epoch.
    public var count: Int { cursor.entries }

    /// The next record without consuming it (`reader_.full().peek()`).
    public func peek() throws -> LMDBRecord {
        if let p = peeked { return p }
        let p = try cursor.read()
        peeked = p
        return p
    }

    /// The next record.
    public func next() throws -> LMDBRecord {
        if let p = peeked {
            peeked = nil
            return p
        }
        return try cursor.read()
    }
}
