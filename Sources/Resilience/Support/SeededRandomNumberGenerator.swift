/// A fast, repeatable random number generator (SplitMix64) for tests, simulations and reproducible
/// runs (`resilience run --seed`).
///
/// The same seed yields the same sequence on every platform and Swift version, so tests can assert
/// exact jittered delays. Not cryptographically secure.
///
/// ```swift
/// let strategy = Retry(.default, clock: clock, random: .seeded(42))
/// ```
public struct SeededRandomNumberGenerator: RandomNumberGenerator, Hashable, Sendable {
    /// The generator's current state; equal states yield equal sequences.
    public private(set) var state: UInt64

    /// Creates a generator from a seed.
    ///
    /// - Parameter seed: Any value; each seed gives its own sequence.
    public init(seed: UInt64) {
        state = seed
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension RandomSource {
    /// A source drawing from one ``SeededRandomNumberGenerator``, shared by every call.
    ///
    /// - Parameter seed: The generator's seed.
    public static func seeded(_ seed: UInt64) -> RandomSource {
        .shared(SeededRandomNumberGenerator(seed: seed))
    }
}
