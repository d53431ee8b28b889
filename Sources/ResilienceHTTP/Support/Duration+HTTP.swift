#if HTTP

extension Duration {
    /// The largest duration the library computes with: `Int64.max` nanoseconds, about 292 years (the
    /// core's bound for a `Retry-After` hint).
    static let maximumHint = Duration.nanoseconds(Int64.max)

    /// This duration in whole nanoseconds, truncated toward zero and clamped to the `Int64` range.
    var clampedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return whole < 0 ? .min : .max }
        return sum
    }
}

extension Int64 {
    /// `self * other`, saturated to `Int64.max`; both operands are non-negative where it is used.
    @inline(__always)
    func saturatingTimes(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }

    /// `self + other`, saturated to `Int64.max`; both operands are non-negative where it is used.
    @inline(__always)
    func saturatingPlus(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }
}

#endif
