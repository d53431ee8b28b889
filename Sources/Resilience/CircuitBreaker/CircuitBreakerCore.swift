/// The logic of ``CircuitBreakerStateMachine`` on a timeline of durations since an origin instant.
///
/// Non-generic, and holding no instant, so its layout is fixed at compile time: a clock's instant
/// type is often resilient (`ContinuousClock.Instant` is), and a value holding one is handled through
/// the runtime's value witnesses, which a profile showed costing more than the lock itself on the
/// hot path. ``CircuitBreaker`` keeps a core in its lock; ``CircuitBreakerStateMachine`` wraps one
/// with the origin instant for code that keeps the state elsewhere. Every method is a pure function
/// of the state, the event, the time (`now`: the duration since the origin) and the configuration.
@usableFromInline
struct CircuitBreakerCore: Hashable, Sendable {
    /// The right to make one call: the generation of the state that granted it, the probe's number
    /// (half-open) or 0, when it was granted (when needed), and the state that granted it.
    @usableFromInline
    struct Permit: Hashable, Sendable {
        @usableFromInline let generation: UInt64
        @usableFromInline let probeID: UInt64
        @usableFromInline let grantedAt: Duration?
        @usableFromInline let state: CircuitState

        @inlinable
        init(generation: UInt64, probeID: UInt64, grantedAt: Duration?, state: CircuitState) {
            self.generation = generation
            self.probeID = probeID
            self.grantedAt = grantedAt
            self.state = state
        }
    }

    /// A permit, or a rejection.
    @usableFromInline
    enum Acquisition: Hashable, Sendable {
        case granted(Permit, transition: CircuitBreakerTransition?)
        case rejected(state: CircuitState, retryAfter: Duration?)
    }

    /// A probe permit outstanding in the half-open state.
    @usableFromInline
    struct Probe: Hashable, Sendable {
        @usableFromInline let id: UInt64
        @usableFromInline let grantedAt: Duration
    }

    /// The current state, as stored: an open circuit whose break has passed is still open until the
    /// next acquisition.
    @usableFromInline
    private(set) var state: CircuitState = .closed
    /// Incremented on every change of state; permits of older generations no longer count.
    @usableFromInline
    private(set) var generation: UInt64 = 0
    /// When an open circuit may half-open.
    @usableFromInline
    private(set) var openUntil: Duration?
    /// The probes outstanding in the half-open state.
    @usableFromInline
    private(set) var probes: [Probe] = []
    /// The number the next probe gets.
    @usableFromInline
    private(set) var nextProbeID: UInt64 = 1
    /// Successful probes in the current half-open state.
    @usableFromInline
    private(set) var probeSuccesses = 0
    /// Failed (or slow) probes in the current half-open state.
    @usableFromInline
    private(set) var probeFailures = 0
    /// Calls rejected since the breaker was created (saturating).
    @usableFromInline
    private(set) var rejectedCalls: Int64 = 0
    /// Failures in a row in the closed (or disabled) state.
    @usableFromInline
    private(set) var consecutiveFailures = 0
    /// Openings in a row without closing in between; indexes the break duration.
    @usableFromInline
    private(set) var consecutiveOpenings = 0
    /// The recent calls of the closed (or disabled) state.
    @usableFromInline
    private(set) var window: OutcomeWindow
    /// What the breaker knows of its fleet, if it is fleet-coordinated (see
    /// `CircuitBreakerCore+Fleet.swift`). Read only off the closed state's hot path; not saved, and
    /// not compared by `==`.
    @usableFromInline
    var fleet = CircuitBreakerFleetLink()

    /// A closed circuit with no calls recorded.
    @usableFromInline
    init(configuration: CircuitBreakerConfiguration) {
        window = OutcomeWindow(layout: configuration.slidingWindow)
    }

    // MARK: - Calls

