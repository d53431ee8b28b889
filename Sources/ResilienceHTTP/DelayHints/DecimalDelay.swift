#if HTTP

/// The parser of the numbers in delay-hint fields: `Retry-After`'s delta-seconds and the millisecond
/// fields' values. Hand-written, allocation-free and total.
///
/// Accepts `OWS 1*DIGIT [ "." 1*DIGIT ] OWS`: RFC 9110's delta-seconds (`1*DIGIT`), plus a decimal
/// fraction, which the RFC does not allow but which services send in the millisecond fields and
/// clients commonly accept. Anything else is not a number: empty, a sign (so never negative), an
/// exponent, a unit, inner spaces, a list. The value is converted to whole nanoseconds, **rounding up**
/// a fraction finer than a nanosecond (a retry never comes earlier than the server asked) and
/// saturating at `Int64.max` nanoseconds (about 292 years): a huge value, of any number of digits, is a
/// hint longer than any cap, never an overflow.
enum DecimalDelay {
    /// Nanoseconds per second.
    static let second: Int64 = 1_000_000_000
    /// Nanoseconds per millisecond.
    static let millisecond: Int64 = 1_000_000

    /// The value of `bytes` in `unit`s (``second`` or ``millisecond``) as whole nanoseconds, or `nil`
    /// when it is not a number.
    static func nanoseconds<Bytes: Collection<UInt8>>(_ bytes: Bytes, unit: Int64) -> Int64? {
        var cursor = ByteCursor(bytes)
        cursor.skipOptionalWhitespace()
        // The whole part, saturated: once past Int64.max it stays there.
        var whole: Int64 = 0
        var wholeDigits = 0
        while let digit = cursor.digit() {
            whole = whole.saturatingTimes(10).saturatingPlus(Int64(digit))
            wholeDigits += 1
        }
        guard wholeDigits > 0 else { return nil }
        var nanoseconds = whole.saturatingTimes(unit)
        if cursor.consume(.period) {
            // The fraction: as many digits as a nanosecond of `unit` has (9 for seconds, 6 for
            // milliseconds); any non-zero digit beyond them rounds up by a nanosecond.
            var scale = unit
            var fraction: Int64 = 0
            var fractionDigits = 0
            var roundsUp = false
            while let digit = cursor.digit() {
                fractionDigits += 1
                if scale >= 10 {
                    scale /= 10
                    fraction += Int64(digit) * scale
                } else if digit != 0 {
                    roundsUp = true
                }
            }
            guard fractionDigits > 0 else { return nil }
            nanoseconds = nanoseconds.saturatingPlus(fraction).saturatingPlus(roundsUp ? 1 : 0)
        }
        cursor.skipOptionalWhitespace()
        return cursor.isAtEnd ? nanoseconds : nil
    }
}

#endif
