/// The random source of Caffe's data layers: a 32-bit Mersenne Twister (boost::mt19937, as
/// `caffe::rng_t`) with the draws Caffe makes from it. Streams are not meant to equal Caffe's
/// (its generator is seeded per thread and layer in ways a port cannot follow); the
/// distributions are the same.
public struct CaffeRandom: Sendable {
    private var state = [UInt32](repeating: 0, count: 624)
    private var index = 624

    public init(seed: UInt32) {
        state[0] = seed
        for i in 1..<624 {
            state[i] = 1812433253 &* (state[i - 1] ^ (state[i - 1] >> 30)) &+ UInt32(i)
        }
    }

    /// `caffe_rng_rand()`: one raw 32-bit draw.
    public mutating func next() -> UInt32 {
        if index >= 624 { twist() }
        var y = state[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `DataTransformer::Rand(n)`: `rng() % n`.
    public mutating func below(_ n: Int) -> Int {
        guard n > 0 else { return 0 }
        return Int(next() % UInt32(truncatingIfNeeded: n))
    }

    /// `caffe_rng_uniform(1, a, b, &r)`: boost::uniform_real<float>(a, nextafter(b, +inf)) on
    /// mt19937, i.e. a value in [a, b]. Caffe aborts when b < a (`CHECK_LE`); here the
    /// interval is taken as empty and `a` is returned.
    public mutating func uniform(_ a: Float, _ b: Float) -> Float {
        guard b > a else { return a }
        let upper = b.nextUp
        while true {
            let numerator = Float(next())
            let divisor = Float(UInt32.max) + 1
            let result = numerator / divisor * (upper - a) + a
            if result < upper { return result }
        }
    }

    private mutating func twist() {
        for i in 0..<624 {
            let y = (state[i] & 0x8000_0000) | (state[(i + 1) % 624] & 0x7FFF_FFFF)
            var v = state[(i + 397) % 624] ^ (y >> 1)
            if y & 1 != 0 { v ^= 0x9908_B0DF }
            state[i] = v
        }
        index = 0
    }
}