    /// Asks to make a call; reads only `hotPath` in the closed and disabled states.
    @inlinable
    mutating func acquire(
        at now: @autoclosure () -> Duration,
        hotPath: CircuitBreakerConfiguration.HotPath,
        configuration: @autoclosure () -> CircuitBreakerConfiguration
    ) -> Acquisition {
        switch state.storage {
        case .closed, .disabled:
            let grantedAt = hotPath.measuresDurations ? now() : nil
            return .granted(Permit(generation: generation, probeID: 0, grantedAt: grantedAt, state: state), transition: nil)
        case .open, .halfOpen, .isolated:
            return acquireWhenNotClosed(at: now(), configuration: configuration())
        }
    }

    /// ``acquire(at:hotPath:configuration:)`` for the open, half-open and isolated states.
    @usableFromInline
    mutating func acquireWhenNotClosed(at now: Duration, configuration: CircuitBreakerConfiguration) -> Acquisition {
        switch state.storage {
        case .closed, .disabled:
            let grantedAt: Duration? = configuration.slowCalls == nil ? nil : now
            return .granted(Permit(generation: generation, probeID: 0, grantedAt: grantedAt, state: state), transition: nil)
        case .isolated:
            return reject(.isolated, retryAfter: nil)
        case .open:
            let until = openUntil ?? now
            guard now >= until else { return reject(.open, retryAfter: until - now) }
            // A fleet-coordinated breaker without a probe lease stays open: another instance probes.
            guard fleet.admitsProbes(at: now) else { return reject(.open, retryAfter: nil) }
            let transition = enter(.halfOpen, reason: .breakElapsed, at: now, configuration: configuration)
            return .granted(grantProbe(at: now), transition: transition)
        case .halfOpen:
            expireProbes(at: now, configuration: configuration)
            guard fleet.admitsProbes(at: now) else { return reject(.halfOpen, retryAfter: nil) }
            // At most `maxConcurrentProbes` at once; under a failure-rate rule, no more than it has
            // yet to judge.
            let rule = configuration.halfOpenRule
            let unjudged = rule.failureRateThreshold == nil ? Int.max : rule.probes - probeSuccesses - probeFailures
            let limit = min(max(configuration.maxConcurrentProbes, 1), CircuitBreakerRecord.maximumProbes)
            guard probes.count < limit, probes.count < unjudged else {
                return reject(.halfOpen, retryAfter: nil)
            }
            return .granted(grantProbe(at: now), transition: nil)
        }
    }

    /// A rejection, counted.
    private mutating func reject(_ state: CircuitState, retryAfter: Duration?) -> Acquisition {
        rejectedCalls = rejectedCalls.saturatingAdd(1)
        return .rejected(state: state, retryAfter: retryAfter)
    }

    /// Moves an open circuit whose break has ended to half-open, without admitting a call: the
    /// automatic transition of ``CircuitBreakerConfiguration/halfOpensAutomatically``.
    @usableFromInline
    mutating func halfOpenIfDue(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        guard state == .open, now >= openUntil ?? now else { return nil }
        return enter(.halfOpen, reason: .breakElapsed, at: now, configuration: configuration)
    }

    private mutating func grantProbe(at now: Duration) -> Permit {
        fleet.grantedProbe(at: now)
        var id = nextProbeID
        // After numbering wrapped (or in a restored state), skip the numbers of outstanding probes.
        while probes.contains(where: { $0.id == id }) { id = Self.probeID(after: id) }
        nextProbeID = Self.probeID(after: id)
        probes.append(Probe(id: id, grantedAt: now))
        return Permit(generation: generation, probeID: id, grantedAt: now, state: .halfOpen)
    }

    /// The probe number after `id`: 1 to `Int64.max`, as a record holds them.
    private static func probeID(after id: UInt64) -> UInt64 {
        id >= UInt64(Int64.max) ? 1 : id + 1
    }

    /// `count + 1`, saturated at the largest count a record holds.
    private static func incremented(_ count: Int) -> Int {
        count < CircuitBreakerRecord.maximumCount ? count + 1 : count
    }

