import Foundation

/// The two sorts Caffe uses, reproduced so that tie orders come out exactly as in Caffe.
///
/// Caffe sorts score lists with `std::stable_sort` in some places (`GetMaxScoreIndex`,
/// `GetTopKScoreIndex`, `CumSum`) and with the non-stable `std::sort` in others
/// (DetectionOutput's keep_top_k, DetectionEvaluate's per-label detections, MAX_NEGATIVE /
/// HARD_EXAMPLE mining without NMS). For tied scores `std::sort`'s result is the one of
/// libstdc++'s introsort (median-of-three quicksort, heap sort past depth `2 log2 n`, insertion
/// sort of runs of 16), which `introsort` follows step for step.
public enum CaffeSort {
    /// Sorts `elements` in place exactly as libstdc++'s `std::sort(first, last, less)`.
    @inlinable
    public static func introsort<T>(_ elements: inout [T], by less: (T, T) -> Bool) {
        let n = elements.count
        guard n > 1 else { return }
        elements.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            introsortLoop(base, 0, n, depthLimit: 2 * floorLog2(n), less)
            finalInsertionSort(base, 0, n, less)
        }
    }

    /// A stable sort by descending score (`std::stable_sort` with `SortScorePairDescend`):
    /// equal scores keep their input order.
    @inlinable
    public static func stableSortDescending<T>(_ elements: inout [T], score: (T) -> Float) {
        guard elements.count > 1 else { return }
        var keyed = elements.enumerated().map { (score: score($0.element), index: $0.offset, value: $0.element) }
        keyed.sort { $0.score > $1.score || (!($1.score > $0.score) && $0.index < $1.index) }
        elements = keyed.map(\.value)
    }

    @usableFromInline static let threshold = 16

    @inlinable
    static func floorLog2(_ n: Int) -> Int { Int.bitWidth - 1 - n.leadingZeroBitCount }

    @inlinable
    static func introsortLoop<T>(_ a: UnsafeMutablePointer<T>, _ first: Int, _ lastIn: Int,
                                 depthLimit depthIn: Int, _ less: (T, T) -> Bool) {
        var last = lastIn
        var depthLimit = depthIn
        while last - first > threshold {
            if depthLimit == 0 {
                heapSort(a, first, last, less)
                return
            }
            depthLimit -= 1
            let cut = partitionPivot(a, first, last, less)
            introsortLoop(a, cut, last, depthLimit: depthLimit, less)
            last = cut
        }
    }

    @inlinable
    static func partitionPivot<T>(_ a: UnsafeMutablePointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) -> Int {
        let mid = first + (last - first) / 2
        moveMedianToFirst(a, result: first, first + 1, mid, last - 1, less)
        return unguardedPartition(a, first + 1, last, pivot: first, less)
    }

    @inlinable
    static func moveMedianToFirst<T>(_ a: UnsafeMutablePointer<T>, result: Int, _ x: Int, _ y: Int, _ z: Int,
                                     _ less: (T, T) -> Bool) {
        if less(a[x], a[y]) {
            if less(a[y], a[z]) { swapAt(a, result, y) }
            else if less(a[x], a[z]) { swapAt(a, result, z) }
            else { swapAt(a, result, x) }
        } else if less(a[x], a[z]) { swapAt(a, result, x) }
        else if less(a[y], a[z]) { swapAt(a, result, z) }
        else { swapAt(a, result, y) }
    }

    @inlinable
    static func unguardedPartition<T>(_ a: UnsafeMutablePointer<T>, _ firstIn: Int, _ lastIn: Int, pivot: Int,
                                      _ less: (T, T) -> Bool) -> Int {
        var first = firstIn, last = lastIn
        while true {
            while less(a[first], a[pivot]) { first += 1 }
            last -= 1
            while less(a[pivot], a[last]) { last -= 1 }
            if !(first < last) { return first }
            swapAt(a, first, last)
            first += 1
        }
    }

    @inlinable
    static func swapAt<T>(_ a: UnsafeMutablePointer<T>, _ i: Int, _ j: Int) {
        if i != j { swap(&a[i], &a[j]) }
    }

    @inlinable
    static func finalInsertionSort<T>(_ a: UnsafeMutablePointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        if last - first > threshold {
            insertionSort(a, first, first + threshold, less)
            for i in (first + threshold)..<last { unguardedLinearInsert(a, i, less) }
        } else {
            insertionSort(a, first, last, less)
        }
    }

    @inlinable
    static func insertionSort<T>(_ a: UnsafeMutablePointer<T>, _ first: Int, _ last: Int, _ less: (T, T) -> Bool) {
        guard first != last else { return }
        var i = first + 1
        while i < last {
            if less(a[i], a[first]) {
                let value = a[i]
                var k = i
                while k > first { a[k] = a[k - 1]; k -= 1 }
                a[first] = value
            } else {
                unguardedLinearInsert(a, i, less)
            }
            i += 1
        }
    }

    @inlinable
    static func unguardedLinearInsert<T>(_ a: UnsafeMutablePointer<T>, _ lastIn: Int, _ less: (T, T) -> Bool) {
        let value = a[lastIn]
        var last = lastIn
        var next = last - 1
        while less(value, a[next]) {
            a[last] = a[next]
            last = next
            next -= 1
        }
        a[last] = value
    }

    // std::__partial_sort(first, last, last): make_heap then sort_heap.
    @inlinable
    static func heapSort<T>(_ a: UnsafeMutablePointer<T>, _ first: Int, _ lastIn: Int, _ less: (T, T) -> Bool) {
        let base = a + first
        let len = lastIn - first
        if len >= 2 {
            var parent = (len - 2) / 2
            while true {
                let value = base[parent]
                adjustHeap(base, hole: parent, len: len, value: value, less)
                if parent == 0 { break }
                parent -= 1
            }
        }
        var last = len
        while last > 1 {
            last -= 1
            let value = base[last]
            base[last] = base[0]
            adjustHeap(base, hole: 0, len: last, value: value, less)
        }
    }

    @inlinable
    static func adjustHeap<T>(_ a: UnsafeMutablePointer<T>, hole holeIn: Int, len: Int, value: T, _ less: (T, T) -> Bool) {
        let top = holeIn
        var hole = holeIn
        var second = holeIn
        while second < (len - 1) / 2 {
            second = 2 * (second + 1)
            if less(a[second], a[second - 1]) { second -= 1 }
            a[hole] = a[second]
            hole = second
        }
        if len & 1 == 0 && second == (len - 2) / 2 {
            second = 2 * (second + 1)
            a[hole] = a[second - 1]
            hole = second - 1
        }
        // __push_heap
        var parent = (hole - 1) / 2
        while hole > top && less(a[parent], value) {
            a[hole] = a[parent]
            hole = parent
            parent = (hole - 1) / 2
        }
        a[hole] = value
    }
}
