/// The whole logic of a circuit breaker, as a value: every method is a pure function of the state,
/// the event, the time and the configuration, and returns what the caller must report.
///
/// ``CircuitBreaker`` keeps one in a `Mutex` and adds the clock, the error classification and the
/// observer. Use the state machine directly to keep a breaker's state somewhere else, such as a file
/// shared by several processes: load it, call the same methods, save it. It is `Codable` when
/// `Instant` is, and assumes nothing about owning the only copy:
///
/// - a permit carries the *generation* of the state that granted it; an outcome reported for an
///   older generation (after the circuit changed state, or from another process's view of the state)
///   is ignored instead of corrupting the new state's counts;
/// - half-open probes record when they were granted, and a probe not given back within
///   ``CircuitBreakerConfiguration/probeTimeout`` is presumed lost (its holder hangs or died) and its
///   slot freed, so a shared breaker never sticks half-open;
/// - a saved state whose sliding window no longer matches the configuration starts a new window.
///
/// ```swift
/// var machine = CircuitBreakerStateMachine(configuration: configuration, now: clock.now)
/// switch machine.acquire(at: clock.now, configuration: configuration) {
/// case .granted(let permit, let transition):
///     report(transition)
///     let outcome = run()
///     report(machine.record(outcome, for: permit, at: clock.now, configuration: configuration))
/// case .rejected(let state, let retryAfter):
///     reject(state, retryAfter)
/// }
/// ```
///
/// The open state ends lazily: the first ``acquire(at:configuration:)`` after the break duration moves
/// the circuit to half-open and admits that call as a probe.
public struct CircuitBreakerStateMachine<Instant: InstantProtocol>: Sendable, Hashable where Instant.Duration == Duration {
    /// The right to make one call, granted by ``acquire(at:configuration:)``. Give it back exactly once
    /// with ``record(_:for:at:configuration:)``.
    public struct Permit: Hashable, Sendable {
        /// The generation of the state that granted the permit.
        @usableFromInline
        let generation: UInt64
        /// The probe's number when granted in the half-open state, otherwise 0.
        @usableFromInline
        let probeID: UInt64
        /// When the permit was granted; `nil` when the configuration measures no durations and the
        /// permit is not a probe.
        public let grantedAt: Instant?
        /// The state that granted the permit: ``CircuitState/closed``, ``CircuitState/halfOpen`` or
        /// ``CircuitState/disabled``.
        public let state: CircuitState

        @inlinable
        init(generation: UInt64, probeID: UInt64, grantedAt: Instant?, state: CircuitState) {
            self.generation = generation
            self.probeID = probeID
            self.grantedAt = grantedAt
            self.state = state
        }
    }

    /// The answer to ``acquire(at:configuration:)``.
    public enum Acquisition: Hashable, Sendable {
        /// Make the call, then give the permit back. `transition` is the change of state the request
        /// caused (open to half-open), if any, to report.
        case granted(Permit, transition: CircuitBreakerTransition?)
        /// Do not make the call: the circuit is open, isolated, or half-open with every probe slot
        /// taken. `retryAfter` is the time until the circuit may half-open, when known.
        case rejected(state: CircuitState, retryAfter: Duration?)
    }

    /// A probe permit outstanding in the half-open state.
    @usableFromInline
    struct Probe: Hashable, Sendable {
        @usableFromInline let id: UInt64
        @usableFromInline let grantedAt: Instant
    }

    /// The current state, as stored: an open circuit whose break has passed is still ``CircuitState/open``
    /// until the next ``acquire(at:configuration:)``.
    public private(set) var state: CircuitState
    /// Incremented on every change of state; permits of older generations no longer count.
    @usableFromInline
    private(set) var generation: UInt64 = 0
    /// When an open circuit may half-open.
    @usableFromInline
    private(set) var openUntil: Instant?
    /// The probes outstanding in the half-open state.
    @usableFromInline
    private(set) var probes: [Probe] = []
    /// The number the next probe gets.
    @usableFromInline
    private(set) var nextProbeID: UInt64 = 1
    /// Successful probes in the current half-open state.
    @usableFromInline
    private(set) var probeSuccesses = 0
    /// Failures in a row in the closed (or disabled) state.
    @usableFromInline
    private(set) var consecutiveFailures = 0
    /// Openings in a row without closing in between; indexes the break duration.
    @usableFromInline
    private(set) var consecutiveOpenings = 0
    /// The recent calls of the closed (or disabled) state.
    @usableFromInline
    private(set) var window: OutcomeWindow
    /// The instant time-based window buckets are counted from.
    @usableFromInline
    let windowOrigin: Instant

