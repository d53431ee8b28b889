extension CircuitBreakerStateMachine {
    /// What this breaker tells its fleet at `now`: its ``FleetBreakerSummary`` and what it asks of the
    /// probe leases. The same as ``FleetCoordination/report(unixTime:)``, for code that keeps the state
    /// itself (a simulation, a store of its own).
    ///
    /// - Parameters:
    ///   - instance: This instance's name in the fleet.
    ///   - now: The current time on the breaker's clock.
    ///   - unixTime: The current time on the fleet's clock, in nanoseconds since the Unix epoch.
    ///   - fleet: The fleet's configuration.
    /// - Returns: The report to send.
    public func fleetReport(instance: String, at now: Instant, unixTime: Int64, fleet: FleetConfiguration) -> FleetBreakerReport {
        core.fleetReport(instance: instance, at: origin.duration(to: now), unixNow: unixTime, fleet: fleet)
    }

    /// Follows the fleet's view read by a sync at `now`, as ``FleetCoordination/apply(_:acknowledging:unixTime:)``
    /// does for a ``CircuitBreaker``:
    ///
    /// 1. a probe verdict of another instance, newer than this circuit's opening, is followed: an open
    ///    or half-open circuit closes (``CircuitBreakerTransition/Reason/fleetClosed``) or opens for a
    ///    new break (``CircuitBreakerTransition/Reason/fleetReopened``);
    /// 2. the probe lease the view lists for `instance` is taken (a half-open circuit then admits
    ///    probes until it expires), and one it no longer lists is dropped;
    /// 3. when the ``FleetDecision`` is open, a closed circuit opens (``CircuitBreakerTransition/Reason/fleetOpened``);
    ///    its own rules still apply, so it may have opened before.
    ///
    /// From then until ``FleetConfiguration/staleAfter`` has passed without another sync, the breaker
    /// follows the fleet: half-open (or past its break), it admits probes only while it holds a lease.
    /// Past it, the shared view is stale and the breaker acts alone again.
    ///
    /// - Parameters:
    ///   - view: What the sync read back.
    ///   - report: The report the sync sent, which the store now has; `nil` if unknown.
    ///   - instance: This instance's name in the fleet.
    ///   - now: The current time on the breaker's clock.
    ///   - unixTime: The current time on the fleet's clock, in nanoseconds since the Unix epoch.
    ///   - configuration: The breaker's configuration.
    ///   - fleet: The fleet's configuration.
    /// - Returns: The decision, the changes of state (to report), and whether this instance holds a lease.
    public mutating func followFleet(
        _ view: FleetBreakerView,
        acknowledging report: FleetBreakerReport?,
        instance: String,
        at now: Instant,
        unixTime: Int64,
        configuration: CircuitBreakerConfiguration,
        fleet: FleetConfiguration
    ) -> FleetSyncResult {
        core.followFleet(
            view, acknowledging: report, instance: instance, at: origin.duration(to: now), unixNow: unixTime,
            configuration: configuration, fleet: fleet)
    }

    /// Whether the breaker follows its fleet at `now`: it had a sync less than
    /// ``FleetConfiguration/staleAfter`` ago. `false` for a breaker that never had one.
    ///
    /// - Parameter now: The current time on the breaker's clock.
    public func isFollowingFleet(at now: Instant) -> Bool {
        core.isFollowingFleet(at: origin.duration(to: now))
    }
}
