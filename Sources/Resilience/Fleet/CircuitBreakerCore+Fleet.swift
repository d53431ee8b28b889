/// What a circuit breaker's core knows of its fleet: whether it follows the fleet now, the probe
/// lease it holds, the last verdict round it has seen, and what its summary needs (when its state
/// began, whether the fleet put it there).
///
/// Kept inside ``CircuitBreakerCore`` so that the sync changes it under the breaker's own lock. The
/// closed state's hot path never reads it: only the open and half-open states' admission, the
/// changes of state, and the sync do.
@usableFromInline
struct CircuitBreakerFleetLink: Hashable, Sendable {
    /// The breaker follows the fleet (it had a successful sync) until this time; `nil` before its first
    /// sync, and for a breaker with no fleet. Past it, the shared view is stale and the breaker acts
    /// alone.
    var freshUntil: Duration?
    /// This instance holds a fleet probe lease until this time.
    var leaseUntil: Duration?
    /// The last view listed this instance as a lease holder.
    var holdsStoreLease = false
    /// The last verdict round seen in a view.
    var knownRound: UInt64 = 0
    /// The current state was entered because the fleet said so.
    var followsFleet = false
    /// When the current state was entered.
    var enteredAt: Duration = .zero
    /// When the circuit last left the closed (or disabled) state; `nil` while closed or disabled.
    var episodeStart: Duration?
    /// A probe was granted under a lease in the current half-open state.
    var probingUnderLease = false
    /// What this instance's leased probes decided, until a sync has reported it.
    var pendingVerdict: FleetProbeVerdict.Outcome?

    /// Whether the fleet's view is fresh at `now`.
    func isFresh(at now: Duration) -> Bool {
        freshUntil.map { now < $0 } ?? false
    }

    /// Whether this instance holds a lease at `now`.
    func holdsLease(at now: Duration) -> Bool {
        leaseUntil.map { now < $0 } ?? false
    }

    /// Whether the breaker may admit probes at `now`: it acts alone (no fleet, or a stale view), or it
    /// holds a probe lease.
    func admitsProbes(at now: Duration) -> Bool {
        !isFresh(at: now) || holdsLease(at: now)
    }

    /// Notes a probe granted at `now`.
    mutating func grantedProbe(at now: Duration) {
        if isFresh(at: now) && holdsLease(at: now) { probingUnderLease = true }
    }

    /// Notes a change of state (or a new break in the open state).
    mutating func entered(_ state: CircuitState, from old: CircuitState, reason: CircuitBreakerTransition.Reason, at now: Duration) {
        if old == .halfOpen, probingUnderLease {
            if reason == .probesSucceeded {
                pendingVerdict = .closed
            } else if reason == .probeFailed || reason == .slowProbe {
                pendingVerdict = .reopened
            }
        }
        probingUnderLease = false
        enteredAt = now
        switch state.storage {
        case .closed, .disabled:
            episodeStart = nil
            followsFleet = false
        case .open:
            if episodeStart == nil { episodeStart = now }
            followsFleet = reason == .fleetOpened || reason == .fleetReopened
        case .halfOpen, .isolated:
            if episodeStart == nil { episodeStart = now }
            if state == .isolated { followsFleet = false }
        }
        if state != .halfOpen { leaseUntil = nil }
    }
}

extension CircuitBreakerCore {
    /// Whether the breaker follows the fleet at `now`.
    func isFollowingFleet(at now: Duration) -> Bool {
        fleet.isFresh(at: now)
    }

    /// What the breaker tells the fleet at `now` (`unixNow` on the fleet's clock).
    func fleetReport(
        instance: String,
        at now: Duration,
        unixNow: Int64,
        fleet configuration: FleetConfiguration
    ) -> FleetBreakerReport {
        let counts = window.counts(at: now)
        let summary = FleetBreakerSummary(
            instance: instance,
            state: state,
            followsFleet: fleet.followsFleet,
            stateSince: unixNow.saturatingMinus(max(now - fleet.enteredAt, .zero).saturatedNanoseconds),
            calls: counts.calls,
            failures: counts.failures,
            slowCalls: counts.slowCalls,
            heartbeat: unixNow
        )
        return FleetBreakerReport(summary: summary, probeRequest: probeRequest(at: now, fleet: configuration))
    }

