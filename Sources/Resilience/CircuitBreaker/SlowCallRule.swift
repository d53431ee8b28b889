/// How a circuit breaker treats calls that take longer than a threshold (measured on its clock).
///
/// Either slow calls count as failures (``countedAsFailures(over:)``: for consecutive failures and
/// the failure rate alike, even when they returned a value), or they trip the breaker on their own
/// rate (``tripping(atRate:over:)``: resilience4j's slow-call rate, which counts slow successes and
/// slow failures alike).
///
/// In the half-open state a slow probe fails the probe, whichever the mode. The caller still gets the
/// slow call's value: the rule only decides how the call counts.
///
/// ```swift
/// SlowCallRule.countedAsFailures(over: .seconds(2))
/// SlowCallRule.tripping(atRate: 0.5, over: .seconds(2))
/// ```
public struct SlowCallRule: Hashable, Sendable {
    /// A call that takes longer than this is slow. Positive.
    public var threshold: Duration
    /// The share of slow calls in the sliding window (`0 < rate ≤ 1`) that trips the breaker, or
    /// `nil` when slow calls count as failures instead.
    public var rateThreshold: Double?

    /// Slow calls count as failures.
    ///
    /// - Parameter threshold: A call taking longer than this is slow; positive.
    public static func countedAsFailures(over threshold: Duration) -> SlowCallRule {
        SlowCallRule(threshold: threshold, rateThreshold: nil)
    }

    /// The breaker trips when at least `rate` of the calls in its window were slow (and the window
    /// holds at least ``CircuitBreakerConfiguration/minimumThroughput`` calls).
    ///
    /// - Parameters:
    ///   - rate: The share of slow calls that trips the breaker, `0 < rate ≤ 1`.
    ///   - threshold: A call taking longer than this is slow; positive.
    public static func tripping(atRate rate: Double, over threshold: Duration) -> SlowCallRule {
        SlowCallRule(threshold: threshold, rateThreshold: rate)
    }

    /// Checks the parameters.
    ///
    /// - Throws: ``ConfigurationError`` naming `threshold` or `rateThreshold`.
    public func validate() throws(ConfigurationError) {
        guard threshold > .zero else {
            throw .invalid("threshold", "must be positive, got \(threshold)")
        }
        if let rateThreshold {
            try validateRate(rateThreshold, field: "rateThreshold")
        }
    }
}

extension SlowCallRule: CustomStringConvertible {
    /// A short description such as `slower than 2.0 s counts as a failure`.
    public var description: String {
        guard let rateThreshold else { return "slower than \(threshold.inSeconds) s counts as a failure" }
        return "slower than \(threshold.inSeconds) s, trips at rate \(rateThreshold)"
    }
}

/// Checks that a rate threshold lies in `0 < rate ≤ 1`.
func validateRate(_ rate: Double, field: String) throws(ConfigurationError) {
    guard rate > 0, rate <= 1 else {
        throw .invalid(field, "must be greater than 0 and at most 1, got \(rate)")
    }
}
