import Kernels

/// An N-dimensional float array with a value (`data`) and a gradient (`diff`), as Caffe's Blob.
///
/// Memory is allocated lazily on the first reshape that needs it and kept when a blob shrinks;
/// new memory is zero-filled. Do not keep `data`/`diff` pointers across calls: a reshape that
/// grows the blob, or `shareData`, replaces the memory.
public final class Blob {
    /// The dimensions; empty for a scalar (count 1), as Caffe's 0-axis loss blobs.
    public private(set) var shape: [Int]
    /// Product of `shape` (1 for a scalar).
    public private(set) var count: Int
    private var dataStorage: BlobStorage
    /// Allocated on first use of `diff`, so forward-only nets carry no gradient memory.
    private var diffStorage: BlobStorage?

    /// A blob of the given shape, zero-filled.
    public init(shape: [Int] = []) throws {
        let count = try Blob.validatedCount(shape)
        try Blob.checkBudget(count, shape: shape)
        self.shape = shape
        self.count = count
        dataStorage = BlobStorage(capacity: count)
        diffStorage = nil
    }

    /// A blob holding `values` (must match the shape's count).
    public convenience init(shape: [Int], values: [Float]) throws {
        try self.init(shape: shape)
        try setData(values)
    }

    /// Caffe's largest blob: counts must fit in a 32-bit int (blob.cpp `CHECK_LE(count_, INT_MAX)`).
    public static let maximumCount = Int(Int32.max)

    /// Refuses values that would not fit in `MemoryBudget` before allocating them.
    static func checkBudget(_ count: Int, shape: [Int]) throws {
        do {
            try MemoryBudget.check(count: count, elementSize: MemoryLayout<Float>.stride, what: "its \(count) float values")
        } catch {
            throw BlobShapeError(shape: shape, reason: error.description)
        }
    }

    static func validatedCount(_ shape: [Int]) throws -> Int {
        var count = 1
        for dim in shape {
            guard dim >= 0 else {
                throw BlobShapeError(shape: shape, reason: "negative dimension \(dim)")
            }
            let (product, overflow) = count.multipliedReportingOverflow(by: dim)
            guard !overflow, product <= maximumCount else {
                throw BlobShapeError(shape: shape, reason: "more than \(maximumCount) elements")
            }
            count = product
        }
        return count
    }

    // MARK: Shape

    /// Changes the shape; memory is reallocated (zero-filled) only when the count grows past the
    /// current storage.
    public func reshape(_ newShape: [Int]) throws {
        let newCount = try Blob.validatedCount(newShape)
        shape = newShape
        count = newCount
        if newCount > dataStorage.capacity {
            try Blob.checkBudget(newCount, shape: newShape)
            dataStorage = BlobStorage(capacity: newCount)
        }
        if let diffStorage, newCount > diffStorage.capacity { self.diffStorage = nil }
    }

    public func reshape(like other: Blob) throws {
        try reshape(other.shape)
    }

    public var numAxes: Int { shape.count }

    /// Caffe's `CanonicalAxisIndex`: a negative axis counts from the end.
    public func canonicalAxis(_ axis: Int) throws -> Int {
        guard axis >= -numAxes, axis < numAxes else {
            throw BlobShapeError(shape: shape, reason: "axis \(axis) out of range for a \(numAxes)-D blob")
        }
        return axis < 0 ? axis + numAxes : axis
    }

    /// Product of the dimensions in `start..<end`.
    public func count(from start: Int, to end: Int) -> Int {
        guard start < end else { return 1 }
        var product = 1
        for axis in max(0, start)..<min(end, numAxes) { product *= shape[axis] }
        return product
    }

    /// Product of the dimensions from `start` to the last.
    public func count(from start: Int) -> Int { count(from: start, to: numAxes) }

    /// Dimension `axis` (negative counts from the end).
    public func dim(_ axis: Int) -> Int {
        let index = axis < 0 ? axis + numAxes : axis
        return index >= 0 && index < numAxes ? shape[index] : 1
    }

    /// Caffe's `LegacyShape`: 1 for axes the blob does not have (index from either end).
    public func legacyShape(_ index: Int) -> Int {
        if index >= numAxes || index < -numAxes { return 1 }
        return shape[index < 0 ? index + numAxes : index]
    }

    public var num: Int { legacyShape(0) }
    public var channels: Int { legacyShape(1) }
    public var height: Int { legacyShape(2) }
    public var width: Int { legacyShape(3) }

    /// "2 3 4 5 (120)", as Caffe prints shapes.
    public var shapeString: String {
        (shape.map(String.init) + ["(\(count))"]).joined(separator: " ")
    }

