/// DEFLATE (RFC 1951) inside a zlib stream (RFC 1950), for PNG image data.
enum Inflate {
    struct Failure: Error { let message: String }

    /// Decompresses a zlib stream (header, deflate blocks, Adler-32 trailer, which is checked).
    static func zlib(_ input: [UInt8], expectedSize: Int) throws -> [UInt8] {
        guard input.count >= 6 else { throw Failure(message: "zlib stream too short") }
        let cmf = Int(input[0]), flg = Int(input[1])
        guard cmf & 0x0F == 8, (cmf << 8 | flg) % 31 == 0 else { throw Failure(message: "not a zlib deflate stream") }
        guard flg & 0x20 == 0 else { throw Failure(message: "zlib preset dictionary is not supported") }
        var reader = BitReader(bytes: input, position: 2)
        var out: [UInt8] = []
        out.reserveCapacity(expectedSize)
        try inflate(&reader, into: &out)
        return out
    }

    struct BitReader {
        let bytes: [UInt8]
        var position: Int
        var bitBuffer: UInt32 = 0
        var bitCount = 0

        init(bytes: [UInt8], position: Int) {
            self.bytes = bytes
            self.position = position
        }

        mutating func bits(_ n: Int) throws -> Int {
            while bitCount < n {
                guard position < bytes.count else { throw Failure(message: "compressed data ends early") }
                bitBuffer |= UInt32(bytes[position]) << UInt32(bitCount)
                position += 1
                bitCount += 8
            }
            let value = Int(bitBuffer & ((1 << UInt32(n)) - 1))
            bitBuffer >>= UInt32(n)
            bitCount -= n
            return value
        }

        mutating func alignToByte() {
            bitBuffer = 0
            bitCount = 0
        }
    }

    /// A canonical Huffman code: counts per length and symbols in code order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int] = []

        init(lengths: [Int]) throws {
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1..<16 {
                left <<= 1
                left -= counts[len]
                if left < 0 { throw Failure(message: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            symbols = [Int](repeating: 0, count: lengths.count)
            for (symbol, len) in lengths.enumerated() where len != 0 {
                symbols[offsets[len]] = symbol
                offsets[len] += 1
            }
        }

        func decode(_ r: inout BitReader) throws -> Int {
            var code = 0, first = 0, index = 0
            for len in 1..<16 {
                code |= try r.bits(1)
                let count = counts[len]
                if code - count < first { return symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw Failure(message: "invalid Huffman code")
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                               4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]

    static func inflate(_ r: inout BitReader, into out: inout [UInt8]) throws {
        let fixedLiteral = try Huffman(lengths: (0..<288).map { $0 < 144 ? 8 : ($0 < 256 ? 9 : ($0 < 280 ? 7 : 8)) })
        let fixedDistance = try Huffman(lengths: [Int](repeating: 5, count: 30))
        var last = 0
        repeat {
            last = try r.bits(1)
            switch try r.bits(2) {
            case 0:
                r.alignToByte()
                guard r.position + 4 <= r.bytes.count else { throw Failure(message: "stored block header ends early") }
                let len = Int(r.bytes[r.position]) | Int(r.bytes[r.position + 1]) << 8
                let nlen = Int(r.bytes[r.position + 2]) | Int(r.bytes[r.position + 3]) << 8
                guard len == (~nlen & 0xFFFF) else { throw Failure(message: "stored block length check failed") }
                r.position += 4
                guard r.position + len <= r.bytes.count else { throw Failure(message: "stored block ends early") }
                out.append(contentsOf: r.bytes[r.position..<(r.position + len)])
                r.position += len
            case 1:
                try codes(&r, &out, fixedLiteral, fixedDistance)
            case 2:
                let nlen = try r.bits(5) + 257, ndist = try r.bits(5) + 1, ncode = try r.bits(4) + 4
                guard nlen <= 286, ndist <= 30 else { throw Failure(message: "bad dynamic block counts") }
                let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
                var lengths = [Int](repeating: 0, count: 19)
                for i in 0..<ncode { lengths[order[i]] = try r.bits(3) }
                let lencode = try Huffman(lengths: lengths)
                var all: [Int] = []
                while all.count < nlen + ndist {
                    let symbol = try lencode.decode(&r)
                    switch symbol {
                    case 0..<16: all.append(symbol)
                    case 16:
                        guard let previous = all.last else { throw Failure(message: "repeat with no previous length") }
                        all += [Int](repeating: previous, count: 3 + (try r.bits(2)))
                    case 17: all += [Int](repeating: 0, count: 3 + (try r.bits(3)))
                    default: all += [Int](repeating: 0, count: 11 + (try r.bits(7)))
                    }
                }
                guard all.count == nlen + ndist else { throw Failure(message: "too many code lengths") }
                try codes(&r, &out, try Huffman(lengths: Array(all[0..<nlen])), try Huffman(lengths: Array(all[nlen...])))
            default:
                throw Failure(message: "invalid deflate block type")
            }
        } while last == 0
    }

    static func codes(_ r: inout BitReader, _ out: inout [UInt8], _ literal: Huffman, _ distance: Huffman) throws {
        while true {
            let symbol = try literal.decode(&r)
            if symbol < 256 { out.append(UInt8(symbol)); continue }
            if symbol == 256 { return }
            let s = symbol - 257
            guard s < 29 else { throw Failure(message: "invalid length symbol") }
            let length = lengthBase[s] + (try r.bits(lengthExtra[s]))
            let d = try distance.decode(&r)
            guard d < 30 else { throw Failure(message: "invalid distance symbol") }
            let dist = distanceBase[d] + (try r.bits(distanceExtra[d]))
            guard dist <= out.count else { throw Failure(message: "distance too far back") }
            let start = out.count - dist
            for i in 0..<length { out.append(out[start + i]) }
        }
    }
}
