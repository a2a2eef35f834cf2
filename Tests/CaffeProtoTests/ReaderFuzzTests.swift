import XCTest
import Foundation
import CaffeProto
import TestSupport

/// A short, deterministic mutation fuzz of the prototxt and binary readers, seeded from the
/// reference prototxts and golden files: every mutated input either reads or is refused with a
/// `CaffeFormatError` that says where (line:column for text, byte offset for binary). A crash or
/// hang fails the suite. `DSOD_FUZZ_ITERATIONS` raises the count (default 1500 per target).
final class ReaderFuzzTests: XCTestCase {
    private var iterations: Int { Int(ProcessInfo.processInfo.environment["DSOD_FUZZ_ITERATIONS"] ?? "") ?? 1500 }

    private func seeds(extensions: [String], maxBytes: Int) -> [[UInt8]] {
        var found: [[UInt8]] = []
        for root in [TestPaths.referencePrototxt, TestPaths.golden("formats")] {
            let enumerator = FileManager.default.enumerator(atPath: root.path)
            while let item = enumerator?.nextObject() as? String {
                guard extensions.contains((item as NSString).pathExtension) else { continue }
                if let data = FileManager.default.contents(atPath: root.appendingPathComponent(item).path), data.count <= maxBytes {
                    found.append([UInt8](data))
                }
            }
        }
        return found
    }

    func testTextReaderNeverCrashes() throws {
        let corpus = seeds(extensions: ["prototxt"], maxBytes: 200_000)
        XCTAssertGreaterThan(corpus.count, 10)
        var rng = FuzzRandom(state: 0xD50D)
        var accepted = 0, refused = 0
        for i in 0..<iterations {
            let input = FuzzMutator.mutate(corpus[i % corpus.count], corpus: corpus, text: true, rng: &rng)
            do {
                _ = try CaffeText.parse(bytes: input, as: Caffe_NetParameter.self, file: "fuzz.prototxt")
                accepted += 1
            } catch let error as CaffeFormatError {
                refused += 1
                XCTAssertNotNil(error.line, "\(error)")
                XCTAssertNotNil(error.column, "\(error)")
                XCTAssertFalse(error.message.isEmpty)
            }
        }
        print("fuzz prototxt: \(iterations) inputs, \(accepted) read, \(refused) refused with a position, 0 crashes")
    }

    func testBinaryReaderNeverCrashes() throws {
        let corpus = seeds(extensions: ["caffemodel", "binaryproto"], maxBytes: 100_000)
        XCTAssertGreaterThan(corpus.count, 10)
        var rng = FuzzRandom(state: 0xCAFFE)
        var accepted = 0, refused = 0
        for i in 0..<iterations {
            let input = FuzzMutator.mutate(corpus[i % corpus.count], corpus: corpus, text: false, rng: &rng)
            do {
                _ = try CaffeBinary.decode(Data(input), as: Caffe_NetParameter.self, file: "fuzz.caffemodel")
                accepted += 1
            } catch let error as CaffeFormatError {
                refused += 1
                XCTAssertFalse(error.message.isEmpty)
                if error.byteOffset == nil { XCTAssertTrue(error.message.contains("binary"), "\(error)") }
            }
        }
        print("fuzz caffemodel: \(iterations) inputs, \(accepted) read, \(refused) refused, 0 crashes")
    }
}

/// The fuzzers' generator: TestSupport's SplitMix64.
typealias FuzzRandom = SplitMix64

/// Byte-level mutations, plus token-flavoured ones for text.
enum FuzzMutator {
    static let interesting: [[UInt8]] = ["{", "}", "<", ">", ":", "-", "\"", "'", "#", "[", "]", ",", "\\", "0x", "1e999",
                                         "-2147483649", "nan", "layer", "blobs", "dim", "\t", "\n", "\u{0}", "\u{7F}"].map { Array($0.utf8) }

    static func mutate(_ seed: [UInt8], corpus: [[UInt8]], text: Bool, rng: inout FuzzRandom) -> [UInt8] {
        var bytes = seed
        let rounds = Int.random(in: 1...4, using: &rng)
        for _ in 0..<rounds {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<7, using: &rng) {
            case 0 where !bytes.isEmpty:
                bytes[position] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
            case 1 where !bytes.isEmpty:
                bytes[position] = UInt8.random(in: 0...255, using: &rng)
            case 2:
                bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...16, using: &rng)))
            case 3:
                bytes = Array(bytes.prefix(position))
            case 4:
                let insert = text ? interesting.randomElement(using: &rng)! : (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                bytes.insert(contentsOf: insert, at: position)
            case 5:
                let other = corpus.randomElement(using: &rng)!
                guard !other.isEmpty else { break }
                let start = Int.random(in: 0..<other.count, using: &rng)
                bytes.insert(contentsOf: other[start..<min(other.count, start + Int.random(in: 1...64, using: &rng))], at: position)
            default:
                guard bytes.count > 2 else { break }
                let start = Int.random(in: 0..<bytes.count, using: &rng)
                let chunk = bytes[start..<min(bytes.count, start + Int.random(in: 1...32, using: &rng))]
                bytes.insert(contentsOf: chunk, at: position)
            }
        }
        return bytes
    }
}