    // MARK: Memory

    /// The values, for reading and writing. Each access counts as a possible write (see
    /// `dataStamp`); code that only reads may use `readOnlyData`.
    public var data: UnsafeMutablePointer<Float> {
        dataStorage.version &+= 1
        return dataStorage.pointer
    }
    /// The values, for reading only: unlike `data` this does not change `dataStamp`.
    public var readOnlyData: UnsafePointer<Float> { UnsafePointer(dataStorage.pointer) }
    public var diff: UnsafeMutablePointer<Float> { diffMemory.pointer }

    /// Identifies the current values: it changes whenever the memory is replaced (reshape,
    /// sharing) or handed out for writing through `data`, `setData`, `fillData`, `load`, `copy`.
    /// Caches of derived values (a convolution's packed weights) compare stamps.
    public var dataStamp: BlobStamp { BlobStamp(storage: ObjectIdentifier(dataStorage), version: dataStorage.version) }

    /// The gradient memory, allocated (zero-filled) when first needed.
    private var diffMemory: BlobStorage {
        if let diffStorage, diffStorage.capacity >= count { return diffStorage }
        let storage = BlobStorage(capacity: count)
        diffStorage = storage
        return storage
    }

    /// Whether two blobs read the same value memory (in-place or shared).
    public func sharesData(with other: Blob) -> Bool { dataStorage === other.dataStorage }

    /// Makes this blob read and write `other`'s values (Caffe's `ShareData`; counts must agree).
    public func shareData(with other: Blob) throws {
        guard count == other.count else {
            throw BlobShapeError(shape: shape, reason: "cannot share data with a blob of \(other.count) elements")
        }
        dataStorage = other.dataStorage
    }

    /// Whether two blobs write the same gradient memory.
    public func sharesDiff(with other: Blob) -> Bool {
        guard let mine = diffStorage, let theirs = other.diffStorage else { return false }
        return mine === theirs
    }

    /// Makes this blob read and write `other`'s gradient (Caffe's `ShareDiff`).
    public func shareDiff(with other: Blob) throws {
        guard count == other.count else {
            throw BlobShapeError(shape: shape, reason: "cannot share diff with a blob of \(other.count) elements")
        }
        diffStorage = other.diffMemory
    }

    /// Makes this blob use `storage` for its values (memory reuse; the capacity must hold the
    /// blob's count).
    func useStorage(_ storage: BlobStorage) {
        guard storage.capacity >= count else { return }
        dataStorage = storage
    }

    /// Shares both memories with `other`, whatever the counts (for parameter sharing with
    /// PERMISSIVE shapes the counts are checked by the caller).
    func shareStorage(with other: Blob) {
        dataStorage = other.dataStorage
        diffStorage = other.diffMemory
    }

    // MARK: Values as arrays (I/O and tests, not hot paths)

    public func dataArray() -> [Float] { Array(UnsafeBufferPointer(start: data, count: count)) }
    public func diffArray() -> [Float] { Array(UnsafeBufferPointer(start: diff, count: count)) }

    public func setData(_ values: [Float]) throws {
        guard values.count == count else {
            throw BlobShapeError(shape: shape, reason: "given \(values.count) values for \(count) elements")
        }
        values.withUnsafeBufferPointer { if let source = $0.baseAddress { data.update(from: source, count: count) } }
    }

    public func setDiff(_ values: [Float]) throws {
        guard values.count == count else {
            throw BlobShapeError(shape: shape, reason: "given \(values.count) diff values for \(count) elements")
        }
        values.withUnsafeBufferPointer { if let source = $0.baseAddress { diff.update(from: source, count: count) } }
    }

    public func fillData(_ value: Float) { data.update(repeating: value, count: count) }
    public func fillDiff(_ value: Float) { diff.update(repeating: value, count: count) }

    /// Copies `other`'s values (and optionally gradient), reshaping this blob to match.
    public func copy(from other: Blob, diff copyDiff: Bool = false) throws {
        try reshape(other.shape)
        if copyDiff {
            if diff != other.diff { diff.update(from: other.diff, count: count) }
        } else if data != other.data {
            data.update(from: other.data, count: count)
        }
    }
}

/// See `Blob.dataStamp`.
public struct BlobStamp: Equatable, Sendable {
    let storage: ObjectIdentifier
    let version: UInt64
}

/// A shape a blob cannot take, or an operation its shape does not allow.
public struct BlobShapeError: Error, CustomStringConvertible, Sendable {
    public var shape: [Int]
    public var reason: String
    public var description: String { "blob of shape \(shape): \(reason)" }
}
