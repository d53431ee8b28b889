/// What one instance tells the fleet about its circuit breaker for one downstream: the calls,
/// failures and slow calls in its sliding window, its local state and since when, and a heartbeat.
///
/// The fleet's sync writes one summary per instance and shared breaker (an upsert keyed by the
/// breaker's name and ``instance``) every sync interval, and reads everyone's back; ``FleetDecision``
/// judges the live ones. Times are integer nanoseconds since the Unix epoch, read from one clock for
/// the whole fleet (the shared store's clock is best: instances' clocks drift).
///
/// It is a format, not a dump of the breaker: `Codable` as a versioned object,
///
/// ```json
/// { "version": 1, "instance": "api-7f9c", "state": "open", "followsFleet": false,
///   "stateSince": 1767225600000000000, "calls": 20, "failures": 12, "slowCalls": 0,
///   "heartbeat": 1767225601000000000 }
/// ```
///
/// and decoding rejects, with a `DecodingError` naming the field, an unknown version, an empty
/// instance, a negative count, more failures or slow calls than calls, or a count above `Int32.max`.
public struct FleetBreakerSummary: Hashable, Sendable {
    /// The largest count a summary holds.
    public static let maximumCount = Int(Int32.max)

    /// The instance that sent it: unique in the fleet, stable for the life of the process (a pod name
    /// with a random suffix, for instance).
    public var instance: String
    /// The instance's local state.
    public var state: CircuitState
    /// Whether the local state (open or half-open) was entered because the fleet said so
    /// (``CircuitBreakerTransition/Reason/fleetOpened``, ``CircuitBreakerTransition/Reason/fleetReopened``)
    /// rather than on the instance's own evidence. Such an instance does not count towards a quorum.
    public var followsFleet: Bool
    /// When the instance entered its local state, in nanoseconds since the Unix epoch.
    public var stateSince: Int64
    /// The calls in the instance's sliding window.
    public var calls: Int
    /// The calls in the window that counted as failures.
    public var failures: Int
    /// The calls in the window slower than the breaker's ``SlowCallRule`` threshold.
    public var slowCalls: Int
    /// When the summary was made, in nanoseconds since the Unix epoch: the instance's heartbeat.
    public var heartbeat: Int64

    /// Creates a summary; total: counts are clamped to `0...maximumCount`, and failures and slow calls
    /// to at most the calls.
    ///
    /// - Parameters:
    ///   - instance: The instance that sends it.
    ///   - state: The instance's local state.
    ///   - followsFleet: Whether that state was entered because the fleet said so.
    ///   - stateSince: When the state was entered, in nanoseconds since the Unix epoch.
    ///   - calls: The calls in the window.
    ///   - failures: The failures in the window.
    ///   - slowCalls: The slow calls in the window.
    ///   - heartbeat: When the summary was made, in nanoseconds since the Unix epoch.
    public init(
        instance: String,
        state: CircuitState,
        followsFleet: Bool = false,
        stateSince: Int64,
        calls: Int,
        failures: Int,
        slowCalls: Int = 0,
        heartbeat: Int64
    ) {
        let calls = min(max(calls, 0), Self.maximumCount)
        self.instance = instance
        self.state = state
        self.followsFleet = followsFleet
        self.stateSince = stateSince
        self.calls = calls
        self.failures = min(max(failures, 0), calls)
        self.slowCalls = min(max(slowCalls, 0), calls)
        self.heartbeat = heartbeat
    }

    /// Whether the instance is live at `now`: its heartbeat is at most `timeToLive` old. A heartbeat
    /// in the future (clocks disagree) is live.
    ///
    /// - Parameters:
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    ///   - timeToLive: How long an instance stays live without a heartbeat.
    public func isLive(at now: Int64, timeToLive: Duration) -> Bool {
        now.saturatingMinus(heartbeat) <= max(timeToLive.saturatedNanoseconds, 0)
    }

    /// Whether the instance sees the downstream as failing, for a quorum: its circuit is open on its
    /// own evidence since after `recoveredAt` (the fleet's last successful probe, if any), or it is
    /// closed or disabled and its window holds at least the rules' instance minimum of calls with a
    /// failure rate at the instance threshold.
    ///
    /// - Parameters:
    ///   - rules: The fleet's rules.
    ///   - recoveredAt: When the fleet last closed after a successful probe, in nanoseconds since the
    ///     Unix epoch; an opening before it is old news.
    public func seesDownstreamFailing(rules: FleetBreakerRules, recoveredAt: Int64? = nil) -> Bool {
        switch state.storage {
        case .open:
            guard !followsFleet else { return false }
            return recoveredAt.map { stateSince > $0 } ?? true
        case .closed, .disabled:
            guard calls >= max(rules.instanceMinimumThroughput, 1) else { return false }
            return Double(failures) / Double(calls) >= rules.instanceFailureRateThreshold
        case .halfOpen, .isolated:
            return false
        }
    }

    /// Whether the window's counts are current evidence, pooled by the fleet: the circuit is closed or
    /// disabled (an open or half-open circuit's window holds the calls that tripped it).
    public var isPooled: Bool {
        state == .closed || state == .disabled
    }
}

extension FleetBreakerSummary: Codable {
    private enum CodingKeys: String, CodingKey {
        case version, instance, state, followsFleet, stateSince, calls, failures, slowCalls, heartbeat
    }

    /// The format's version, written as `"version"`.
    public static let formatVersion = 1

    /// Decodes a summary, checking every field.
    ///
    /// - Throws: `DecodingError` naming the field for a missing field, a wrong type, an unknown version,
    ///   an empty instance, or a count that is negative, above `Int32.max` or above the calls.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container, debugDescription: "unknown fleet summary version \(version); expected 1")
        }
        let instance = try container.decode(String.self, forKey: .instance)
        guard !instance.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .instance, in: container, debugDescription: "instance is empty")
        }
        func count(_ key: CodingKeys, atMost limit: Int) throws -> Int {
            let value = try container.decode(Int.self, forKey: key)
            guard (0...limit).contains(value) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container, debugDescription: "\(key.stringValue) must be in 0...\(limit), got \(value)")
            }
            return value
        }
        let calls = try count(.calls, atMost: Self.maximumCount)
        self.init(
            instance: instance,
            state: try container.decode(CircuitState.self, forKey: .state),
            followsFleet: try container.decode(Bool.self, forKey: .followsFleet),
            stateSince: try container.decode(Int64.self, forKey: .stateSince),
            calls: calls,
            failures: try count(.failures, atMost: calls),
            slowCalls: try count(.slowCalls, atMost: calls),
            heartbeat: try container.decode(Int64.self, forKey: .heartbeat)
        )
    }

    /// Encodes the summary as a versioned object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(instance, forKey: .instance)
        try container.encode(state, forKey: .state)
        try container.encode(followsFleet, forKey: .followsFleet)
        try container.encode(stateSince, forKey: .stateSince)
        try container.encode(calls, forKey: .calls)
        try container.encode(failures, forKey: .failures)
        try container.encode(slowCalls, forKey: .slowCalls)
        try container.encode(heartbeat, forKey: .heartbeat)
    }
}
