/// When a circuit breaker trips, how long it stays open and how it probes for recovery: a validated
/// value.
///
/// A configuration is plain data (`Sendable`, `Hashable`, `Codable`), so it can be a constant, come
/// from a configuration file, or be shared by many breakers. Its initialiser checks every field and
/// throws a ``ConfigurationError`` naming the one that is wrong; decoding and ``with(_:)`` check the
/// same way. Every field can also be set directly (`var c = CircuitBreakerConfiguration.default;
/// c.consecutiveFailureThreshold = 3`); ``validate()`` then checks the result, and a breaker given an
/// unchecked configuration still never crashes: out-of-range values act as the nearest valid one.
///
/// **Trip rules** (closed state), any of which opens the circuit:
/// - ``consecutiveFailureThreshold`` failures in a row (5 by default); a success
///   starts the count again.
/// - a failure rate of at least ``failureRateThreshold`` over the ``slidingWindow``, once it holds
///   ``minimumThroughput`` calls;
/// - a slow-call rate of at least the ``slowCalls`` rule's rate, over the same window and minimum.
///
/// **Open** for ``breakDuration``: a ``Backoff`` indexed by the number of openings in a row without the
/// circuit closing in between, so `.exponential(initial: .seconds(30), maxDelay: .seconds(300))`
/// doubles the break on every failed recovery, capped.
///
/// **Half-open**: at most ``maxConcurrentProbes`` probe calls at once, judged by the ``halfOpenRule``:
/// by default one successful probe closes the circuit and one failed probe opens it again;
/// ``HalfOpenRule/failureRate(_:overProbes:)`` judges a number of probes by their failure rate, as
/// resilience4j does. A probe permit not given back within ``probeTimeout`` is presumed lost (its
/// holder hangs or, for a breaker whose state is shared between processes, died) and its slot is
/// freed, so the circuit never sticks half-open. With ``halfOpensAutomatically`` the circuit moves
/// from open to half-open when the break ends, without waiting for a call (so a state gauge is
/// right on a quiet service); otherwise the first call after the break does it.
///
/// **What counts**: an error whose category is in ``failureCategories`` is a failure; any other error
/// (permanent ones such as a 404, rejections by another strategy, cancellation) counts neither way.
///
/// ```swift
/// // OCR: open after 5 failures in a row, for 60 s; vision: after 3, for 120 s.
/// let ocr = CircuitBreaker(name: "ocr", configuration: .default)
/// let vision = CircuitBreaker(name: "vision", configuration: .consecutiveFailures(3, breakDuration: .seconds(120)))
///
/// // Open when half of the last minute's calls failed (at least 20 calls), for 30 s doubling to 5 min.
/// let reports = CircuitBreaker(
///     name: "reports",
///     configuration: try CircuitBreakerConfiguration(
///         consecutiveFailureThreshold: nil,
///         failureRateThreshold: 0.5,
///         slidingWindow: .time(.seconds(60), buckets: 12),
///         minimumThroughput: 20,
///         breakDuration: .exponential(initial: .seconds(30), multiplier: 2, maxDelay: .seconds(300))
///     )
/// )
/// ```
public struct CircuitBreakerConfiguration: Hashable, Sendable {
    /// Trip after this many failures in a row in the closed state, or `nil` for no such rule. At least 1.
    public var consecutiveFailureThreshold: Int?

    /// Trip when at least this share of the calls in the ``slidingWindow`` failed (`0 < rate ≤ 1`),
    /// or `nil` for no such rule.
    public var failureRateThreshold: Double?

    /// How slow calls count, or `nil` not to measure call durations.
    public var slowCalls: SlowCallRule?

    /// The recent calls that the rate rules look at. Also feeds ``CircuitBreakerSnapshot``'s counts.
    public var slidingWindow: SlidingWindow

    /// The fewest calls the ``slidingWindow`` must hold before a rate rule may trip, so three failures
    /// out of four calls at night do not open the circuit. At least 1; at most a count-based window's size.
    public var minimumThroughput: Int

