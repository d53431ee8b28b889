/// How many calls a ``RateLimiter`` admits over time, and how long a call may wait for a permit: a
/// validated value.
///
/// Two algorithms, as in Polly v8 and resilience4j:
///
/// - ``Algorithm/tokenBucket(capacity:tokensPerPeriod:period:)``: a bucket of `capacity` permits,
///   starting full; every call takes one, and at each period boundary `tokensPerPeriod` are put back,
///   up to the capacity. Allows bursts of up to `capacity` calls, and `tokensPerPeriod` per period in
///   the long run (resilience4j's `limitForPeriod` per `limitRefreshPeriod` is a bucket whose capacity
///   equals its tokens per period).
/// - ``Algorithm/slidingWindow(limit:window:segments:)``: at most `limit` calls in any `window`, the
///   window moving in `segments` steps: a permit taken in one segment comes back `window` later
///   (Polly's `SlidingWindowRateLimiter`).
///
/// A call finding no permit free reserves the earliest one that will be, if it comes within
/// ``maxWait``, and waits for it; otherwise it is refused with a ``LimitExceededError`` saying how long
/// until a permit is free (``LimitExceededError/retryAfter``).
///
/// ```swift
/// // Bursts of 10, 5 calls per second after that; a call may wait up to 2 s for its permit.
/// let openAI = RateLimiter(
///     name: "openai",
///     configuration: try .tokenBucket(capacity: 10, tokensPerPeriod: 5, period: .seconds(1), maxWait: .seconds(2))
/// )
/// // At most 100 calls in any minute, the window moving every 10 s; no waiting.
/// let ocr = RateLimiter(name: "ocr", configuration: try .slidingWindow(limit: 100, window: .seconds(60), segments: 6))
/// ```
///
/// Every field can also be set directly; ``validate()`` then checks the result, and a limiter given an
/// unchecked configuration still never crashes: out-of-range values act as the nearest valid one.
///
/// Configurations are `Codable`, for limits read from a configuration file; decoding checks every field
/// the same way (see ``init(from:)``).
public struct RateLimiterConfiguration: Hashable, Sendable {
    /// How a rate limiter counts calls over time: a token bucket or a sliding window.
    ///
    /// A struct with static members rather than an enum, so algorithms can be added without breaking
    /// code. The values are checked by ``RateLimiterConfiguration/validate()``.
    public struct Algorithm: Hashable, Sendable, CustomStringConvertible {
        enum Storage: Hashable, Sendable {
            case tokenBucket(capacity: Int, tokensPerPeriod: Int, period: Duration)
            case slidingWindow(limit: Int, window: Duration, segments: Int)
        }

        let storage: Storage

        /// A token bucket: `capacity` permits, starting full; `tokensPerPeriod` put back at every
        /// `period` boundary (counted from the limiter's creation), up to the capacity.
        ///
        /// - Parameters:
        ///   - capacity: The most permits the bucket holds: the largest burst. At least 1.
        ///   - tokensPerPeriod: The permits put back at each period boundary. At least 1.
        ///   - period: The time between boundaries. At least 1 ns.
        /// - Returns: The algorithm.
        public static func tokenBucket(capacity: Int, tokensPerPeriod: Int, period: Duration) -> Algorithm {
            Algorithm(storage: .tokenBucket(capacity: capacity, tokensPerPeriod: tokensPerPeriod, period: period))
        }

        /// A sliding window: at most `limit` permits taken in any `window`, the window moving in steps
        /// of `window / segments`, so a permit taken comes back one window after the start of the
        /// segment it was taken in.
        ///
        /// - Parameters:
        ///   - limit: The most permits in a window. At least 1.
        ///   - window: The window's length. Positive.
        ///   - segments: The steps the window moves in: more is smoother and costs a little more memory
        ///     and time while calls wait. From 1 to 1,000, and no more than the window's nanoseconds.
        /// - Returns: The algorithm.
        public static func slidingWindow(limit: Int, window: Duration, segments: Int = 10) -> Algorithm {
            Algorithm(storage: .slidingWindow(limit: limit, window: window, segments: segments))
        }

