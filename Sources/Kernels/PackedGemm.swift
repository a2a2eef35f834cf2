import CKernels
import Dispatch
import Foundation

/// A matrix packed for the AVX-512 GEMM kernels (Sources/CKernels): row panels of `CK_MR` rows,
/// blocked by depth. Convolution weights are packed once and reused by every forward pass.
public final class PackedMatrix {
    public let rows: Int
    public let columns: Int
    let storage: UnsafeMutablePointer<Float>
    private let owned: Bool

    /// An unfilled packed matrix of `rows` x `columns`.
    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        let count = PackedMatrix.floatCount(rows: rows, columns: columns)
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        storage = raw.bindMemory(to: Float.self, capacity: count)
        storage.initialize(repeating: 0, count: count)
        owned = true
    }

    private init(rows: Int, columns: Int, borrowing storage: UnsafeMutablePointer<Float>) {
        self.rows = rows
        self.columns = columns
        self.storage = storage
        owned = false
    }

    deinit {
        if owned { UnsafeMutableRawPointer(storage).deallocate() }
    }

    /// Floats the packed form of a rows x columns matrix takes.
    public static func floatCount(rows: Int, columns: Int) -> Int {
        max(16, ck_packed_a_count(Int32(rows), Int32(columns)))
    }

    /// Runs `body` with a packed matrix in memory borrowed from `WorkspacePool` (for operands
    /// packed once per call, such as output gradients).
    public static func withTemporary<Result>(rows: Int, columns: Int, _ body: (PackedMatrix) throws -> Result) rethrows -> Result {
        try WorkspacePool.shared.withBuffer(floatCount(rows: rows, columns: columns)) { buffer in
            try body(PackedMatrix(rows: rows, columns: columns, borrowing: buffer))
        }
    }

    /// Packs the matrix whose element (i, j) is `source[i * rowStride + j * columnStride]`
    /// (row-major: rowStride = columns, columnStride = 1; transposed: the other way round).
    public func pack(_ source: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        ck_pack_a(source, rowStride, columnStride, Int32(rows), Int32(columns), storage)
    }
}

/// Where the rows of B are: row r starts at `base + offsets[r]`, or `base + r * stride`. With
/// `transposed` the same describes B's columns (column n holds B[k][n] at +k): B is then the
/// transpose of the rows given.
public struct GemmRows {
    public var base: UnsafePointer<Float>
    public var offsets: UnsafePointer<Int64>?
    public var stride: Int
    public var transposed = false

    public init(base: UnsafePointer<Float>, stride: Int) {
        self.base = base
        self.offsets = nil
        self.stride = stride
    }

    public init(base: UnsafePointer<Float>, offsets: UnsafePointer<Int64>) {
        self.base = base
        self.offsets = offsets
        self.stride = 0
    }

    /// B as the transpose of the rows given (row n of the memory is column n of B).
    public var asColumns: GemmRows {
        var copy = self
        copy.transposed = true
        return copy
    }
}

/// What happens to each output value after the sum: `+ bias[row]`, then a (leaky) ReLU.
public struct GemmEpilogue {
    public var bias: UnsafePointer<Float>?
    public var relu: Bool
    public var slope: Float

    public init(bias: UnsafePointer<Float>? = nil, relu: Bool = false, slope: Float = 0) {
        self.bias = bias
        self.relu = relu
        self.slope = slope
    }

    public static var none: GemmEpilogue { GemmEpilogue() }
}

/// C = A · B (+ C) with A packed (`PackedMatrix`) and B read row by row from memory, on the AVX-512
/// kernels, split over `KernelThreads.count` workers by column blocks (or row blocks when C has
/// few columns). `isAvailable` is false on CPUs without AVX-512 (and when `DSOD_KERNELS=blas`):
/// callers then use `BLAS.gemm`.
public enum PackedGemm {
    public static let isAvailable: Bool = {
        if ProcessInfo.processInfo.environment["DSOD_KERNELS"] == "blas" { return false }
        return ck_packed_gemm_available() != 0
    }()

    /// Columns of one micro-tile: work is split in multiples of it.
    public static let tileColumns = Int(CK_NR)
    /// Rows of one micro-tile.
    public static let tileRows = Int(CK_MR)

    /// C[i][col(n)] (+)= Σ_k A[i][k]·B[k][n] for n in 0..<n, then the epilogue. Columns of B map to
    /// C as `(n / outputPitch) * outputWidth + n % outputPitch`, dropping `n % outputPitch >=
    /// outputWidth` (a stride-1 convolution over a zero-padded input computes `outputPitch -
    /// outputWidth` spare columns per output row); `outputPitch` 0 maps column n to column n.
    public static func multiply(_ a: PackedMatrix, _ b: GemmRows, columns n: Int,
                                into c: UnsafeMutablePointer<Float>, rowStride ldc: Int,
                                outputPitch: Int = 0, outputWidth: Int = 0,
                                accumulate: Bool = false, epilogue: GemmEpilogue = .none) {
        let m = a.rows, k = a.columns
        guard m > 0, n > 0, k > 0 else { return }
        var args = ck_gemm_args()
        args.m = Int32(m)
        args.n = Int32(n)
        args.k = Int32(k)
        args.a_packed = UnsafePointer(a.storage)
        args.b = b.base
        args.b_row_offsets = b.offsets
        args.ldb = b.stride
        args.b_transposed = b.transposed ? 1 : 0
        args.c = c
        args.ldc = ldc
        args.c_pitch = Int32(outputPitch)
        args.c_width = Int32(outputWidth)
        args.accumulate = accumulate ? 1 : 0
        args.bias = epilogue.bias
        args.relu = epilogue.relu ? 1 : 0
        args.slope = epilogue.slope
        let workers = KernelThreads.count
        let columnTiles = (n + tileColumns - 1) / tileColumns
        let rowTiles = (m + tileRows - 1) / tileRows
        let flops = m * n * k
        if workers <= 1 || flops < 1 << 17 {
            args.n_begin = 0; args.n_end = Int32(n); args.m_begin = 0; args.m_end = Int32(m)
            ck_packed_gemm(&args)
            return
        }
        // Enough column tiles: split the columns into a few chunks per worker (GCD hands the
        // chunks out as workers free up, which evens out a core shared with other work).
        // Few columns: split the rows.
        let alongColumns = columnTiles >= 2 * workers
        let (extent, tile, tiles) = alongColumns ? (n, tileColumns, columnTiles) : (m, tileRows, rowTiles)
        let chunks = min(tiles, (alongColumns ? 3 : 2) * workers)
        let tilesPerChunk = (tiles + chunks - 1) / chunks
        // The arguments hold raw pointers; each worker writes only its own block of C.
        let template = UncheckedSendableBox(args)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            var local = template.value
            let begin = chunk * tilesPerChunk * tile
            let end = min(extent, begin + tilesPerChunk * tile)
            guard begin < end else { return }
            if alongColumns {
                local.n_begin = Int32(begin); local.n_end = Int32(end)
                local.m_begin = 0; local.m_end = Int32(m)
            } else {
                local.n_begin = 0; local.n_end = Int32(n)
                local.m_begin = Int32(begin); local.m_end = Int32(end)
            }
            ck_packed_gemm(&local)
        }
    }
}