    /// How long the circuit stays open: the schedule's delay for the number of openings in a row
    /// (1 for a trip from the closed state, 2 after the first failed recovery, …). Its first delay must
    /// be positive.
    public var breakDuration: Backoff

    /// The most probe calls admitted at once in the half-open state; others are rejected. At least 1;
    /// a breaker admits at most ``CircuitBreakerRecord/maximumProbes`` (10,000) at once whatever it says.
    public var maxConcurrentProbes: Int

    /// How the half-open state's probes decide between closing and opening again. Default: one
    /// successful probe closes, one failed probe opens (``HalfOpenRule/consecutiveSuccesses(_:)`` of 1).
    public var halfOpenRule: HalfOpenRule

    /// Whether an open circuit moves to half-open on its own when the break ends, rather than on the
    /// first call after it. Default: `false`. ``CircuitBreaker`` then waits on its clock in a
    /// background task while the circuit is open.
    public var halfOpensAutomatically: Bool

    /// How long a half-open probe may hold its permit before it is presumed lost and its slot freed, or
    /// `nil` never to expire probes. A late outcome of an expired probe is ignored. Positive.
    public var probeTimeout: Duration?

    /// The error categories that count as failures; errors of other categories count neither way.
    /// Never ``ErrorCategory/cancellation``: a cancelled call says nothing about the downstream.
    public var failureCategories: Set<ErrorCategory>

    /// The categories counted as failures by default: the transient ones (timeouts, connection and I/O
    /// failures, 5xx) and rate limits.
    public static let defaultFailureCategories: Set<ErrorCategory> = ErrorCategory.allTransient.union([.rateLimited])

    /// Open after 5 failures in a row, for 60 s; one probe at a time; transient
    /// failures and rate limits count.
    public static let `default` = CircuitBreakerConfiguration(
        unchecked: 5,
        failureRateThreshold: nil,
        slowCalls: nil,
        slidingWindow: .count(100),
        minimumThroughput: 10,
        breakDuration: .constant(.seconds(60)),
        maxConcurrentProbes: 1,
        halfOpenRule: .consecutiveSuccesses(1),
        halfOpensAutomatically: false,
        probeTimeout: .seconds(60),
        failureCategories: defaultFailureCategories
    )

    /// A breaker that opens after `threshold` failures in a row, for `breakDuration`, with the
    /// ``default`` configuration's other values: `.consecutiveFailures(3, breakDuration: .seconds(120))`
    /// opens after 3 failures in a row, for 120 s.
    ///
    /// Total: a threshold below 1 acts as 1, and a break below a nanosecond as a nanosecond.
    ///
    /// - Parameters:
    ///   - threshold: Failures in a row that open the circuit.
    ///   - breakDuration: How long it stays open.
    /// - Returns: The configuration.
    public static func consecutiveFailures(_ threshold: Int, breakDuration: Duration) -> CircuitBreakerConfiguration {
        var configuration = CircuitBreakerConfiguration.default
        configuration.consecutiveFailureThreshold = max(threshold, 1)
        configuration.breakDuration = .constant(min(max(breakDuration, .nanoseconds(1)), .saturatedMaximum))
        return configuration
    }

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - consecutiveFailureThreshold: Trip after this many failures in a row, or `nil` for no such rule.
    ///   - failureRateThreshold: Trip at this failure rate over the window (`0 < rate ≤ 1`), or `nil`.
    ///   - slowCalls: How slow calls count, or `nil` not to measure durations.
    ///   - slidingWindow: The recent calls the rate rules look at.
    ///   - minimumThroughput: The fewest calls in the window before a rate rule may trip.
    ///   - breakDuration: How long the circuit stays open, by openings in a row.
    ///   - maxConcurrentProbes: The most probes at once when half-open.
    ///   - halfOpenRule: How the probes decide between closing and opening again.
    ///   - halfOpensAutomatically: Whether the circuit half-opens on its own when the break ends.
    ///   - probeTimeout: When a probe's permit is presumed lost, or `nil` never.
    ///   - failureCategories: The error categories that count as failures.
    /// - Throws: ``ConfigurationError`` naming the invalid field, such as `failureRateThreshold`,
    ///   `slidingWindow.size`, `minimumThroughput`, `breakDuration` or `slowCalls.threshold`; also when
    ///   no trip rule is set.
    public init(
        consecutiveFailureThreshold: Int? = 5,
        failureRateThreshold: Double? = nil,
        slowCalls: SlowCallRule? = nil,
        slidingWindow: SlidingWindow = .count(100),
        minimumThroughput: Int = 10,
        breakDuration: Backoff = .constant(.seconds(60)),
        maxConcurrentProbes: Int = 1,
        halfOpenRule: HalfOpenRule = .consecutiveSuccesses(1),
        halfOpensAutomatically: Bool = false,
        probeTimeout: Duration? = .seconds(60),
        failureCategories: Set<ErrorCategory> = CircuitBreakerConfiguration.defaultFailureCategories
    ) throws(ConfigurationError) {
        self.init(
            unchecked: consecutiveFailureThreshold,
            failureRateThreshold: failureRateThreshold,
            slowCalls: slowCalls,
            slidingWindow: slidingWindow,
            minimumThroughput: minimumThroughput,
            breakDuration: breakDuration,
            maxConcurrentProbes: maxConcurrentProbes,
            halfOpenRule: halfOpenRule,
            halfOpensAutomatically: halfOpensAutomatically,
            probeTimeout: probeTimeout,
            failureCategories: failureCategories
        )
        try validate()
    }