    /// Creates a closed circuit with no calls recorded.
    ///
    /// - Parameters:
    ///   - configuration: The configuration it will run with (sizes the sliding window).
    ///   - now: The current time.
    public init(configuration: CircuitBreakerConfiguration, now: Instant) {
        state = .closed
        window = OutcomeWindow(layout: configuration.slidingWindow)
        windowOrigin = now
    }

    // MARK: - Calls

    /// Asks to make a call.
    ///
    /// Closed and disabled circuits grant at once. An open circuit rejects until its break has passed,
    /// then moves to half-open. A half-open circuit first frees the slots of probes older than the
    /// ``CircuitBreakerConfiguration/probeTimeout``, then grants a probe if fewer than
    /// ``CircuitBreakerConfiguration/maxConcurrentProbes`` are out. An isolated circuit rejects.
    ///
    /// - Parameters:
    ///   - now: The current time; evaluated at most once, and only when the decision needs it.
    ///   - configuration: The configuration in force.
    /// - Returns: A permit (and the change of state, if any), or a rejection.
    @inlinable
    public mutating func acquire(
        at now: @autoclosure () -> Instant,
        configuration: CircuitBreakerConfiguration
    ) -> Acquisition {
        switch state.storage {
        case .closed, .disabled:
            let grantedAt = configuration.slowCalls == nil ? nil : now()
            return .granted(Permit(generation: generation, probeID: 0, grantedAt: grantedAt, state: state), transition: nil)
        case .open, .halfOpen, .isolated:
            return acquireWhenNotClosed(at: now(), configuration: configuration)
        }
    }

    /// ``acquire(at:configuration:)`` for the open, half-open and isolated states.
    @usableFromInline
    mutating func acquireWhenNotClosed(at now: Instant, configuration: CircuitBreakerConfiguration) -> Acquisition {
        switch state.storage {
        case .closed, .disabled:
            let grantedAt: Instant? = configuration.slowCalls == nil ? nil : now
            return .granted(Permit(generation: generation, probeID: 0, grantedAt: grantedAt, state: state), transition: nil)
        case .isolated:
            return .rejected(state: .isolated, retryAfter: nil)
        case .open:
            let until = openUntil ?? now
            guard now >= until else { return .rejected(state: .open, retryAfter: now.duration(to: until)) }
            let transition = enter(.halfOpen, reason: .breakElapsed, at: now, configuration: configuration)
            return .granted(grantProbe(at: now), transition: transition)
        case .halfOpen:
            expireProbes(at: now, configuration: configuration)
            guard probes.count < configuration.maxConcurrentProbes else {
                return .rejected(state: .halfOpen, retryAfter: nil)
            }
            return .granted(grantProbe(at: now), transition: nil)
        }
    }

    private mutating func grantProbe(at now: Instant) -> Permit {
        let id = nextProbeID
        nextProbeID &+= 1
        if nextProbeID == 0 { nextProbeID = 1 }
        probes.append(Probe(id: id, grantedAt: now))
        return Permit(generation: generation, probeID: id, grantedAt: now, state: .halfOpen)
    }

    private mutating func expireProbes(at now: Instant, configuration: CircuitBreakerConfiguration) {
        guard let timeout = configuration.probeTimeout else { return }
        probes.removeAll { $0.grantedAt.advanced(by: timeout) <= now }
    }

    /// Gives a permit back with the call's outcome, and trips, closes or reopens the circuit as the
    /// outcome and the configuration say.
    ///
    /// In the closed and disabled states the outcome enters the sliding window and the count of
    /// consecutive failures (a success starts it again); a closed circuit then checks its trip rules.
    /// In the half-open state a success counts towards closing, a failure (or a slow success) reopens.
    /// An ignored outcome only frees the permit's probe slot. A permit from an older generation (the
    /// circuit changed state since it was granted) or an expired probe changes nothing.
    ///
    /// - Parameters:
    ///   - outcome: How the call counts.
    ///   - permit: The permit the call was made under.
    ///   - now: The current time; evaluated at most once, and only when the decision needs it.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state the outcome caused, if any, to report.
    @inlinable
    public mutating func record(
        _ outcome: CircuitBreakerOutcome,
        for permit: Permit,
        at now: @autoclosure () -> Instant,
        configuration: CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        // The hot path: a success in the closed state with a count-based window and no duration to measure.
        if outcome == .success, permit.grantedAt == nil, permit.generation == generation, state.storage == .closed,
            !configuration.slidingWindow.isTimeBased
        {
            consecutiveFailures = 0
            window.record(failure: false, slow: false, elapsed: .zero, layout: configuration.slidingWindow)
            // A success never completes a run of consecutive failures, but it may bring the window to
            // its minimum throughput with a rate above a threshold.
            guard configuration.hasRateRule else { return nil }
            return tripIfNeeded(at: now(), configuration: configuration)
        }
        return recordSlowly(outcome, for: permit, at: now(), configuration: configuration)
    }

