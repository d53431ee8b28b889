/// A circuit breaker registered with ``ResilienceStatistics/register(_:)``: its live state and window
/// counts when the snapshot was taken.
public struct BreakerStatistics: Sendable, Hashable, Codable {
    /// The breaker's name.
    public var name: String
    /// The breaker's state and counts (``CircuitBreaker/snapshot()``).
    public var snapshot: CircuitBreakerSnapshot

    /// Creates breaker statistics.
    ///
    /// - Parameters:
    ///   - name: The breaker's name.
    ///   - snapshot: The breaker's state and counts.
    public init(name: String, snapshot: CircuitBreakerSnapshot) {
        self.name = name
        self.snapshot = snapshot
    }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case name, state, calls, failures, slowCalls, consecutiveFailures, probesInFlight, probeSuccesses, probeFailures
        case consecutiveOpenings, timeUntilHalfOpenNanoseconds, rejectedCalls
    }

    /// Decodes breaker statistics; `name` and `state` are required, a missing count is zero.
    ///
    /// - Throws: `DecodingError` for a missing name or state, an unknown state, or a negative count or
    ///   duration.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let rejectedCalls = try container.decodeIfPresent(Int64.self, forKey: .rejectedCalls) ?? 0
        guard rejectedCalls >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: .rejectedCalls, in: container, debugDescription: "a count must not be negative, got \(rejectedCalls)"
            )
        }
        self.init(
            name: try container.decode(String.self, forKey: .name),
            snapshot: CircuitBreakerSnapshot(
                state: try container.decode(CircuitState.self, forKey: .state),
                calls: try container.decodeCount(forKey: .calls),
                failures: try container.decodeCount(forKey: .failures),
                slowCalls: try container.decodeCount(forKey: .slowCalls),
                consecutiveFailures: try container.decodeCount(forKey: .consecutiveFailures),
                probesInFlight: try container.decodeCount(forKey: .probesInFlight),
                probeSuccesses: try container.decodeCount(forKey: .probeSuccesses),
                probeFailures: try container.decodeCount(forKey: .probeFailures),
                consecutiveOpenings: try container.decodeCount(forKey: .consecutiveOpenings),
                timeUntilHalfOpen: try container.decodeNanosecondsIfPresent(forKey: .timeUntilHalfOpenNanoseconds),
                rejectedCalls: rejectedCalls
            )
        )
    }

    /// Encodes the breaker's name and snapshot, durations in whole nanoseconds; no
    /// `timeUntilHalfOpenNanoseconds` field unless the circuit is open.
    ///
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(snapshot.state, forKey: .state)
        try container.encode(snapshot.calls, forKey: .calls)
        try container.encode(snapshot.failures, forKey: .failures)
        try container.encode(snapshot.slowCalls, forKey: .slowCalls)
        try container.encode(snapshot.consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(snapshot.probesInFlight, forKey: .probesInFlight)
        try container.encode(snapshot.probeSuccesses, forKey: .probeSuccesses)
        try container.encode(snapshot.probeFailures, forKey: .probeFailures)
        try container.encode(snapshot.consecutiveOpenings, forKey: .consecutiveOpenings)
        if let timeUntilHalfOpen = snapshot.timeUntilHalfOpen {
            try container.encodeNanoseconds(timeUntilHalfOpen, forKey: .timeUntilHalfOpenNanoseconds)
        }
        try container.encode(snapshot.rejectedCalls, forKey: .rejectedCalls)
    }
}