    /// For presets and decoding, which validate separately.
    init(
        unchecked consecutiveFailureThreshold: Int?,
        failureRateThreshold: Double?,
        slowCalls: SlowCallRule?,
        slidingWindow: SlidingWindow,
        minimumThroughput: Int,
        breakDuration: Backoff,
        maxConcurrentProbes: Int,
        halfOpenRule: HalfOpenRule,
        halfOpensAutomatically: Bool,
        probeTimeout: Duration?,
        failureCategories: Set<ErrorCategory>
    ) {
        self.consecutiveFailureThreshold = consecutiveFailureThreshold
        self.failureRateThreshold = failureRateThreshold
        self.slowCalls = slowCalls
        self.slidingWindow = slidingWindow
        self.minimumThroughput = minimumThroughput
        self.breakDuration = breakDuration
        self.maxConcurrentProbes = maxConcurrentProbes
        self.halfOpenRule = halfOpenRule
        self.halfOpensAutomatically = halfOpensAutomatically
        self.probeTimeout = probeTimeout
        self.failureCategories = failureCategories
    }

    /// A copy with `changes` applied, then checked: the way to adjust a preset.
    ///
    /// ```swift
    /// let vision = try CircuitBreakerConfiguration.default.with {
    ///     $0.consecutiveFailureThreshold = 3
    ///     $0.breakDuration = .constant(.seconds(120))
    /// }
    /// ```
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout CircuitBreakerConfiguration) -> Void) throws(ConfigurationError) -> CircuitBreakerConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming the field, such as `failureRateThreshold`,
    ///   `slidingWindow.size`, `minimumThroughput`, `breakDuration`, `halfOpenRule.probes` or
    ///   `slowCalls.threshold`; also when no trip rule is set.
    public func validate() throws(ConfigurationError) {
        if let consecutiveFailureThreshold, consecutiveFailureThreshold < 1 {
            throw .invalid("consecutiveFailureThreshold", "must be at least 1, got \(consecutiveFailureThreshold)")
        }
        if let failureRateThreshold {
            try validateRate(failureRateThreshold, field: "failureRateThreshold")
        }
        if let slowCalls {
            do { try slowCalls.validate() } catch { throw error.nested(under: "slowCalls") }
        }
        guard consecutiveFailureThreshold != nil || hasRateRule else {
            throw .invalid(
                "consecutiveFailureThreshold",
                "must be set when there is no failureRateThreshold or slowCalls rate: the breaker would never trip"
            )
        }
        do { try slidingWindow.validate() } catch { throw error.nested(under: "slidingWindow") }
        guard minimumThroughput >= 1 else {
            throw .invalid("minimumThroughput", "must be at least 1, got \(minimumThroughput)")
        }
        if hasRateRule, let size = slidingWindow.size, minimumThroughput > size {
            throw .invalid(
                "minimumThroughput",
                "must not exceed slidingWindow.size (\(size)), or no rate rule could ever trip; got \(minimumThroughput)"
            )
        }
        do { try breakDuration.validate() } catch { throw error.nested(under: "breakDuration") }
        guard breakDuration.delay(forRetry: 1) > .zero else {
            throw .invalid("breakDuration", "must start with a positive duration, got \(breakDuration)")
        }
        guard maxConcurrentProbes >= 1 else {
            throw .invalid("maxConcurrentProbes", "must be at least 1, got \(maxConcurrentProbes)")
        }
        do { try halfOpenRule.validate() } catch { throw error.nested(under: "halfOpenRule") }
        if let probeTimeout, probeTimeout <= .zero {
            throw .invalid("probeTimeout", "must be positive, got \(probeTimeout)")
        }
        if failureCategories.contains(.cancellation) {
            throw .invalid("failureCategories", "must not contain cancellation: a cancelled call says nothing about the downstream")
        }
    }

    /// Whether a rate rule (failure rate or slow-call rate) is set.
    var hasRateRule: Bool {
        failureRateThreshold != nil || slowCalls?.rateThreshold != nil
    }
}