    /// ``record(_:for:at:configuration:)`` beyond its hot path.
    @usableFromInline
    mutating func recordSlowly(
        _ outcome: CircuitBreakerOutcome,
        for permit: Permit,
        at now: Instant,
        configuration: CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        guard permit.generation == generation else { return nil }
        let slow: Bool
        if let rule = configuration.slowCalls, let grantedAt = permit.grantedAt {
            slow = grantedAt.duration(to: now) > rule.threshold
        } else {
            slow = false
        }
        switch state.storage {
        case .closed, .disabled:
            guard outcome != .ignored else { return nil }
            let countsAsFailure = outcome == .failure || (slow && configuration.slowCalls?.rateThreshold == nil)
            consecutiveFailures = countsAsFailure ? consecutiveFailures + 1 : 0
            window.record(
                failure: countsAsFailure,
                slow: slow,
                elapsed: windowOrigin.duration(to: now),
                layout: configuration.slidingWindow
            )
            return tripIfNeeded(at: now, configuration: configuration)
        case .halfOpen:
            guard let index = probes.firstIndex(where: { $0.id == permit.probeID }) else { return nil }
            probes.remove(at: index)
            switch outcome {
            case .ignored:
                return nil
            case .failure:
                return enter(.open, reason: .probeFailed, at: now, configuration: configuration)
            case .success:
                if slow { return enter(.open, reason: .slowProbe, at: now, configuration: configuration) }
                probeSuccesses += 1
                guard probeSuccesses >= configuration.successesToClose else { return nil }
                return enter(.closed, reason: .probesSucceeded, at: now, configuration: configuration)
            }
        case .open, .isolated:
            return nil
        }
    }

    /// Opens a closed circuit when one of its trip rules fires on the current counts.
    @usableFromInline
    mutating func tripIfNeeded(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        guard state == .closed, let reason = tripReason(configuration: configuration) else { return nil }
        return enter(.open, reason: reason, at: now, configuration: configuration)
    }

