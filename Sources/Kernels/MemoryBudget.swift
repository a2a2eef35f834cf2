import Foundation

/// How much memory blobs, batches and work buffers may take, so a file that declares absurd
/// shapes (a dimension of 2^40, a 100000×100000 image, a billion-pixel JPEG) is refused with a
/// clear error before the allocation instead of exhausting the machine.
///
/// The limit is `DSOD_MEMORY_LIMIT` (bytes, or with a K/M/G suffix: `512M`, `4G`), else 80% of
/// the physical memory. Blob value memory is counted while it lives; other large buffers are
/// checked against what is left.
public enum MemoryBudget {
    /// The limit in bytes.
    public static let limitBytes: Int = {
        if let text = ProcessInfo.processInfo.environment["DSOD_MEMORY_LIMIT"], let value = parseSize(text) {
            return value
        }
        return Int(Double(ProcessInfo.processInfo.physicalMemory) * 0.8)
    }()

    private static let ledger = Ledger()

    /// Bytes held by live blob storage.
    public static var liveBytes: Int { ledger.bytes }

    /// Checks that `bytes` more can be taken; `what` names the allocation in the error.
    public static func check(bytes: Int, what: @autoclosure () -> String) throws(MemoryBudgetError) {
        let live = ledger.bytes
        guard bytes >= 0, bytes <= limitBytes - min(live, limitBytes) else {
            throw MemoryBudgetError(what: what(), requestedBytes: bytes, liveBytes: live, limitBytes: limitBytes)
        }
    }

    /// Checks `count` elements of `elementSize` bytes (nil count: the product overflowed).
    public static func check(count: Int?, elementSize: Int, what: @autoclosure () -> String) throws(MemoryBudgetError) {
        guard let count, count >= 0 else {
            throw MemoryBudgetError(what: what(), requestedBytes: nil, liveBytes: ledger.bytes, limitBytes: limitBytes)
        }
        let (bytes, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow else {
            throw MemoryBudgetError(what: what(), requestedBytes: nil, liveBytes: ledger.bytes, limitBytes: limitBytes)
        }
        try check(bytes: bytes, what: what())
    }

    /// The product of `factors`, or nil when it overflows or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var result = 1
        for factor in factors {
            guard factor >= 0 else { return nil }
            let (next, overflow) = result.multipliedReportingOverflow(by: factor)
            if overflow { return nil }
            result = next
        }
        return result
    }

    /// Records memory taken (positive) or given back (negative) by long-lived storage.
    public static func account(_ bytes: Int) { ledger.add(bytes) }

    /// "1.5 GiB", "12.0 MiB", "512 bytes".
    public static func describe(_ bytes: Int) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
        guard bytes >= 1024 else { return "\(bytes) bytes" }
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
        return String(format: "%.1f %@", value, units[unit])
    }

    /// "4G", "512M", "1000000" → bytes.
    static func parseSize(_ text: String) -> Int? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).uppercased()
        let multipliers: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        if let last = trimmed.last, let multiplier = multipliers[last], let value = Double(trimmed.dropLast()), value >= 0 {
            return Int(value * Double(multiplier))
        }
        return Int(trimmed).flatMap { $0 >= 0 ? $0 : nil }
    }

    private final class Ledger: @unchecked Sendable {
        // The counter is only touched under `lock`.
        private let lock = NSLock()
        private var total = 0

        var bytes: Int {
            lock.lock()
            defer { lock.unlock() }
            return total
        }

        func add(_ bytes: Int) {
            lock.lock()
            total += bytes
            lock.unlock()
        }
    }
}

/// An allocation refused by `MemoryBudget`.
public struct MemoryBudgetError: Error, CustomStringConvertible, Sendable {
    public var what: String
    /// nil when the size does not even fit in a 64-bit integer.
    public var requestedBytes: Int?
    public var liveBytes: Int
    public var limitBytes: Int

    public var description: String {
        let limit = MemoryBudget.describe(limitBytes)
        guard let requestedBytes else {
            return "\(what) would take more bytes than a 64-bit size can count, more than the memory limit of \(limit)"
        }
        let held = liveBytes >= 1 << 20 ? " (with \(MemoryBudget.describe(liveBytes)) already held)" : ""
        return "\(what) would take \(MemoryBudget.describe(requestedBytes))\(held), more than the memory limit of \(limit) (set DSOD_MEMORY_LIMIT to change it)"
    }
}
