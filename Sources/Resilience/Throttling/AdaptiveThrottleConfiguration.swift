/// How an ``AdaptiveThrottle`` sheds load: the multiplier `K` of the Google SRE book's formula, the
/// window it counts over, and which failures say that the backend is overloaded: a validated value.
///
/// Over the last ``window``, the throttle rejects each new call locally with probability
///
///     max(0, (requests − multiplier × accepts) / (requests + 1))
///
/// (capped at ``maxRejectionProbability``), where `requests` counts every call the application
/// attempted, including those rejected locally, and `accepts` the calls the backend accepted: those
/// that succeeded or failed in a way that does not signal overload.
///
/// ```swift
/// let configuration = try AdaptiveThrottleConfiguration(multiplier: 1.5, window: .seconds(60))
/// let lenient = try AdaptiveThrottleConfiguration.default.with { $0.multiplier = 3 }
/// ```
///
/// A configuration that was never checked still never crashes: a multiplier below 1 counts as 1, a
/// window that is not positive as one nanosecond, fewer than 1 bucket as 1, and a probability outside
/// `0...1` is clamped.
public struct AdaptiveThrottleConfiguration: Hashable, Sendable, CustomStringConvertible {
    /// `K`: how many requests per accepted one the throttle lets through before it starts to reject.
    /// With `K` = 2 (the book's choice) the backend sees about twice what it accepts; values closer to
    /// 1 shed more aggressively, larger ones waste more backend work on rejected calls. At least 1.
    public var multiplier: Double

    /// How far back requests and accepts count. Positive. Shorter windows react faster, longer ones
    /// are steadier.
    public var window: Duration

    /// How many buckets the window is kept in: counts expire a bucket at a time, as the clock moves.
    /// At least 1.
    public var bucketCount: Int

    /// The highest rejection probability, in `0...1`. `1` (the default) is the book's formula; a
    /// lower cap lets a share of calls through even while every call fails, so that the throttle sees
    /// a recovery sooner after a total outage.
    public var maxRejectionProbability: Double

    /// The categories of failure that say the backend refused the call because it is overloaded, so
    /// the call does not count as accepted. Every other outcome counts as accepted (the backend did
    /// the work, even if only to say "not found"); a cancellation counts neither way.
    /// ``ErrorCategory/cancellation`` may not be included.
    public var overloadCategories: Set<ErrorCategory>

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - multiplier: `K`, at least 1. Default 2.
    ///   - window: How far back requests and accepts count; positive. Default 30 seconds.
    ///   - bucketCount: How many buckets the window is kept in; at least 1. Default 30.
    ///   - maxRejectionProbability: The highest rejection probability, in `0...1`. Default 1.
    ///   - overloadCategories: The failures that signal overload. Default: ``ErrorCategory/rateLimited``
    ///     (HTTP 429, "slow down") and ``ErrorCategory/transient`` (HTTP 503, and the other 5xx
    ///     statuses the HTTP classification puts there).
    /// - Throws: ``ConfigurationError`` naming `multiplier`, `window`, `bucketCount`,
    ///   `maxRejectionProbability` or `overloadCategories`.
    public init(
        multiplier: Double = 2,
        window: Duration = .seconds(30),
        bucketCount: Int = 30,
        maxRejectionProbability: Double = 1,
        overloadCategories: Set<ErrorCategory> = AdaptiveThrottleConfiguration.defaultOverloadCategories
    ) throws(ConfigurationError) {
        self.init(
            unchecked: multiplier, window: window, bucketCount: bucketCount,
            maxRejectionProbability: maxRejectionProbability, overloadCategories: overloadCategories
        )
        try validate()
    }

    init(
        unchecked multiplier: Double,
        window: Duration,
        bucketCount: Int,
        maxRejectionProbability: Double,
        overloadCategories: Set<ErrorCategory>
    ) {
        self.multiplier = multiplier
        self.window = window
        self.bucketCount = bucketCount
        self.maxRejectionProbability = maxRejectionProbability
        self.overloadCategories = overloadCategories
    }

    /// The failures that signal overload by default: ``ErrorCategory/rateLimited`` and
    /// ``ErrorCategory/transient``.
    ///
    /// Timeouts, connection failures and local refusals (``ErrorCategory/rejected``, such as an open
    /// circuit breaker inside the throttle) are left out: they need not mean the backend is
    /// overloaded, and a breaker already sheds its calls. Add them when they do, or decide per error
    /// with ``AdaptiveThrottle/countsAsOverload``.
    public static let defaultOverloadCategories: Set<ErrorCategory> = [.rateLimited, .transient]

    /// `K` = 2 over 30 seconds in 30 buckets, no cap, overload = rate limits and transient failures.
    public static let `default` = AdaptiveThrottleConfiguration(
        unchecked: 2,
        window: .seconds(30),
        bucketCount: 30,
        maxRejectionProbability: 1,
        overloadCategories: defaultOverloadCategories
    )

    /// A copy with `changes` applied, then checked.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(
        _ changes: (inout AdaptiveThrottleConfiguration) -> Void
    ) throws(ConfigurationError) -> AdaptiveThrottleConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `multiplier` (below 1 or not finite), `window` (not
    ///   positive), `bucketCount` (below 1, or more than the window's nanoseconds),
    ///   `maxRejectionProbability` (outside `0...1`) or `overloadCategories` (holding cancellation).
    public func validate() throws(ConfigurationError) {
        guard multiplier.isFinite, multiplier >= 1 else {
            throw .invalid("multiplier", "must be a finite number of at least 1, got \(multiplier)")
        }
        guard window > .zero else { throw .invalid("window", "must be positive, got \(window)") }
        guard bucketCount >= 1 else { throw .invalid("bucketCount", "must be at least 1, got \(bucketCount)") }
        guard Int64(bucketCount) <= window.saturatingNanoseconds else {
            throw .invalid("bucketCount", "must be at most the window's nanoseconds, got \(bucketCount)")
        }
        guard (0...1).contains(maxRejectionProbability) else {
            throw .invalid("maxRejectionProbability", "must be in 0...1, got \(maxRejectionProbability)")
        }
        if overloadCategories.contains(.cancellation) {
            throw .invalid("overloadCategories", "must not contain cancellation: a cancelled call counts neither way")
        }
    }

    /// The parameters, such as `K 2.0 over 30.0 s`.
    public var description: String {
        let cap = maxRejectionProbability < 1 ? ", at most \(maxRejectionProbability)" : ""
        return "K \(multiplier) over \(window.inSeconds) s\(cap)"
    }
}