    private mutating func expireProbes(at now: Duration, configuration: CircuitBreakerConfiguration) {
        guard let timeout = configuration.probeTimeout else { return }
        probes.removeAll { $0.grantedAt + timeout <= now }
    }

    /// Gives a permit back with the call's outcome; reads only `hotPath` on the hot path (a success
    /// in the closed state with a count-based window and no duration to measure).
    @inlinable
    mutating func record(
        _ outcome: CircuitBreakerOutcome,
        for permit: Permit,
        at now: @autoclosure () -> Duration,
        hotPath: CircuitBreakerConfiguration.HotPath,
        configuration: @autoclosure () -> CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        if outcome == .success, permit.grantedAt == nil, permit.generation == generation, state.storage == .closed,
            !hotPath.slidingWindow.isTimeBased
        {
            consecutiveFailures = 0
            window.recordUntimed(failure: false, slow: false, layout: hotPath.slidingWindow)
            // A success never completes a run of consecutive failures, but it may bring the window to
            // its minimum throughput with a rate above a threshold.
            guard hotPath.rateRuleFires(on: window.totals) else { return nil }
            return tripIfNeeded(at: now(), configuration: configuration())
        }
        return recordSlowly(outcome, for: permit, at: now(), configuration: configuration())
    }

    /// ``record(_:for:at:hotPath:configuration:)`` beyond its hot path.
    @usableFromInline
    mutating func recordSlowly(
        _ outcome: CircuitBreakerOutcome,
        for permit: Permit,
        at now: Duration,
        configuration: CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        guard permit.generation == generation else { return nil }
        let slow: Bool
        if let rule = configuration.slowCalls, let grantedAt = permit.grantedAt {
            slow = now - grantedAt > rule.threshold
        } else {
            slow = false
        }
        switch state.storage {
        case .closed, .disabled:
            guard outcome != .ignored else { return nil }
            let countsAsFailure = outcome == .failure || (slow && configuration.slowCalls?.rateThreshold == nil)
            consecutiveFailures = countsAsFailure ? Self.incremented(consecutiveFailures) : 0
            window.record(failure: countsAsFailure, slow: slow, elapsed: now, layout: configuration.slidingWindow)
            return tripIfNeeded(at: now, configuration: configuration)
        case .halfOpen:
            guard let index = probes.firstIndex(where: { $0.id == permit.probeID }) else { return nil }
            probes.remove(at: index)
            switch outcome.storage {
            case .ignored:
                return nil
            case .failure:
                probeFailures = Self.incremented(probeFailures)
            case .success:
                if slow { probeFailures = Self.incremented(probeFailures) } else { probeSuccesses = Self.incremented(probeSuccesses) }
            }
            switch configuration.halfOpenRule.verdict(successes: probeSuccesses, failures: probeFailures) {
            case true?:
                return enter(.closed, reason: .probesSucceeded, at: now, configuration: configuration)
            case false?:
                let reason: CircuitBreakerTransition.Reason =
                    outcome == .success && configuration.halfOpenRule.failureRateThreshold == nil ? .slowProbe : .probeFailed
                return enter(.open, reason: reason, at: now, configuration: configuration)
            case nil:
                return nil
            }
        case .open, .isolated:
            return nil
        }
    }

