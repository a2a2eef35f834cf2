import Foundation

/// The seeded random number generator of a net (Caffe's `caffe_rng`): fillers, Dropout masks and
/// data augmentation draw from it in a fixed order, so a run with the same seed repeats exactly.
///
/// The generator is xoshiro256** seeded through SplitMix64. It does not reproduce Caffe's boost
/// mt19937 streams (no golden file depends on them; random cases are checked statistically).
public final class RandomSource: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)
    /// The seed this source was created with.
    public let seed: UInt64

    /// The seed used when none is given, so that unseeded runs are repeatable too.
    public static let defaultSeed: UInt64 = 1701

    public init(seed: UInt64 = RandomSource.defaultSeed) {
        self.seed = seed
        var mixer = seed
        func splitMix() -> UInt64 {
            mixer &+= 0x9E37_79B9_7F4A_7C15
            var z = mixer
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        state = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    @inline(__always)
    private static func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    public func next() -> UInt64 {
        let result = RandomSource.rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = RandomSource.rotl(state.3, 45)
        return result
    }

    /// A new independent source seeded from this one (for a prefetch thread or a sub-task).
    public func fork() -> RandomSource { RandomSource(seed: next()) }

    /// Uniform double in [0, 1).
    @inline(__always)
    public func unitDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform float in [low, high) (Caffe's `caffe_rng_uniform`).
    @inline(__always)
    public func uniform(_ low: Float, _ high: Float) -> Float {
        let value = Float(Double(low) + (Double(high) - Double(low)) * unitDouble())
        return value < high ? value : low
    }

    private var spareGaussian: Double?

    /// Normal draw (Caffe's `caffe_rng_gaussian`), Box-Muller in double.
    public func gaussian(mean: Float, std: Float) -> Float {
        if let spare = spareGaussian {
            spareGaussian = nil
            return Float(Double(mean) + Double(std) * spare)
        }
        var u1 = unitDouble()
        while u1 <= 0 { u1 = unitDouble() }
        let u2 = unitDouble()
        let radius = (-2 * Foundation.log(u1)).squareRoot()
        spareGaussian = radius * Foundation.sin(2 * Double.pi * u2)
        return Float(Double(mean) + Double(std) * radius * Foundation.cos(2 * Double.pi * u2))
    }

    /// 1 with probability `p`, else 0 (Caffe's `caffe_rng_bernoulli`).
    @inline(__always)
    public func bernoulli(_ p: Double) -> Bool { unitDouble() < p }

    /// Uniform integer in 0..<upperBound (0 when the bound is not positive).
    public func integer(below upperBound: Int) -> Int {
        guard upperBound > 0 else { return 0 }
        return Int(next() % UInt64(upperBound))
    }
}