        /// The algorithm and its values, such as `token bucket of 10, 5 per 1.0 s` or
        /// `sliding window of 100 per 60.0 s in 6 segments`.
        public var description: String {
            switch storage {
            case .tokenBucket(let capacity, let tokensPerPeriod, let period):
                "token bucket of \(capacity), \(tokensPerPeriod) per \(period.inSeconds) s"
            case .slidingWindow(let limit, let window, let segments):
                "sliding window of \(limit) per \(window.inSeconds) s in \(segments) segment\(segments == 1 ? "" : "s")"
            }
        }

        /// The most segments a sliding window may have.
        static let maxSegments = 1_000

        /// Checks the values, naming the first invalid one (without the `algorithm.` prefix).
        func validate() throws(ConfigurationError) {
            switch storage {
            case .tokenBucket(let capacity, let tokensPerPeriod, let period):
                guard capacity >= 1 else { throw .invalid("capacity", "must be at least 1, got \(capacity)") }
                guard tokensPerPeriod >= 1 else {
                    throw .invalid("tokensPerPeriod", "must be at least 1, got \(tokensPerPeriod)")
                }
                try Self.validateLength(period, field: "period")
            case .slidingWindow(let limit, let window, let segments):
                guard limit >= 1 else { throw .invalid("limit", "must be at least 1, got \(limit)") }
                try Self.validateLength(window, field: "window")
                guard (1...Self.maxSegments).contains(segments) else {
                    throw .invalid("segments", "must be from 1 to \(Self.maxSegments), got \(segments)")
                }
                guard window.saturatingNanoseconds >= Int64(segments) else {
                    throw .invalid("segments", "must be at most the window's length in nanoseconds, got \(segments)")
                }
            }
        }

        private static func validateLength(_ length: Duration, field: String) throws(ConfigurationError) {
            guard length >= .nanoseconds(1) else { throw .invalid(field, "must be at least 1 ns, got \(length)") }
            guard length <= .saturatedMaximum else {
                throw .invalid(field, "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(length)")
            }
        }

        /// The values brought to the nearest valid ones.
        var normalized: Algorithm {
            switch storage {
            case .tokenBucket(let capacity, let tokensPerPeriod, let period):
                return .tokenBucket(
                    capacity: max(capacity, 1),
                    tokensPerPeriod: max(tokensPerPeriod, 1),
                    period: min(max(period, .nanoseconds(1)), .saturatedMaximum)
                )
            case .slidingWindow(let limit, let window, let segments):
                let window = min(max(window, .nanoseconds(1)), .saturatedMaximum)
                let segments = min(max(segments, 1), Self.maxSegments, Int(window.saturatingNanoseconds))
                return .slidingWindow(limit: max(limit, 1), window: window, segments: segments)
            }
        }
    }

    /// How the limiter counts calls over time.
    public var algorithm: Algorithm
    /// How long a call may wait for a permit: a call finding none free reserves the earliest that
    /// will be if it comes within this time, and is refused otherwise. Zero (the default) refuses every
    /// call that would wait. Zero or more.
    public var maxWait: Duration

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - algorithm: How the limiter counts calls over time.
    ///   - maxWait: How long a call may wait for a permit; zero or more.
    /// - Throws: ``ConfigurationError`` naming the invalid field: `algorithm.capacity`,
    ///   `algorithm.tokensPerPeriod`, `algorithm.period`, `algorithm.limit`, `algorithm.window`,
    ///   `algorithm.segments` or `maxWait`.
    public init(algorithm: Algorithm, maxWait: Duration = .zero) throws(ConfigurationError) {
        self.init(unchecked: algorithm, maxWait: maxWait)
        try validate()
    }

    init(unchecked algorithm: Algorithm, maxWait: Duration) {
        self.algorithm = algorithm
        self.maxWait = maxWait
    }

