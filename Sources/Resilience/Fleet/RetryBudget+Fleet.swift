extension RetryBudget {
    /// What this budget tells its fleet: the requests and retries in its window. Ratio budgets only:
    /// a token bucket counts no requests, and returns `nil`.
    ///
    /// - Parameters:
    ///   - instance: This instance's name in the fleet.
    ///   - unixTime: The current time on the fleet's clock, in nanoseconds since the Unix epoch.
    /// - Returns: The summary to upsert, or `nil` for a token bucket.
    public func fleetSummary(instance: String, unixTime: Int64) -> FleetRetryBudgetSummary? {
        let snapshot = snapshot
        guard let requests = snapshot.requestsInWindow, let retries = snapshot.retriesInWindow else { return nil }
        return FleetRetryBudgetSummary(instance: instance, requests: requests, retries: retries, heartbeat: unixTime)
    }

    /// Follows the fleet's decision: while the fleet has spent its share
    /// (``FleetRetryBudgetDecision/allowsRetries`` is `false`), every retry is refused (with a
    /// ``ResilienceEvent/Kind/retryBudgetRefused`` event), for at most `duration` on the budget's
    /// clock, so that a veto lapses by itself when the syncs stop (pass
    /// ``FleetConfiguration/staleAfter``). A decision that allows retries lifts the veto; the budget's
    /// own ratio still applies.
    ///
    /// Ratio budgets only: a token bucket has no clock to end a veto on, and ignores it.
    ///
    /// - Parameters:
    ///   - decision: The fleet's decision.
    ///   - duration: How long a veto lasts at most.
    /// - Returns: Whether the budget takes part (it is a ratio budget).
    @discardableResult
    public func followFleet(_ decision: FleetRetryBudgetDecision, for duration: Duration) -> Bool {
        let now = elapsed()
        return state.withLock { state in
            guard state.countsRequests else { return false }
            state.fleetVetoUntil = decision.allowsRetries ? nil : now.saturatingAdding(min(max(duration, .zero), .saturatedMaximum))
            return true
        }
    }

    /// Whether the fleet vetoes retries now (see ``followFleet(_:for:)``).
    public var isVetoedByFleet: Bool {
        let now = elapsed()
        return state.withLock { state in state.fleetVetoUntil.map { now < $0 } ?? false }
    }
}