    /// Opens a closed circuit when one of its trip rules fires on the current counts.
    @usableFromInline
    mutating func tripIfNeeded(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
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

    /// Holds the circuit open.
    @usableFromInline
    mutating func isolate(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        enter(.isolated, reason: .isolated, at: now, configuration: configuration)
    }

    /// Lets every call through, still counting, with empty counts.
    @usableFromInline
    mutating func disable(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        enter(.disabled, reason: .disabled, at: now, configuration: configuration)
    }

    /// Ends a manual state.
    @usableFromInline
    mutating func release(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        guard state == .isolated || state == .disabled else { return nil }
        return enter(.closed, reason: .released, at: now, configuration: configuration)
    }

    /// Closes the circuit from any state, forgetting every count and the openings in a row.
    @usableFromInline
    mutating func reset(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        let transition = enter(.closed, reason: .reset, at: now, configuration: configuration)
        consecutiveOpenings = 0
        return transition
    }

    /// Moves to `newState`, starting a new generation; nothing when already there (except a reset,
    /// which clears the counts all the same).
    mutating func enter(
        _ newState: CircuitState,
        reason: CircuitBreakerTransition.Reason,
        at now: Duration,
        configuration: CircuitBreakerConfiguration
    ) -> CircuitBreakerTransition? {
        let oldState = state
        guard oldState != newState || reason == .reset else { return nil }
        state = newState
        advanceGeneration()
        probes.removeAll(keepingCapacity: true)
        probeSuccesses = 0
        probeFailures = 0
        openUntil = nil
        switch newState.storage {
        case .open:
            startBreak(at: now, configuration: configuration)
        case .closed, .disabled:
            if newState == .closed { consecutiveOpenings = 0 }
            consecutiveFailures = 0
            window.removeAll()
            window.expire(elapsed: now)
        case .halfOpen, .isolated:
            break
        }
        fleet.entered(newState, from: oldState, reason: reason, at: now)
        return oldState == newState ? nil : CircuitBreakerTransition(from: oldState, to: newState, reason: reason)
    }

    /// Starts a new break in the open state, as a failed probe would have (the openings in a row grow),
    /// without a change of state: an open breaker following the fleet's failed probe.
    mutating func restartBreak(reason: CircuitBreakerTransition.Reason, at now: Duration, configuration: CircuitBreakerConfiguration) {
        guard state == .open else { return }
        advanceGeneration()
        startBreak(at: now, configuration: configuration)
        fleet.entered(.open, from: .open, reason: reason, at: now)
    }

    /// Starts a new generation: 0 to `Int64.max`, as a record (and a database's bigint) holds it.
    private mutating func advanceGeneration() {
        generation = generation >= UInt64(Int64.max) ? 0 : generation + 1
    }

    /// Counts one more opening in a row and sets the end of its break.
    private mutating func startBreak(at now: Duration, configuration: CircuitBreakerConfiguration) {
        consecutiveOpenings = Self.incremented(consecutiveOpenings)
        // A break ending past the largest time a record holds (about 292 years from the origin) ends then.
        openUntil = min(now + configuration.breakDuration.delay(forRetry: consecutiveOpenings), .saturatedMaximum)
    }

    // MARK: - Equality

    /// Two cores are equal when they hold the same state: what a ``CircuitBreakerRecord`` saves. The
    /// fleet link is left out: it is what the last sync told this process (not saved, and rebuilt by
    /// the next sync), so a state restored from a record equals the one saved.
    @usableFromInline
    static func == (lhs: CircuitBreakerCore, rhs: CircuitBreakerCore) -> Bool {
        lhs.state == rhs.state && lhs.generation == rhs.generation && lhs.openUntil == rhs.openUntil && lhs.probes == rhs.probes
            && lhs.nextProbeID == rhs.nextProbeID && lhs.probeSuccesses == rhs.probeSuccesses
            && lhs.probeFailures == rhs.probeFailures && lhs.rejectedCalls == rhs.rejectedCalls
            && lhs.consecutiveFailures == rhs.consecutiveFailures && lhs.consecutiveOpenings == rhs.consecutiveOpenings
            && lhs.window == rhs.window
    }

    /// Hashes what ``==(_:_:)`` compares.
    @usableFromInline
    func hash(into hasher: inout Hasher) {
        hasher.combine(state)
        hasher.combine(generation)
        hasher.combine(openUntil)
        hasher.combine(probes)
        hasher.combine(nextProbeID)
        hasher.combine(probeSuccesses)
        hasher.combine(probeFailures)
        hasher.combine(rejectedCalls)
        hasher.combine(consecutiveFailures)
        hasher.combine(consecutiveOpenings)
        hasher.combine(window)
    }

    // MARK: - Reading

    /// The counts and timings at `now`, without changing anything.
    @usableFromInline
    func snapshot(at now: Duration, configuration: CircuitBreakerConfiguration) -> CircuitBreakerSnapshot {
        let counts = window.counts(at: now)
        var probesInFlight = 0
        if state == .halfOpen {
            let timeout = configuration.probeTimeout
            probesInFlight = probes.count { probe in timeout.map { probe.grantedAt + $0 > now } ?? true }
        }
        return CircuitBreakerSnapshot(
            state: state,
            calls: counts.calls,
            failures: counts.failures,
            slowCalls: counts.slowCalls,
            consecutiveFailures: consecutiveFailures,
            probesInFlight: probesInFlight,
            probeSuccesses: probeSuccesses,
            probeFailures: probeFailures,
            consecutiveOpenings: consecutiveOpenings,
            timeUntilHalfOpen: state == .open ? max((openUntil ?? now) - now, .zero) : nil,
            rejectedCalls: rejectedCalls
        )
    }
}

// MARK: - Records

extension CircuitBreakerCore {
    /// The state as a record, its times in nanoseconds since the Unix epoch given the wall-clock
    /// reading of the origin.
    func exported(originUnixNanoseconds origin: Int64) -> CircuitBreakerRecord {
        func wallClock(_ time: Duration) -> Int64 {
            (Duration.nanoseconds(origin) + time).saturatingNanoseconds
        }
        return CircuitBreakerRecord(
            state: state,
            generation: Int64(truncatingIfNeeded: generation & UInt64(Int64.max)),
            openUntil: openUntil.map(wallClock),
            consecutiveFailures: consecutiveFailures,
            consecutiveOpenings: consecutiveOpenings,
            probeSuccesses: probeSuccesses,
            probeFailures: probeFailures,
            rejectedCalls: rejectedCalls,
            probes: probes.map {
                CircuitBreakerRecord.Probe(id: Int64(truncatingIfNeeded: $0.id & UInt64(Int64.max)), grantedAt: wallClock($0.grantedAt))
            },
            nextProbeID: Int64(truncatingIfNeeded: nextProbeID & UInt64(Int64.max)),
            window: window.exported(originUnixNanoseconds: origin)
        )
    }

