extension Duration {
    /// The largest duration the library computes with: `Int64.max` nanoseconds, about 292 years.
    @usableFromInline
    static let saturatedMaximum = Duration.nanoseconds(Int64.max)

    /// This duration in whole nanoseconds, truncated toward zero and saturated to the `Int64` range.
    ///
    /// Not API: SPI for the `resilience` tool (the package in `Tools/`), which shares the library's
    /// arithmetic rather than copying it.
    @_spi(ResilienceTools) public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (wholeNanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow { return seconds < 0 ? .min : .max }
        let (sum, sumOverflow) = wholeNanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        if sumOverflow { return wholeNanoseconds < 0 ? .min : .max }
        return sum
    }

    /// ``saturatingNanoseconds``, for the library's inlinable code (which may not use SPI).
    @usableFromInline
    var saturatedNanoseconds: Int64 { saturatingNanoseconds }

    /// This duration in seconds, as a floating-point value (for reports, JSON and logs).
    ///
    /// Not API: SPI for the `resilience` tool, as `saturatingNanoseconds` is.
    @_spi(ResilienceTools) public var inSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// A duration of `seconds`, or `nil` when `seconds` is not finite, is negative, or exceeds
    /// ``saturatedMaximum``. Never traps, unlike `Duration.seconds(_: Double)` on such input.
    static func checkedSeconds(_ seconds: Double) -> Duration? {
        guard seconds.isFinite, seconds >= 0 else { return nil }
        let nanoseconds = (seconds * 1e9).rounded()
        // 9.223372036854775e18 is the first Double above Int64.max; anything at or over it does not fit.
        guard nanoseconds < 9.223_372_036_854_775_807e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds))
    }

    /// A duration of `nanoseconds`, clamped to `0...Int64.max` nanoseconds. `nan` yields zero,
    /// `+infinity` yields ``saturatedMaximum``.
    static func clampedNanoseconds(_ nanoseconds: Double) -> Duration {
        guard nanoseconds > 0 else { return .zero }
        guard nanoseconds < 9.223_372_036_854_775_807e18 else { return saturatedMaximum }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }
}

extension Duration {
    /// This duration in seconds rounded to the millisecond, without trailing zeros, for messages:
    /// `0.614`, `1.5`, `60`.
    var roundedSecondsDescription: String {
        let milliseconds = saturatingNanoseconds.saturatingAdd(500_000) / 1_000_000
        let whole = milliseconds / 1_000
        var fraction = String(milliseconds % 1_000)
        while fraction.count < 3 { fraction = "0" + fraction }
        while fraction.last == "0" { fraction.removeLast() }
        return fraction.isEmpty ? "\(whole)" : "\(whole).\(fraction)"
    }

    /// `self + other` in whole nanoseconds, saturated to the `Int64` nanosecond range.
    func saturatingAdding(_ other: Duration) -> Duration {
        let (sum, overflow) = saturatingNanoseconds.addingReportingOverflow(other.saturatingNanoseconds)
        if overflow { return other > .zero ? .nanoseconds(Int64.max) : .nanoseconds(Int64.min) }
        return .nanoseconds(sum)
    }
}

extension Int64 {
    /// `self + other`, saturated to `Int64.max` (both operands are non-negative in the library's use).
    @inline(__always)
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? .max : sum
    }

    /// `self * other`, saturated to `Int64.max` (both operands are non-negative in the library's use).
    @inline(__always)
    func saturatingMultiply(_ other: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        return overflow ? .max : product
    }
}