    /// What the breaker asks of the probe leases at `now`.
    private func probeRequest(at now: Duration, fleet configuration: FleetConfiguration) -> FleetProbeRequest? {
        if let verdict = fleet.pendingVerdict { return .release(verdict) }
        // Half-open, or open with its break ending before the next sync: ask ahead, so that the probe
        // goes out when the break ends rather than a sync later.
        let wantsProbe =
            state == .halfOpen || (state == .open && (openUntil ?? now) - now <= max(configuration.syncInterval, .zero))
        if wantsProbe {
            return fleet.holdsLease(at: now) ? nil : .acquire(knownRound: fleet.knownRound)
        }
        if fleet.holdsStoreLease && state != .open { return .release(nil) }
        return nil
    }

    /// Follows the fleet's view, read at `now` (`unixNow` on the fleet's clock): follows a newer probe
    /// verdict, takes or drops the probe lease, and opens on the fleet's decision.
    mutating func followFleet(
        _ view: FleetBreakerView,
        acknowledging report: FleetBreakerReport?,
        instance: String,
        at now: Duration,
        unixNow: Int64,
        configuration: CircuitBreakerConfiguration,
        fleet fleetConfiguration: FleetConfiguration
    ) -> FleetSyncResult {
        fleet.freshUntil = now.saturatingAdding(fleetConfiguration.staleAfterDuration)
        if let pending = fleet.pendingVerdict, let request = report?.probeRequest, request == .release(pending) {
            fleet.pendingVerdict = nil
        }
        var leases = view.leases
        leases.expire(at: unixNow)
        var transitions: [CircuitBreakerTransition] = []

        // 1. A verdict of another instance's probes, newer than this breaker's opening: follow it.
        if leases.round != fleet.knownRound {
            if let verdict = leases.lastVerdict, verdict.round == leases.round, verdict.instance != instance,
                state == .open || state == .halfOpen, let start = fleet.episodeStart,
                verdict.at >= unixNow.saturatingMinus(max(now - start, .zero).saturatedNanoseconds)
            {
                if verdict.outcome == .closed {
                    if let transition = enter(.closed, reason: .fleetClosed, at: now, configuration: configuration) {
                        transitions.append(transition)
                    }
                } else if state == .halfOpen {
                    if let transition = enter(.open, reason: .fleetReopened, at: now, configuration: configuration) {
                        transitions.append(transition)
                    }
                } else {
                    restartBreak(reason: .fleetReopened, at: now, configuration: configuration)
                }
            }
            fleet.knownRound = leases.round
        }

        // 2. The probe lease, as the store has it.
        if let lease = leases.lease(of: instance, at: unixNow) {
            fleet.holdsStoreLease = true
            if (state == .open || state == .halfOpen) && fleet.pendingVerdict == nil {
                let remaining = Duration.nanoseconds(max(lease.expiresAt.saturatingMinus(unixNow), 0))
                fleet.leaseUntil = now.saturatingAdding(remaining)
            }
        } else {
            fleet.holdsStoreLease = false
            fleet.leaseUntil = nil
        }

        // 3. The fleet's decision: a closed breaker opens when the fleet is open.
        let decision = FleetDecision(
            evaluating: view.summaries,
            rules: fleetConfiguration.rules,
            timeToLive: fleetConfiguration.timeToLive,
            now: unixNow,
            recoveredAt: leases.recoveredAt
        )
        if decision.isOpen, state == .closed,
            let transition = enter(.open, reason: .fleetOpened, at: now, configuration: configuration)
        {
            transitions.append(transition)
        }
        return FleetSyncResult(decision: decision, transitions: transitions, holdsProbeLease: fleet.holdsLease(at: now))
    }
}
