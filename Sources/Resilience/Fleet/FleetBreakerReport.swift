/// What one instance sends the fleet for one shared breaker in a sync: its summary, and what it asks
/// of the probe leases.
///
/// Made by ``FleetCoordination/report(unixTime:)`` (or ``CircuitBreakerStateMachine``'s
/// `fleetReport`). The store upserts ``summary`` and applies ``probeRequest`` to the breaker's
/// ``FleetProbeLeases`` (``FleetProbeLeases/apply(_:from:at:configuration:)``), then returns the
/// ``FleetBreakerView``; give the same report back with the view to
/// ``FleetCoordination/apply(_:acknowledging:unixTime:)``, which then knows the store has it.
public struct FleetBreakerReport: Hashable, Sendable {
    /// The instance's summary: upsert it, keyed by breaker name and instance.
    public var summary: FleetBreakerSummary
    /// A lease to ask for or give back, if any.
    public var probeRequest: FleetProbeRequest?

    /// Creates a report.
    ///
    /// - Parameters:
    ///   - summary: The instance's summary.
    ///   - probeRequest: A lease to ask for or give back, if any.
    public init(summary: FleetBreakerSummary, probeRequest: FleetProbeRequest? = nil) {
        self.summary = summary
        self.probeRequest = probeRequest
    }
}

/// What one sync read back from the fleet for one shared breaker: every instance's summary and the
/// probe leases.
public struct FleetBreakerView: Hashable, Sendable {
    /// The summaries of the fleet's instances, this one's included; those not live are ignored (a
    /// store may leave them out, and should delete them).
    public var summaries: [FleetBreakerSummary]
    /// The breaker's probe leases and last verdict.
    public var leases: FleetProbeLeases

    /// Creates a view.
    ///
    /// - Parameters:
    ///   - summaries: The fleet's summaries.
    ///   - leases: The probe leases.
    public init(summaries: [FleetBreakerSummary], leases: FleetProbeLeases = FleetProbeLeases()) {
        self.summaries = summaries
        self.leases = leases
    }
}

/// What a local breaker did with one ``FleetBreakerView``.
public struct FleetSyncResult: Hashable, Sendable {
    /// The fleet's decision from the view.
    public var decision: FleetDecision
    /// The changes of state the view caused, in order (already reported to the breaker's observer
    /// by ``FleetCoordination``): ``CircuitBreakerTransition/Reason/fleetOpened``,
    /// ``CircuitBreakerTransition/Reason/fleetClosed`` or ``CircuitBreakerTransition/Reason/fleetReopened``.
    public var transitions: [CircuitBreakerTransition]
    /// Whether this instance holds a probe lease now.
    public var holdsProbeLease: Bool

    /// Creates a result.
    ///
    /// - Parameters:
    ///   - decision: The fleet's decision.
    ///   - transitions: The changes of state.
    ///   - holdsProbeLease: Whether this instance holds a probe lease.
    public init(decision: FleetDecision, transitions: [CircuitBreakerTransition], holdsProbeLease: Bool) {
        self.decision = decision
        self.transitions = transitions
        self.holdsProbeLease = holdsProbeLease
    }
}
