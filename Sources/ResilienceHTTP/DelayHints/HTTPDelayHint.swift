#if HTTP
import HTTPTypes

/// How long a server asked the client to wait before trying again, read from a response's fields.
///
/// Three fields carry such a hint, read in this order of precedence (the first that holds a valid
/// value wins; an invalid one is skipped as if absent):
///
/// | field | value | sent by |
/// |---|---|---|
/// | `retry-after-ms` | milliseconds | OpenAI-compatible and Azure OpenAI APIs |
/// | `x-ms-retry-after-ms` | milliseconds | Azure services (Cosmos DB, Azure OpenAI) |
/// | `Retry-After` | delta-seconds (`120`) or an ``HTTPDate`` | RFC 9110 §10.2.3, for 429 and 503 |
///
/// The millisecond fields come first because they are more precise: a server sending both means the
/// same wait, rounded up to the second in `Retry-After`. When a field appears more than once, its
/// longest valid value counts, so a retry never comes earlier than any of them asked.
///
/// **Values**, all parsed by hand without Foundation (delta-seconds and milliseconds without
/// allocating), relative to an injected ``WallClock``:
///
/// | value | hint |
/// |---|---|
/// | `120`, `007`, ` 120 ` (whitespace around) | 120 s, 7 s, 120 s |
/// | `1.5` (a fraction: not RFC 9110's grammar, but sent and commonly accepted) | 1.5 s, rounded up to the nanosecond |
/// | `0`, an HTTP-date now or in the past | zero: retry as soon as the policy's schedule allows |
/// | an HTTP-date in the future | the time until then (to the nanosecond of the wall clock) |
/// | a huge number (`99999999999`, any number of digits), a date centuries ahead | saturated at `Int64.max` ns (292 years): longer than any cap, so the retry fails fast with `RetryStopReason.retryAfterExceedsMaxDelay` |
/// | empty, `-5`, `+5`, `1e3`, `5s`, `1.`, `.5`, `1 2`, `120, 60`, `soon`, an invalid date (`Feb 30`) | ignored (no hint from this field) |
///
/// A retry loop never retries earlier than a hint and never waits past its policy's cap: a hint
/// longer than the backoff's `maxDelay` stops the retries at once
/// (`RetryStopReason.retryAfterExceedsMaxDelay`), and one longer than the time left in
/// the policy's `maxElapsedTime` too (`RetryStopReason.elapsedTimeExhausted`).
public struct HTTPDelayHint: Hashable, Sendable, CustomStringConvertible {
    /// How long to wait; never negative, at most `Int64.max` nanoseconds.
    public var delay: Duration
    /// The field, and the form, it came from.
    public var source: Source

    /// Which field, in which form, a hint came from.
    ///
    /// A struct with static members rather than an enum, so sources can be added without breaking code
    /// that switches over them.
    public struct Source: Hashable, Sendable, CustomStringConvertible {
        private enum Storage: Hashable, Sendable {
            case retryAfterMilliseconds, msRetryAfterMilliseconds, retryAfterSeconds, retryAfterDate
        }

        private let storage: Storage

        /// `retry-after-ms`, in milliseconds.
        public static let retryAfterMilliseconds = Source(storage: .retryAfterMilliseconds)
        /// `x-ms-retry-after-ms`, in milliseconds.
        public static let msRetryAfterMilliseconds = Source(storage: .msRetryAfterMilliseconds)
        /// `Retry-After` as delta-seconds.
        public static let retryAfterSeconds = Source(storage: .retryAfterSeconds)
        /// `Retry-After` as an HTTP-date.
        public static let retryAfterDate = Source(storage: .retryAfterDate)

        /// The field's canonical (lowercase) name, such as `retry-after-ms`.
        public var fieldName: String {
            switch storage {
            case .retryAfterMilliseconds: "retry-after-ms"
            case .msRetryAfterMilliseconds: "x-ms-retry-after-ms"
            case .retryAfterSeconds, .retryAfterDate: "retry-after"
            }
        }

        /// The field's name and the form, such as `retry-after (date)`.
        public var description: String {
            switch storage {
            case .retryAfterMilliseconds, .msRetryAfterMilliseconds: "\(fieldName) (milliseconds)"
            case .retryAfterSeconds: "\(fieldName) (seconds)"
            case .retryAfterDate: "\(fieldName) (date)"
            }
        }
    }

