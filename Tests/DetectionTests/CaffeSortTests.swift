@testable import Detection
import TestSupport
import XCTest

final class CaffeSortTests: XCTestCase {
    /// Scores in {0, 1, 2, 3} from the LCG `seed = seed * 1103515245 + 12345` (seed 7), as the
    /// C++ program that produced the expected orders drew them.
    func scores(count: Int) -> [(Float, Int)] {
        var seed: UInt32 = 7
        return (0..<count).map { i in
            seed = seed &* 1_103_515_245 &+ 12345
            return (Float((seed >> 16) % 4), i)
        }
    }

    /// Orders printed by `std::sort(v.begin(), v.end(), score descending)` of g++ 12's
    /// libstdc++ for the same input: ties are NOT in index order once the introsort loop runs
    /// (more than 16 elements).
    func testTieOrderMatchesLibstdcxx() {
        let expected: [Int: [Int]] = [
            12: [4, 11, 1, 3, 6, 7, 5, 8, 9, 10, 0, 2],
            40: [35, 4, 26, 36, 11, 22, 21, 17, 33, 32, 31, 29, 28, 23, 18, 1, 3, 6, 13, 12, 7, 15, 9, 5, 30, 27, 8, 24,
                 10, 14, 16, 37, 38, 39, 0, 34, 25, 20, 19, 2],
            100: [57, 82, 83, 26, 35, 36, 22, 21, 80, 91, 40, 69, 11, 95, 4, 51, 53, 59, 31, 32, 56, 55, 33, 61, 68, 76,
                  48, 41, 44, 45, 46, 28, 7, 12, 13, 15, 6, 3, 17, 18, 98, 90, 23, 1, 29, 97, 62, 60, 50, 65, 96, 94, 93,
                  71, 75, 92, 79, 89, 81, 86, 43, 30, 27, 24, 16, 14, 10, 49, 9, 8, 5, 52, 54, 99, 2, 19, 20, 58, 88, 87,
                  25, 85, 84, 73, 63, 64, 0, 66, 67, 47, 70, 72, 34, 74, 42, 39, 77, 78, 38, 37],
        ]
        for (count, order) in expected {
            var values = scores(count: count)
            CaffeSort.introsort(&values) { $0.0 > $1.0 }
            XCTAssertEqual(values.map(\.1), order, "\(count) elements")
        }
    }

    func testHeapSortFallbackSorts() {
        var g = SplitMix64(state: 3)
        var values = (0..<300).map { _ in Int.random(in: 0..<50, using: &g) }
        let sorted = values.sorted()
        // Depth limit 0 sends the whole range to the heap sort.
        values.withUnsafeMutableBufferPointer { buffer in
            CaffeSort.introsortLoop(buffer.baseAddress!, 0, buffer.count, depthLimit: 0, <)
        }
        XCTAssertEqual(values, sorted)
    }

    func testStableDescendingKeepsInputOrderOfTies() {
        var values: [(Float, Int)] = [(1, 0), (2, 1), (1, 2), (2, 3), (3, 4), (1, 5)]
        CaffeSort.stableSortDescending(&values) { $0.0 }
        XCTAssertEqual(values.map(\.1), [4, 1, 3, 0, 2, 5])
    }
}
