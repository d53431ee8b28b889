/// A circuit breaker's state and counts at one moment, for dashboards, health checks and tests.
///
/// The counts are those of the sliding window (the closed or disabled state's recent calls; kept as
/// they were while the circuit is open or half-open, so they show what tripped it) and start empty
/// whenever the circuit closes.
public struct CircuitBreakerSnapshot: Hashable, Sendable, CustomStringConvertible {
    /// The state. An open circuit whose break has passed reports ``CircuitState/open`` with a
    /// ``timeUntilHalfOpen`` of zero: it half-opens on the next call (or, with
    /// ``CircuitBreakerConfiguration/halfOpensAutomatically``, as soon as the breaker's timer wakes).
    public var state: CircuitState
    /// The calls in the sliding window.
    public var calls: Int
    /// The calls in the window that counted as failures.
    public var failures: Int
    /// The calls in the window slower than the ``SlowCallRule``'s threshold.
    public var slowCalls: Int
    /// Failures in a row (closed or disabled state).
    public var consecutiveFailures: Int
    /// Probes holding a permit (half-open state), not counting expired ones.
    public var probesInFlight: Int
    /// Successful probes so far in the half-open state.
    public var probeSuccesses: Int
    /// Failed (or slow) probes so far in the half-open state.
    public var probeFailures: Int
    /// Openings in a row without the circuit closing in between; indexes the break duration.
    public var consecutiveOpenings: Int
    /// How long until an open circuit may half-open; `nil` in the other states.
    public var timeUntilHalfOpen: Duration?
    /// The calls the breaker rejected since it was created (or its state was), in every state.
    public var rejectedCalls: Int64

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - state: The state.
    ///   - calls: The calls in the sliding window.
    ///   - failures: The calls in the window that counted as failures.
    ///   - slowCalls: The slow calls in the window.
    ///   - consecutiveFailures: Failures in a row.
    ///   - probesInFlight: Probes holding a permit.
    ///   - probeSuccesses: Successful probes in the half-open state.
    ///   - probeFailures: Failed probes in the half-open state.
    ///   - consecutiveOpenings: Openings in a row.
    ///   - timeUntilHalfOpen: How long until an open circuit may half-open.
    ///   - rejectedCalls: The calls rejected so far.
    public init(
        state: CircuitState,
        calls: Int = 0,
        failures: Int = 0,
        slowCalls: Int = 0,
        consecutiveFailures: Int = 0,
        probesInFlight: Int = 0,
        probeSuccesses: Int = 0,
        probeFailures: Int = 0,
        consecutiveOpenings: Int = 0,
        timeUntilHalfOpen: Duration? = nil,
        rejectedCalls: Int64 = 0
    ) {
        self.state = state
        self.calls = calls
        self.failures = failures
        self.slowCalls = slowCalls
        self.consecutiveFailures = consecutiveFailures
        self.probesInFlight = probesInFlight
        self.probeSuccesses = probeSuccesses
        self.probeFailures = probeFailures
        self.consecutiveOpenings = consecutiveOpenings
        self.timeUntilHalfOpen = timeUntilHalfOpen
        self.rejectedCalls = rejectedCalls
    }

    /// The share of the window's calls that failed, from 0 to 1; `nil` when the window is empty.
    public var failureRate: Double? {
        calls > 0 ? Double(failures) / Double(calls) : nil
    }

    /// The share of the window's calls that were slow, from 0 to 1; `nil` when the window is empty.
    public var slowCallRate: Double? {
        calls > 0 ? Double(slowCalls) / Double(calls) : nil
    }

    /// A summary such as `open, 3 of 10 calls failed, half-open in 12.5 s`.
    public var description: String {
        var parts = ["\(state)", "\(failures) of \(calls) calls failed"]
        if slowCalls > 0 { parts.append("\(slowCalls) slow") }
        if consecutiveFailures > 0 { parts.append("\(consecutiveFailures) in a row") }
        if state == .halfOpen {
            parts.append("\(probesInFlight) probe(s) in flight, \(probeSuccesses) succeeded, \(probeFailures) failed")
        }
        if rejectedCalls > 0 { parts.append("\(rejectedCalls) rejected") }
        if let timeUntilHalfOpen { parts.append("half-open in \(timeUntilHalfOpen.inSeconds) s") }
        return parts.joined(separator: ", ")
    }
}