    /// A validated token-bucket configuration; see ``Algorithm/tokenBucket(capacity:tokensPerPeriod:period:)``.
    ///
    /// - Parameters:
    ///   - capacity: The most permits the bucket holds: the largest burst. At least 1.
    ///   - tokensPerPeriod: The permits put back at each period boundary. At least 1.
    ///   - period: The time between boundaries. At least 1 ns.
    ///   - maxWait: How long a call may wait for a permit; zero or more.
    /// - Returns: The configuration.
    /// - Throws: ``ConfigurationError`` naming `algorithm.capacity`, `algorithm.tokensPerPeriod`,
    ///   `algorithm.period` or `maxWait`.
    public static func tokenBucket(
        capacity: Int,
        tokensPerPeriod: Int,
        period: Duration,
        maxWait: Duration = .zero
    ) throws(ConfigurationError) -> RateLimiterConfiguration {
        try RateLimiterConfiguration(
            algorithm: .tokenBucket(capacity: capacity, tokensPerPeriod: tokensPerPeriod, period: period),
            maxWait: maxWait
        )
    }

    /// A token bucket of `count` permits refilled every `period`, from literal values, which never
    /// fails: `RateLimiter(configuration: .permits(100, per: .seconds(1)))` admits bursts of up to
    /// 100 calls and 100 calls a second. Out-of-range values act as the nearest valid ones (a count
    /// below 1 as 1, a period below a nanosecond as a nanosecond, a negative wait as zero).
    ///
    /// - Parameters:
    ///   - count: The permits per period, and the largest burst.
    ///   - period: The time between refills.
    ///   - maxWait: How long a call may wait for a permit; zero (the default) refuses at once.
    /// - Returns: The configuration.
    public static func permits(_ count: Int, per period: Duration, maxWait: Duration = .zero) -> RateLimiterConfiguration {
        RateLimiterConfiguration(
            unchecked: .tokenBucket(capacity: count, tokensPerPeriod: count, period: period),
            maxWait: maxWait
        ).normalized
    }

    /// A validated sliding-window configuration; see ``Algorithm/slidingWindow(limit:window:segments:)``.
    ///
    /// - Parameters:
    ///   - limit: The most permits in a window. At least 1.
    ///   - window: The window's length. Positive.
    ///   - segments: The steps the window moves in; from 1 to 1,000.
    ///   - maxWait: How long a call may wait for a permit; zero or more.
    /// - Returns: The configuration.
    /// - Throws: ``ConfigurationError`` naming `algorithm.limit`, `algorithm.window`,
    ///   `algorithm.segments` or `maxWait`.
    public static func slidingWindow(
        limit: Int,
        window: Duration,
        segments: Int = 10,
        maxWait: Duration = .zero
    ) throws(ConfigurationError) -> RateLimiterConfiguration {
        try RateLimiterConfiguration(algorithm: .slidingWindow(limit: limit, window: window, segments: segments), maxWait: maxWait)
    }

    /// A copy with `changes` applied, then checked.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout RateLimiterConfiguration) -> Void) throws(ConfigurationError) -> RateLimiterConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `algorithm.capacity`, `algorithm.tokensPerPeriod`,
    ///   `algorithm.period`, `algorithm.limit`, `algorithm.window`, `algorithm.segments` or `maxWait`.
    public func validate() throws(ConfigurationError) {
        do { try algorithm.validate() } catch { throw error.nested(under: "algorithm") }
        guard maxWait >= .zero else { throw .invalid("maxWait", "must not be negative, got \(maxWait)") }
        guard maxWait <= .saturatedMaximum else {
            throw .invalid("maxWait", "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(maxWait)")
        }
    }

    /// Every field brought to the nearest valid value.
    var normalized: RateLimiterConfiguration {
        RateLimiterConfiguration(unchecked: algorithm.normalized, maxWait: min(max(maxWait, .zero), .saturatedMaximum))
    }
}

extension RateLimiterConfiguration: CustomStringConvertible {
    /// The algorithm and the wait, such as `token bucket of 10, 5 per 1.0 s, waiting up to 2.0 s`.
    public var description: String {
        maxWait > .zero ? "\(algorithm), waiting up to \(maxWait.inSeconds) s" : "\(algorithm)"
    }
}
