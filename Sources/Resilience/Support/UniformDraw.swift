extension RandomNumberGenerator {
    /// A uniform draw from `0..<1` with 53 bits of precision.
    ///
    /// The library maps generator output to fractions itself, rather than through
    /// `Double.random(in:using:)`, so that a seeded generator yields the same delays on every Swift
    /// version and platform; tests assert exact delays against that mapping.
    @usableFromInline
    mutating func nextUnitFraction() -> Double {
        Double(next() >> 11) * 0x1p-53
    }

    /// A uniform draw of a whole number of nanoseconds from `lower..<upper`; `lower` when the range is empty.
    @usableFromInline
    mutating func nextNanoseconds(from lower: Int64, upTo upper: Int64) -> Int64 {
        guard upper > lower else { return lower }
        let span = Double(upper - lower)
        let offset = Int64((span * nextUnitFraction()).rounded(.down))
        return lower.saturatingAdd(Swift.min(offset, upper - lower - 1))
    }
}