extension CircuitBreakerConfiguration {
    /// The few facts the per-call fast path needs: small and trivially copyable, so that a call in the
    /// closed state never copies the whole configuration (which a profile showed as a 208-byte
    /// `memcpy` per lock).
    @usableFromInline
    struct HotPath: Sendable {
        /// Whether calls are timed (a slow-call rule is set).
        @usableFromInline
        let measuresDurations: Bool
        /// Whether a rate rule is set, so a success may trip the breaker.
        @usableFromInline
        let hasRateRule: Bool
        /// The sliding window's layout.
        @usableFromInline
        let slidingWindow: SlidingWindow
        /// The fewest calls before a rate rule may trip.
        @usableFromInline
        let minimumThroughput: Int
        /// The failure rate that trips the breaker; above 1 when there is no such rule.
        @usableFromInline
        let failureRateThreshold: Double
        /// The slow-call rate that trips the breaker; above 1 when there is no such rule.
        @usableFromInline
        let slowCallRateThreshold: Double

        @usableFromInline
        init(_ configuration: CircuitBreakerConfiguration) {
            measuresDurations = configuration.slowCalls != nil
            hasRateRule = configuration.hasRateRule
            slidingWindow = configuration.slidingWindow
            minimumThroughput = configuration.minimumThroughput
            failureRateThreshold = configuration.failureRateThreshold ?? 2
            slowCallRateThreshold = configuration.slowCalls?.rateThreshold ?? 2
        }

        /// Whether a rate rule fires on `counts`.
        @inlinable
        func rateRuleFires(on counts: OutcomeWindow.Counts) -> Bool {
            guard hasRateRule, counts.calls >= minimumThroughput, counts.calls > 0 else { return false }
            let calls = Double(counts.calls)
            return Double(counts.failures) / calls >= failureRateThreshold
                || Double(counts.slowCalls) / calls >= slowCallRateThreshold
        }
    }
}

extension CircuitBreakerConfiguration: CustomStringConvertible {
    /// A one-line summary such as `opens after 5 consecutive failures, for constant(60.0 s), 1 probe(s)`.
    public var description: String {
        var parts: [String] = []
        if let consecutiveFailureThreshold { parts.append("opens after \(consecutiveFailureThreshold) consecutive failures") }
        if let failureRateThreshold {
            parts.append("opens at failure rate \(failureRateThreshold) over the \(slidingWindow) (min \(minimumThroughput) calls)")
        }
        if let slowCalls { parts.append("\(slowCalls)") }
        parts.append("for \(breakDuration)")
        parts.append("\(maxConcurrentProbes) probe(s) at once, \(halfOpenRule)")
        return parts.joined(separator: ", ")
    }
}
