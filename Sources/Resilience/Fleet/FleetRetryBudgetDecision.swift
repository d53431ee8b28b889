/// Whether a fleet may still retry: its instances' retries, pooled, against a share of their pooled
/// requests. A pure function of the live summaries, the ratio and the time.
///
/// Each instance's ratio ``RetryBudget`` allows `minimumRetries + ratio × requests` retries in its
/// window, from its own traffic alone; across a fleet of many quiet instances the minimums add up
/// (a thousand instances with 10 each retry 10,000 times a window whatever the traffic). The fleet's
/// budget caps the fleet's retries at `minimumRetries + ratio × pooled requests` over the live
/// instances: when the pooled retries reach it, ``allowsRetries`` is `false`, and the sync vetoes
/// retries on every instance (``RetryBudget/followFleet(_:for:)``) until a later sync finds room again.
///
/// ```swift
/// let decision = FleetRetryBudgetDecision(evaluating: summaries, ratio: 0.1, minimumRetries: 10,
///                                         timeToLive: .seconds(5), now: unixNanoseconds)
/// budget.followFleet(decision, for: configuration.staleAfter)
/// ```
public struct FleetRetryBudgetDecision: Hashable, Sendable, CustomStringConvertible {
    /// Whether the fleet's retries are below its allowance.
    public let allowsRetries: Bool
    /// The live instances.
    public let liveInstances: Int
    /// The requests of the live instances' windows, added up.
    public let pooledRequests: Int
    /// The retries of the live instances' windows, added up.
    public let pooledRetries: Int
    /// The retries the fleet may make in a window: `minimumRetries + ratio × pooledRequests`.
    public let allowance: Double

    /// Applies the fleet's ratio to the live summaries.
    ///
    /// - Parameters:
    ///   - summaries: The fleet's summaries for one budget, one per instance.
    ///   - ratio: The share of the fleet's requests that may be retried, clamped to `0...1`.
    ///   - minimumRetries: Retries the whole fleet may make per window whatever the traffic; at least 0.
    ///   - timeToLive: How long an instance stays live without a heartbeat.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    public init(
        evaluating summaries: some Sequence<FleetRetryBudgetSummary>,
        ratio: Double,
        minimumRetries: Int,
        timeToLive: Duration,
        now: Int64
    ) {
        var live = 0
        var requests = 0
        var retries = 0
        for summary in summaries where summary.isLive(at: now, timeToLive: timeToLive) {
            live += 1
            requests = requests.addingReportingOverflow(summary.requests).partialValue
            retries = retries.addingReportingOverflow(summary.retries).partialValue
        }
        let share = ratio.isNaN ? 0 : min(max(ratio, 0), 1)
        liveInstances = live
        pooledRequests = requests
        pooledRetries = retries
        allowance = Double(max(minimumRetries, 0)) + share * Double(requests)
        allowsRetries = Double(retries) < allowance
    }

    /// A summary such as `retries allowed: 31 of 58.0 (480 requests, 12 instances)`.
    public var description: String {
        "retries \(allowsRetries ? "allowed" : "vetoed"): \(pooledRetries) of \(allowance) (\(pooledRequests) requests, \(liveInstances) instances)"
    }
}
