/// What the fleet decides about one downstream from its instances' summaries: open, closed, or no
/// opinion, with the reason and the numbers behind it. A pure function of the summaries, the rules
/// and the time.
///
/// ```swift
/// let decision = FleetDecision(evaluating: summaries, rules: configuration.rules,
///                              timeToLive: configuration.timeToLive, now: unixNanoseconds)
/// if decision.isOpen { ... }   // decision.reason == .quorum, decision.failingInstances == 3
/// ```
///
/// Only live summaries count (heartbeat at most the time to live old, see
/// ``FleetBreakerSummary/isLive(at:timeToLive:)``). The rules are checked in this order, and the first
/// that fires is the reason:
/// 1. ``Reason/pooledFailureRate``: the pooled windows of the closed (and disabled) instances hold at
///    least ``FleetBreakerRules/minimumThroughput`` calls with a failure rate of at least
///    ``FleetBreakerRules/failureRateThreshold``;
/// 2. ``Reason/quorum``: at least ``FleetBreakerRules/quorum`` instances see the downstream as failing
///    (``FleetBreakerSummary/seesDownstreamFailing(rules:recoveredAt:)``);
/// 3. ``Reason/quorumShare``: at least ``FleetBreakerRules/quorumShare`` of the live instances do.
///
/// Otherwise the fleet is closed (``Reason/healthy``) when the pooled windows hold at least the
/// minimum throughput, and has no opinion (``Reason/tooFewCalls``) when they do not (or no instance
/// is live): then each instance goes by its own evidence alone.
///
/// A closed decision changes no breaker: an instance opened by the fleet stays open for its break and
/// then waits for the fleet's probe (see ``FleetProbeLeases``). An open decision opens the closed
/// breakers (``CircuitBreakerTransition/Reason/fleetOpened``).
public struct FleetDecision: Hashable, Sendable, CustomStringConvertible {
    /// Open, closed, or no opinion.
    ///
    /// A struct with static members rather than an enum, so verdicts can be added without breaking code
    /// that switches over them.
    public struct Verdict: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case open, closed, noOpinion
        }

        let storage: Storage

        /// The fleet sees the downstream as failing: closed breakers open.
        public static let open = Verdict(storage: .open)
        /// The fleet has enough calls and sees the downstream as healthy.
        public static let closed = Verdict(storage: .closed)
        /// Too few calls (or no live instance) to judge: every instance goes by its own evidence.
        public static let noOpinion = Verdict(storage: .noOpinion)

        /// The verdict's name, such as `noOpinion`.
        public var description: String { storage.rawValue }
    }

    /// Why the fleet decided as it did.
    ///
    /// A struct with static members rather than an enum, so reasons can be added without breaking code
    /// that switches over them.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case pooledFailureRate, quorum, quorumShare, healthy, tooFewCalls
        }

        let storage: Storage

        /// Open: the pooled failure rate reached ``FleetBreakerRules/failureRateThreshold``.
        public static let pooledFailureRate = Reason(storage: .pooledFailureRate)
        /// Open: at least ``FleetBreakerRules/quorum`` instances see the downstream as failing.
        public static let quorum = Reason(storage: .quorum)
        /// Open: at least ``FleetBreakerRules/quorumShare`` of the live instances see it as failing.
        public static let quorumShare = Reason(storage: .quorumShare)
        /// Closed: enough calls, and no rule fires.
        public static let healthy = Reason(storage: .healthy)
        /// No opinion: fewer pooled calls than ``FleetBreakerRules/minimumThroughput``, and no quorum.
        public static let tooFewCalls = Reason(storage: .tooFewCalls)

        /// The reason's name, such as `quorum`.
        public var description: String { storage.rawValue }
    }

    /// Open, closed, or no opinion.
    public let verdict: Verdict
    /// Why.
    public let reason: Reason
    /// The live instances.
    public let liveInstances: Int
    /// The live instances that see the downstream as failing.
    public let failingInstances: Int
    /// The calls in the pooled windows (closed and disabled live instances).
    public let pooledCalls: Int
    /// The failures in the pooled windows.
    public let pooledFailures: Int
    /// The slow calls in the pooled windows.
    public let pooledSlowCalls: Int

    /// Applies the rules to the live summaries.
    ///
    /// - Parameters:
    ///   - summaries: The fleet's summaries for one breaker, one per instance (including this
    ///     instance's own); those not live at `now` are ignored.
    ///   - rules: The fleet's rules.
    ///   - timeToLive: How long an instance stays live without a heartbeat.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    ///   - recoveredAt: When the fleet last closed after a successful probe
    ///     (``FleetProbeLeases/recoveredAt``), if ever: openings before it no longer count.
    /// - Complexity: O(n) for n summaries.
    public init(
        evaluating summaries: some Sequence<FleetBreakerSummary>,
        rules: FleetBreakerRules,
        timeToLive: Duration,
        now: Int64,
        recoveredAt: Int64? = nil
    ) {
        var live = 0
        var failing = 0
        var calls = 0
        var failures = 0
        var slowCalls = 0
        for summary in summaries where summary.isLive(at: now, timeToLive: timeToLive) {
            live += 1
            if summary.seesDownstreamFailing(rules: rules, recoveredAt: recoveredAt) { failing += 1 }
            if summary.isPooled {
                calls = calls.addingReportingOverflow(summary.calls).partialValue
                failures = failures.addingReportingOverflow(summary.failures).partialValue
                slowCalls = slowCalls.addingReportingOverflow(summary.slowCalls).partialValue
            }
        }
        liveInstances = live
        failingInstances = failing
        pooledCalls = calls
        pooledFailures = failures
        pooledSlowCalls = slowCalls

        let enoughCalls = calls >= max(rules.minimumThroughput, 1)
        if let threshold = rules.failureRateThreshold, enoughCalls, Double(failures) / Double(calls) >= threshold {
            (verdict, reason) = (.open, .pooledFailureRate)
        } else if let quorum = rules.quorum, failing >= max(quorum, 1) {
            (verdict, reason) = (.open, .quorum)
        } else if let share = rules.quorumShare, live > 0, failing > 0, Double(failing) >= share * Double(live) {
            (verdict, reason) = (.open, .quorumShare)
        } else if enoughCalls {
            (verdict, reason) = (.closed, .healthy)
        } else {
            (verdict, reason) = (.noOpinion, .tooFewCalls)
        }
    }

    /// Whether the fleet's circuit is open.
    public var isOpen: Bool { verdict == .open }

    /// The pooled failure rate, from 0 to 1; `nil` when the pooled windows are empty.
    public var pooledFailureRate: Double? {
        pooledCalls > 0 ? Double(pooledFailures) / Double(pooledCalls) : nil
    }

    /// A summary such as `open (quorum): 3 of 50 live instances failing, 120 of 400 pooled calls failed`.
    public var description: String {
        "\(verdict) (\(reason)): \(failingInstances) of \(liveInstances) live instances failing, "
            + "\(pooledFailures) of \(pooledCalls) pooled calls failed"
    }
}
