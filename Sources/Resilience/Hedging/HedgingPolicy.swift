/// How a ``Hedging`` strategy hedges: how many attempts it may make, how long it waits for one
/// before starting the next, and which failures start the next one at once: a validated value.
///
/// ```swift
/// let policy = try HedgingPolicy(maxAttempts: 3, delay: .milliseconds(200))
/// let quick = try HedgingPolicy.default.with { $0.delay = .milliseconds(50) }
/// ```
///
/// - ``delay`` of `.milliseconds(200)`: when no attempt has answered 200 ms after the last one
///   started, another starts (gRPC's `hedgingDelay`, Polly's `Delay`). Pick about the 95th
///   percentile of the operation's latency, so that only the slowest calls are hedged.
/// - ``delay`` of zero: every attempt starts at once (gRPC's behaviour for a zero delay).
/// - ``delay`` of `nil`: attempts start only after a failure, one at a time: hedging as a fail-over
///   to the next replica (Polly's "fallback mode", an infinite delay).
///
/// A failure whose category is in ``hedgeableCategories`` starts the next attempt at once (gRPC's
/// `nonFatalStatusCodes`); any other failure is final: the call throws it and cancels the attempts
/// still running. A policy that was never checked still never crashes: fewer than 1 attempt makes
/// one, and a negative delay counts as zero.
public struct HedgingPolicy: Hashable, Sendable, CustomStringConvertible {
    /// The most attempts in one call, counting the first: `2` means the first attempt and at most
    /// one hedge (gRPC's `maxAttempts`; Polly's `MaxHedgedAttempts` + 1). At least 1.
    public var maxAttempts: Int

    /// How long after an attempt starts the next one starts if no attempt has answered yet; zero to
    /// start every attempt at once; `nil` to start attempts only after failures. Not negative.
    public var delay: Duration?

    /// The categories of failure that start the next attempt at once; any other failure ends the
    /// call. ``ErrorCategory/cancellation`` may not be included: a cancelled attempt never hedges.
    public var hedgeableCategories: Set<ErrorCategory>

    /// Creates a validated policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: The most attempts in one call, counting the first; at least 1.
    ///   - delay: How long to wait for an attempt before starting the next; zero for all at once,
    ///     `nil` for failures only.
    ///   - hedgeableCategories: The categories of failure that start the next attempt at once.
    ///     Default: the four transient categories and ``ErrorCategory/rateLimited`` (another
    ///     replica may well have room).
    /// - Throws: ``ConfigurationError`` naming `maxAttempts`, `delay` or `hedgeableCategories`.
    public init(
        maxAttempts: Int = 2,
        delay: Duration? = .seconds(2),
        hedgeableCategories: Set<ErrorCategory> = HedgingPolicy.defaultHedgeableCategories
    ) throws(ConfigurationError) {
        self.init(unchecked: maxAttempts, delay: delay, hedgeableCategories: hedgeableCategories)
        try validate()
    }

    init(unchecked maxAttempts: Int, delay: Duration?, hedgeableCategories: Set<ErrorCategory>) {
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.hedgeableCategories = hedgeableCategories
    }

    /// The categories hedged by default: ``ErrorCategory/timeout``, ``ErrorCategory/connectionFailure``,
    /// ``ErrorCategory/ioFailure``, ``ErrorCategory/transient`` and ``ErrorCategory/rateLimited``.
    public static let defaultHedgeableCategories: Set<ErrorCategory> = ErrorCategory.allTransient.union([.rateLimited])

    /// Two attempts, the second after 2 seconds (Polly's defaults), hedging the default categories.
    public static let `default` = HedgingPolicy(
        unchecked: 2,
        delay: .seconds(2),
        hedgeableCategories: defaultHedgeableCategories
    )

    /// A copy with `changes` applied, then checked: the way to adjust a policy.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed policy.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout HedgingPolicy) -> Void) throws(ConfigurationError) -> HedgingPolicy {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `maxAttempts` (below 1), `delay` (negative or over
    ///   292 years) or `hedgeableCategories` (holding ``ErrorCategory/cancellation``).
    public func validate() throws(ConfigurationError) {
        guard maxAttempts >= 1 else { throw .invalid("maxAttempts", "must be at least 1, got \(maxAttempts)") }
        if let delay {
            guard delay >= .zero else { throw .invalid("delay", "must not be negative, got \(delay)") }
            guard delay <= .saturatedMaximum else {
                throw .invalid("delay", "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(delay)")
            }
        }
        if hedgeableCategories.contains(.cancellation) {
            throw .invalid("hedgeableCategories", "must not contain cancellation: a cancelled attempt never hedges")
        }
    }

    /// Whether a failure of `category` starts the next attempt at once.
    ///
    /// - Parameter category: The failure's category.
    public func hedges(_ category: ErrorCategory) -> Bool {
        category != .cancellation && hedgeableCategories.contains(category)
    }

    /// The attempts and delay, such as `2 attempts, hedging after 2.0 s`.
    public var description: String {
        let attempts = "\(maxAttempts) attempt\(maxAttempts == 1 ? "" : "s")"
        guard let delay else { return "\(attempts), hedging after failures only" }
        return delay == .zero ? "\(attempts), all at once" : "\(attempts), hedging after \(delay.inSeconds) s"
    }

    /// ``maxAttempts`` made total: at least 1.
    var effectiveMaxAttempts: Int { max(maxAttempts, 1) }

    /// ``delay`` made total: not negative, at most `Int64.max` nanoseconds.
    var effectiveDelay: Duration? { delay.map { min(max($0, .zero), .saturatedMaximum) } }
}
