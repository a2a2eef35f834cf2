/// SplitMix64: a small, fast generator whose sequence depends only on its seed, so a fuzz run
/// with a fixed seed tries the same inputs on every machine.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ bound: Int) -> Int { bound <= 1 ? 0 : Int(next() % UInt64(bound)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}

/// Mutations of one input: bit flips, byte changes, deletions, truncations, insertions of
/// tokens or random bytes, splices from other corpus entries, duplicated chunks, and numbers
/// that sit on integer boundaries. Text targets get prototxt/XML/JSON tokens; binary targets
/// get varints and float patterns.
struct Mutator {
    let isText: Bool
    let maximumLength: Int

    static let textTokens: [[UInt8]] = [
        "{", "}", "<", ">", ":", "-", "\"", "'", "#", "[", "]", ",", "\\", "0x", "1e999", "-1", "0",
        "2147483647", "2147483648", "-2147483649", "4294967296", "1099511627776", "9223372036854775807",
        "18446744073709551616", "nan", "inf", "-inf", "1e-45", "layer {", "layers {", "blobs {", "dim:",
        "shape {", "num_output:", "kernel_size:", "stride: 0", "pad:", "group:", "bottom:", "top:", "type:",
        "name:", "input_dim:", "batch_size:", "</", "/>", "<object>", "<name>", "<bndbox>", "<xmin>", "null",
        "true", "false", "{\"", "\":", "[]", "{}", "\t", "\n", "\r\n", "\u{0}", "\u{7F}", "\u{FEFF}", "é", "&amp;",
        "&#", "<!--", "-->", "<![CDATA[", "]]>", "--", "=", "--help", "--solver", "--weights", "--iterations",
    ].map { Array($0.utf8) }

    static let binaryPatterns: [[UInt8]] = [
        [0x00], [0xFF], [0x7F], [0x80], [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
        [0xFF, 0xFF, 0xFF, 0xFF, 0x07], [0xFF, 0xFF, 0xFF, 0xFF, 0x0F], [0x80, 0x80, 0x80, 0x80, 0x80, 0x20],
        [0x00, 0x00, 0xC0, 0x7F], [0x00, 0x00, 0x80, 0x7F], [0xFF, 0xFF, 0xFF, 0x7F], [0x00, 0x00, 0x00, 0x80],
        [0x0A], [0x12], [0x1A], [0x22], [0x2A], [0x3A], [0x42], [0x08], [0x10], [0x18], [0x0D], [0x15],
        [0xFF, 0xD8, 0xFF], [0xFF, 0xC0], [0xFF, 0xDA], [0xFF, 0xD9], [0xFF, 0xC2],
    ]

    func mutate(_ seed: [UInt8], corpus: [[UInt8]], rng: inout SeededRandom) -> [UInt8] {
        var bytes = seed
        for _ in 0..<(1 + rng.below(4)) { mutateOnce(&bytes, corpus: corpus, rng: &rng) }
        if bytes.count > maximumLength { bytes.removeLast(bytes.count - maximumLength) }
        return bytes
    }

    private func mutateOnce(_ bytes: inout [UInt8], corpus: [[UInt8]], rng: inout SeededRandom) {
        let position = rng.below(bytes.count + 1)
        switch rng.below(11) {
        case 0 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] ^= UInt8(1) << UInt8(rng.below(8))
        case 1 where !bytes.isEmpty:
            bytes[min(position, bytes.count - 1)] = UInt8(truncatingIfNeeded: rng.next())
        case 2:
            let end = min(bytes.count, position + 1 + rng.below(16))
            bytes.removeSubrange(position..<end)
        case 3:
            bytes.removeSubrange(position..<bytes.count)
        case 4:
            let tokens = isText ? Self.textTokens : Self.binaryPatterns
            bytes.insert(contentsOf: tokens[rng.below(tokens.count)], at: position)
        case 5:
            let random = (0..<(1 + rng.below(8))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.insert(contentsOf: random, at: position)
        case 6:
            let other = corpus[rng.below(corpus.count)]
            guard !other.isEmpty else { return }
            let start = rng.below(other.count)
            let end = min(other.count, start + 1 + rng.below(128))
            bytes.insert(contentsOf: other[start..<end], at: position)
        case 7 where bytes.count > 2:
            let start = rng.below(bytes.count)
            let end = min(bytes.count, start + 1 + rng.below(64))
            let chunk = Array(bytes[start..<end])
            bytes.insert(contentsOf: chunk, at: position)
        case 8:
            replaceNumber(&bytes, near: position, rng: &rng)
        case 9:
            // Deep nesting or a long run: a token (or a chunk of the input) repeated many times.
            let tokens = isText ? Self.textTokens : Self.binaryPatterns
            var unit = tokens[rng.below(tokens.count)]
            if rng.chance(50), bytes.count > 4 {
                let start = rng.below(bytes.count - 1)
                unit = Array(bytes[start..<min(bytes.count, start + 1 + rng.below(12))])
            }
            let times = 100 + rng.below(maximumLength / max(1, unit.count) / 2 + 1)
            bytes.insert(contentsOf: Array(repeating: unit, count: times).joined(), at: position)
        default:
            // Overwrite a short run with a boundary pattern, keeping the length.
            let tokens = isText ? Self.textTokens : Self.binaryPatterns
            let token = tokens[rng.below(tokens.count)]
            for (i, b) in token.enumerated() where position + i < bytes.count { bytes[position + i] = b }
        }
    }

    /// In text, the next run of digits becomes a boundary number; in binary, four bytes become
    /// a boundary 32-bit value.
    private func replaceNumber(_ bytes: inout [UInt8], near position: Int, rng: inout SeededRandom) {
        let numbers: [Int64] = [0, -1, 1, 2, 255, 256, 65535, 65536, 46341, 2_147_483_647, -2_147_483_648,
                                4_294_967_295, 1 << 40, Int64.max, Int64.min, 100_000]
        let value = numbers[rng.below(numbers.count)]
        if isText {
            var start = position
            while start < bytes.count, !(48...57).contains(bytes[start]) { start += 1 }
            guard start < bytes.count else { return }
            var end = start
            while end < bytes.count, (48...57).contains(bytes[end]) { end += 1 }
            bytes.replaceSubrange(start..<end, with: Array(String(value).utf8))
        } else {
            let word = UInt32(truncatingIfNeeded: value)
            for i in 0..<4 where position + i < bytes.count {
                bytes[position + i] = UInt8(truncatingIfNeeded: word >> (8 * UInt32(i)))
            }
        }
    }
}