    /// The first trip rule that fires on the current counts, if any.
    private func tripReason(configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition.Reason? {
        if let threshold = configuration.consecutiveFailureThreshold, consecutiveFailures >= threshold {
            return .consecutiveFailures
        }
        let counts = window.totals
        guard counts.calls >= configuration.minimumThroughput, counts.calls > 0 else { return nil }
        if let threshold = configuration.failureRateThreshold, Double(counts.failures) / Double(counts.calls) >= threshold {
            return .failureRate
        }
        if let threshold = configuration.slowCalls?.rateThreshold, Double(counts.slowCalls) / Double(counts.calls) >= threshold {
            return .slowCallRate
        }
        return nil
    }

    // MARK: - Manual control

    /// Holds the circuit open until ``release(at:configuration:)`` or ``reset(at:configuration:)``.
    ///
    /// - Returns: The change of state, or `nil` if the circuit was already isolated.
    public mutating func isolate(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        enter(.isolated, reason: .isolated, at: now, configuration: configuration)
    }

    /// Lets every call through, still counting outcomes, until ``release(at:configuration:)`` or
    /// ``reset(at:configuration:)``. The counts start empty.
    ///
    /// - Returns: The change of state, or `nil` if the circuit was already disabled.
    public mutating func disable(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        enter(.disabled, reason: .disabled, at: now, configuration: configuration)
    }

    /// Ends a manual state (isolated or disabled): the circuit closes with empty counts. Does nothing in
    /// the other states.
    ///
    /// - Returns: The change of state, or `nil` if the circuit was in no manual state.
    public mutating func release(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        guard state == .isolated || state == .disabled else { return nil }
        return enter(.closed, reason: .released, at: now, configuration: configuration)
    }

    /// Closes the circuit from any state, forgetting every count and the openings in a row.
    ///
    /// - Returns: The change of state, or `nil` if the circuit was already closed (its counts are
    ///   cleared all the same).
    public mutating func reset(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        let transition = enter(.closed, reason: .reset, at: now, configuration: configuration)
        consecutiveOpenings = 0
        return transition
    }

    /// Moves to `newState`, starting a new generation.
    private mutating func enter(
        _ newState: CircuitState,
        reason: CircuitBreakerTransition.Reason,
        at now: Instant,
        configuration: CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        let oldState = state
        guard oldState != newState || reason == .reset else { return nil }
        state = newState
        generation &+= 1
        probes.removeAll(keepingCapacity: true)
        probeSuccesses = 0
        openUntil = nil
        switch newState.storage {
        case .open:
            consecutiveOpenings += 1
            openUntil = now.advanced(by: configuration.breakDuration.delay(forRetry: consecutiveOpenings))
        case .closed, .disabled:
            if newState == .closed { consecutiveOpenings = 0 }
            consecutiveFailures = 0
            window.removeAll()
            window.expire(elapsed: windowOrigin.duration(to: now))
        case .halfOpen, .isolated:
            break
        }
        return oldState == newState ? nil : CircuitBreakerTransition(from: oldState, to: newState, reason: reason)
    }

    // MARK: - Reading

    /// The counts and timings of the circuit at `now`, without changing it.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The snapshot.
    public func snapshot(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerSnapshot {
        let counts = window.counts(at: windowOrigin.duration(to: now))
        var probesInFlight = 0
        if state == .halfOpen {
            let timeout = configuration.probeTimeout
            probesInFlight = probes.count { probe in timeout.map { probe.grantedAt.advanced(by: $0) > now } ?? true }
        }
        return CircuitBreakerSnapshot(
            state: state,
            calls: counts.calls,
            failures: counts.failures,
            slowCalls: counts.slowCalls,
            consecutiveFailures: consecutiveFailures,
            probesInFlight: probesInFlight,
            probeSuccesses: probeSuccesses,
            consecutiveOpenings: consecutiveOpenings,
            timeUntilHalfOpen: state == .open ? max(now.duration(to: openUntil ?? now), .zero) : nil
        )
    }
}

extension CircuitBreakerStateMachine.Probe: Codable where Instant: Codable {}
extension CircuitBreakerStateMachine.Permit: Codable where Instant: Codable {}

extension CircuitBreakerStateMachine: Codable where Instant: Codable {
    private enum CodingKeys: String, CodingKey {
        case state, generation, openUntil, probes, nextProbeID, probeSuccesses, consecutiveFailures
        case consecutiveOpenings, window, windowOrigin
    }

    /// Decodes a saved state.
    ///
    /// - Throws: `DecodingError` for a missing field, a wrong type, or a sliding window whose counts do
    ///   not add up.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        state = try container.decode(CircuitState.self, forKey: .state)
        generation = try container.decode(UInt64.self, forKey: .generation)
        openUntil = try container.decodeIfPresent(Instant.self, forKey: .openUntil)
        probes = try container.decode([Probe].self, forKey: .probes)
        nextProbeID = max(try container.decode(UInt64.self, forKey: .nextProbeID), 1)
        probeSuccesses = try container.decode(Int.self, forKey: .probeSuccesses)
        consecutiveFailures = try container.decode(Int.self, forKey: .consecutiveFailures)
        consecutiveOpenings = try container.decode(Int.self, forKey: .consecutiveOpenings)
        window = try container.decode(OutcomeWindow.self, forKey: .window)
        windowOrigin = try container.decode(Instant.self, forKey: .windowOrigin)
    }

    /// Encodes the whole state.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
        try container.encode(generation, forKey: .generation)
        try container.encodeIfPresent(openUntil, forKey: .openUntil)
        try container.encode(probes, forKey: .probes)
        try container.encode(nextProbeID, forKey: .nextProbeID)
        try container.encode(probeSuccesses, forKey: .probeSuccesses)
        try container.encode(consecutiveFailures, forKey: .consecutiveFailures)
        try container.encode(consecutiveOpenings, forKey: .consecutiveOpenings)
        try container.encode(window, forKey: .window)
        try container.encode(windowOrigin, forKey: .windowOrigin)
    }
}