    /// The state a record holds, on the timeline of an origin whose wall-clock reading is `origin`.
    ///
    /// - Throws: ``CircuitBreakerRecordError`` for a record that is not valid.
    init(
        restoring record: CircuitBreakerRecord,
        configuration: CircuitBreakerConfiguration,
        originUnixNanoseconds origin: Int64
    ) throws(CircuitBreakerRecordError) {
        try record.validate()
        func onTimeline(_ time: Int64) -> Duration {
            .nanoseconds(time) - .nanoseconds(origin)
        }
        state = record.state
        generation = UInt64(record.generation)
        openUntil = record.openUntil.map(onTimeline)
        probes = record.probes.map { Probe(id: UInt64($0.id), grantedAt: onTimeline($0.grantedAt)) }
        nextProbeID = UInt64(record.nextProbeID)
        probeSuccesses = record.probeSuccesses
        probeFailures = record.probeFailures
        rejectedCalls = record.rejectedCalls
        consecutiveFailures = record.consecutiveFailures
        consecutiveOpenings = record.consecutiveOpenings
        window = OutcomeWindow(restoring: record.window, layout: configuration.slidingWindow, originUnixNanoseconds: origin)
        // A restored circuit that is not closed is in an episode that began at the latest now: a
        // fleet's probe verdict from now on is news to it, and it follows it.
        if state != .closed && state != .disabled { fleet.episodeStart = .zero }
    }
}
