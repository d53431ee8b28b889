import ArgumentParser
@_spi(ResilienceTools) import Resilience

/// Parses the durations the command line accepts: a number with an optional unit.
///
/// | input | meaning |
/// |---|---|
/// | `2`, `0.5` | seconds (a bare number) |
/// | `250ms`, `1.5s`, `2m`, `1h` | milliseconds, seconds, minutes, hours |
/// | `100us`, `10ns` | microseconds, nanoseconds |
/// | `1m30s` | a sum of parts |
///
/// Negative numbers, exponents, `inf`, `nan`, unknown units and values beyond about 292 years are
/// refused with a message saying why.
///
/// Options take it through ArgumentParser: `@Option(parsing: .unconditional, transform:
/// DurationArgument.init(parsing:))`, so that a bad value is reported as `The value '5x' is invalid
/// for '--base <duration>': "5x" has an unknown unit "x"; ...` (the conformance's `init?(argument:)`
/// cannot say why), and a negative one (`--base -1s`, which ArgumentParser would otherwise take for
/// an option) is said to be negative.
package struct DurationArgument: Hashable, Sendable, ExpressibleByArgument, CustomStringConvertible {
    /// The duration.
    package var duration: Duration

    /// Wraps `duration`.
    ///
    /// - Parameter duration: The duration.
    package init(_ duration: Duration) {
        self.duration = duration
    }

    /// Parses `text` as a duration.
    ///
    /// - Parameter text: The argument, such as `500ms`.
    /// - Throws: ``ArgumentError`` explaining what is wrong with `text`.
    package init(parsing text: String) throws(ArgumentError) {
        duration = try Self.parse(text)
    }

    /// Parses `argument`, for ArgumentParser; `nil` when it is not a duration.
    ///
    /// - Parameter argument: The argument, such as `500ms`.
    package init?(argument: String) {
        guard let duration = try? Self.parse(argument) else { return nil }
        self.duration = duration
    }

    /// The duration, short, such as `2s`.
    package var description: String { Self.format(duration) }

    /// Parses `text` as a duration.
    ///
    /// - Parameter text: The argument, such as `500ms`.
    /// - Returns: The duration, rounded to the nearest nanosecond.
    /// - Throws: ``ArgumentError`` explaining what is wrong with `text`.
    package static func parse(_ text: String) throws(ArgumentError) -> Duration {
        let trimmed = text.trimmingSpaces()
        guard !trimmed.isEmpty else {
            throw ArgumentError("expected a duration such as 500ms, 2s or 1m, got an empty value")
        }
        if trimmed.hasPrefix("-") {
            throw ArgumentError("\"\(text)\" is negative; a duration is 0 or more, such as 500ms, 2s or 1m")
        }
        var total = 0.0
        var rest = Substring(trimmed)
        var sawUnit = false
        while !rest.isEmpty {
            let number = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !number.isEmpty, number.filter({ $0 == "." }).count <= 1, number != ".",
                let value = Double(number)
            else {
                throw ArgumentError("\"\(text)\" is not a duration; expected a number with an optional unit (ns, us, ms, s, m, h)")
            }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let nanosecondsPerUnit: Double
            switch unit {
            case "": nanosecondsPerUnit = 1e9
            case "ns": nanosecondsPerUnit = 1
            case "us", "µs": nanosecondsPerUnit = 1e3
            case "ms": nanosecondsPerUnit = 1e6
            case "s": nanosecondsPerUnit = 1e9
            case "m": nanosecondsPerUnit = 60e9
            case "h": nanosecondsPerUnit = 3_600e9
            default:
                throw ArgumentError("\"\(text)\" has an unknown unit \"\(unit)\"; use ns, us, ms, s, m or h")
            }
            if unit.isEmpty && (sawUnit || !rest.isEmpty) {
                throw ArgumentError("\"\(text)\" is not a duration; every part of a combined duration needs a unit, as in 1m30s")
            }
            sawUnit = sawUnit || !unit.isEmpty
            total += value * nanosecondsPerUnit
        }
        // 9.223372036854775e18 is the first Double above Int64.max nanoseconds.
        guard total.isFinite, total < 9.223_372_036_854_775_807e18 else {
            throw ArgumentError("\"\(text)\" is too long a duration")
        }
        return .nanoseconds(Int64(total.rounded()))
    }

    /// A short, human-readable rendering such as `250ms`, `1.5s` or `2m5s`, used in progress messages.
    ///
    /// What it prints parses back (``parse(_:)``) to a duration that prints the same: a value that
    /// rounds up to the next unit is printed in it (`1s`, not `1000ms`), and one too short for a
    /// thousandth of a millisecond in nanoseconds (`400ns`, not `0ms`).
    ///
    /// - Parameter duration: The duration; negative values render as `0s`.
    /// - Returns: The rendering, with at most three significant decimals.
    package static func format(_ duration: Duration) -> String {
        let nanoseconds = max(duration.saturatingNanoseconds, 0)
        if nanoseconds == 0 { return "0s" }
        if nanoseconds < 1_000_000 {
            let milliseconds = rounded(Double(nanoseconds) / 1e6, decimals: 3)
            if milliseconds == 0 { return "\(nanoseconds)ns" }
            if milliseconds < 1 { return "\(trimmed(milliseconds))ms" }
        }
        if nanoseconds < 1_000_000_000 {
            let milliseconds = rounded(Double(nanoseconds) / 1e6, decimals: 1)
            if milliseconds < 1_000 { return "\(trimmed(milliseconds))ms" }
        }
        if nanoseconds < 60_000_000_000 {
            let seconds = rounded(Double(nanoseconds) / 1e9, decimals: 2)
            if seconds < 60 { return "\(trimmed(seconds))s" }
        }
        let totalSeconds = max(nanoseconds / 1_000_000_000, 60)
        let minutes = totalSeconds / 60
        let seconds = totalSeconds % 60
        if minutes < 60 { return seconds == 0 ? "\(minutes)m" : "\(minutes)m\(seconds)s" }
        let hours = minutes / 60
        let remainingMinutes = minutes % 60
        return remainingMinutes == 0 ? "\(hours)h" : "\(hours)h\(remainingMinutes)m"
    }

    /// `value` rounded to `decimals` decimals.
    static func rounded(_ value: Double, decimals: Int) -> Double {
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        return (value * scale).rounded() / scale
    }

    /// `value` with at most `decimals` decimals and no trailing zeros.
    static func trimmed(_ value: Double, decimals: Int) -> String {
        trimmed(rounded(value, decimals: decimals))
    }

    /// `value`, already rounded, without trailing zeros.
    static func trimmed(_ rounded: Double) -> String {
        var text = "\(rounded)"
        if text.contains("e") { return text }
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