    /// Creates a hint.
    ///
    /// - Parameters:
    ///   - delay: How long to wait; negative values count as zero, values over `Int64.max`
    ///     nanoseconds as that.
    ///   - source: Where it came from.
    public init(delay: Duration, source: Source) {
        self.delay = min(max(delay, .zero), .maximumHint)
        self.source = source
    }

    /// The hint in `fields`, following the precedence above, or `nil` when none holds a valid value.
    ///
    /// - Parameters:
    ///   - fields: A response's header fields.
    ///   - wallClock: The current time, read only for a `Retry-After` date.
    /// - Complexity: One pass over the fields; no allocation unless a `Retry-After` date is present.
    public init?(_ fields: HTTPFields, wallClock: WallClock = .system) {
        var milliseconds: Int64?
        var msMilliseconds: Int64?
        var retryAfter: HTTPDelayHint?
        for field in fields {
            let name = field.name.canonicalName
            // Each field's longest valid value counts.
            if name == "retry-after-ms" {
                if let value = DecimalDelay.nanoseconds(field.value.utf8, unit: DecimalDelay.millisecond) {
                    milliseconds = max(milliseconds ?? 0, value)
                }
            } else if name == "x-ms-retry-after-ms" {
                if let value = DecimalDelay.nanoseconds(field.value.utf8, unit: DecimalDelay.millisecond) {
                    msMilliseconds = max(msMilliseconds ?? 0, value)
                }
            } else if name == "retry-after" {
                if let hint = HTTPDelayHint(retryAfter: field.value, wallClock: wallClock), hint.delay >= (retryAfter?.delay ?? .zero) {
                    retryAfter = hint
                }
            }
        }
        if let milliseconds {
            self.init(delay: .nanoseconds(milliseconds), source: .retryAfterMilliseconds)
        } else if let msMilliseconds {
            self.init(delay: .nanoseconds(msMilliseconds), source: .msRetryAfterMilliseconds)
        } else if let retryAfter {
            self = retryAfter
        } else {
            return nil
        }
    }

    /// The hint in one `Retry-After` value: delta-seconds (`120`) or an HTTP-date.
    ///
    /// - Parameters:
    ///   - value: The field's value.
    ///   - wallClock: The current time, read only for a date.
    /// - Returns: The hint, or `nil` when `value` is neither form (see the table above).
    public init?(retryAfter value: String, wallClock: WallClock = .system) {
        if let nanoseconds = DecimalDelay.nanoseconds(value.utf8, unit: DecimalDelay.second) {
            self.init(delay: .nanoseconds(nanoseconds), source: .retryAfterSeconds)
        } else if let date = HTTPDate.parse(value.utf8, wallClock: wallClock) {
            self.init(delay: Self.delay(until: date, wallClock: wallClock), source: .retryAfterDate)
        } else {
            return nil
        }
    }

    /// The hint in one millisecond value (`retry-after-ms`, `x-ms-retry-after-ms`).
    ///
    /// - Parameters:
    ///   - value: The field's value, such as `1500`.
    ///   - source: The field it came from.
    /// - Returns: The hint, or `nil` when `value` is not a number of milliseconds (see the table above).
    public init?(milliseconds value: String, source: Source = .retryAfterMilliseconds) {
        guard let nanoseconds = DecimalDelay.nanoseconds(value.utf8, unit: DecimalDelay.millisecond) else { return nil }
        self.init(delay: .nanoseconds(nanoseconds), source: source)
    }

    /// The time from now until `secondsSinceEpoch`, zero when it has passed, at most `Int64.max` ns.
    static func delay(until secondsSinceEpoch: Int64, wallClock: WallClock) -> Duration {
        let remaining = Duration.seconds(secondsSinceEpoch) - .nanoseconds(wallClock.unixNanoseconds)
        return min(max(remaining, .zero), .maximumHint)
    }

    /// The delay and where it came from, such as `1.5 s from retry-after-ms (milliseconds)`.
    public var description: String {
        "\(delay) from \(source)"
    }
}

#endif
