#if Postgres
import Resilience

/// The fleet-wide limit on a shared ratio `RetryBudget`'s retries: at most `minimumRetries` plus
/// `ratio` of the fleet's pooled requests per window (see `FleetRetryBudgetDecision`). A validated
/// value.
public struct FleetRetryBudgetShare: Hashable, Sendable {
    /// The share of the fleet's requests that may be retried, in `0...1`.
    public var ratio: Double
    /// Retries the whole fleet may make per window whatever the traffic; at least 0.
    public var minimumRetries: Int

    /// A tenth of the fleet's requests, and 10 retries a window whatever the traffic.
    public static let `default` = FleetRetryBudgetShare(unchecked: 0.1, minimumRetries: 10)

    /// Creates a validated share.
    ///
    /// - Parameters:
    ///   - ratio: The share of the fleet's requests that may be retried.
    ///   - minimumRetries: Retries the fleet may make per window whatever the traffic.
    /// - Throws: `ConfigurationError` naming `ratio` or `minimumRetries`.
    public init(ratio: Double = 0.1, minimumRetries: Int = 10) throws(ConfigurationError) {
        self.init(unchecked: ratio, minimumRetries: minimumRetries)
        guard ratio.isFinite, (0...1).contains(ratio) else {
            throw ConfigurationError(.invalidValue, field: "ratio", reason: "must be in 0...1, got \(ratio)")
        }
        guard minimumRetries >= 0 else {
            throw ConfigurationError(.invalidValue, field: "minimumRetries", reason: "must be at least 0, got \(minimumRetries)")
        }
    }

    init(unchecked ratio: Double, minimumRetries: Int) {
        self.ratio = ratio
        self.minimumRetries = minimumRetries
    }
}
#endif
