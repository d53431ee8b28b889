import Resilience

/// `resilience run --breaker FILE|URL`: an ``AttemptGate`` that runs every attempt through a circuit
/// breaker whose state lives in a ``BreakerStore`` shared by every invocation naming it (a file, or a
/// row in PostgreSQL).
///
/// Before an attempt, ``admit(attempt:)`` acquires a permit from the library's
/// ``CircuitBreakerStateMachine`` in the store (one locked read-modify-write); an
/// open breaker refuses with exit status 75 (`EX_TEMPFAIL`) and a message naming the breaker, the state
/// and when a run may probe again. After the attempt, ``record(_:)`` gives the permit back with the
/// outcome (another locked read-modify-write). The lock is never held while the command runs, so
/// concurrent invocations run their commands concurrently; a half-open breaker admits one probe
/// (``CircuitBreakerConfiguration/maxConcurrentProbes``) and refuses the others.
///
/// How an attempt counts (``breakerOutcome(of:in:interrupted:)``): an attempt the run would retry
/// (by `--retry-on` and `--stop-on`; by default any failure, time-out or signal) is a failure; a
/// success is a success; anything else (a failure listed in `--stop-on`, a command that cannot be
/// started, a rejection, an interruption by `SIGINT`, `SIGTERM` or `SIGHUP`, an attempt stopped
/// because its input or output could not be kept) counts neither way.
///
/// `Sendable`: the permit in hand is behind a mutex; the rest is immutable.
package final class BreakerGate: AttemptGate {
    /// The state's location and the configuration.
    package let settings: BreakerSettings
    private let store: any BreakerStore
    private let run: RunConfiguration
    private let interruption: Interruption
    private let diagnostics: any OutputSink
    private let now: @Sendable () -> WallClock.Instant
    private let permit = LockedState<BreakerState.Machine.Permit?>(nil)

    /// Creates the gate; nothing is read until ``prepare()`` or the first ``admit(attempt:)``.
    ///
    /// - Parameters:
    ///   - settings: The state's location and the breaker's configuration.
    ///   - store: Where the state is kept; the file at `settings.path` unless given.
    ///   - run: The run's configuration, whose `--retry-on` and `--stop-on` say which outcomes fail.
    ///   - interruption: The run's interruption: attempts ended while it was interrupted count neither way.
    ///   - diagnostics: Where changes of state and problems with the store are reported.
    ///   - now: The wall clock; injectable for tests.
    package init(
        settings: BreakerSettings,
        store: (any BreakerStore)? = nil,
        run: RunConfiguration,
        interruption: Interruption,
        diagnostics: any OutputSink = FileDescriptorSink.standardError,
        now: @escaping @Sendable () -> WallClock.Instant = { WallClock().now }
    ) {
        self.settings = settings
        self.store =
            store ?? BreakerFile(path: settings.path, lockTimeout: settings.lockTimeout, configuration: settings.configuration)
        self.run = run
        self.interruption = interruption
        self.diagnostics = diagnostics
        self.now = now
    }

    /// Checks the stored state before the run, creating it (a closed breaker) if there is none, or
    /// replacing it with a closed breaker with ``BreakerSettings/resets``, so a problem with the store
    /// stops the run before anything starts.
    ///
    /// A reset never reads the state it replaces: whatever is stored (damaged, crafted, of a later
    /// version) cannot stop it. A new or reset state gets a random generation, so that the outcome
    /// of a run that started before counts for nothing, as after any other change of state.
    ///
    /// - Throws: ``BreakerStoreError`` when the state cannot be locked, read, decoded or written.
    package func prepare() async throws(BreakerStoreError) {
        let configuration = settings.configuration
        if settings.resets {
            try await store.replace(clock: now) { now in
                BreakerState(configuration: configuration, now: now, generation: Self.newGeneration())
            }
            report("circuit breaker \"\(store.breakerName)\" reset: closed")
            return
        }
        try await store.update(clock: now) { state, now in
            guard state == nil else { return }
            state = BreakerState(configuration: configuration, now: now, generation: Self.newGeneration())
        }
    }

    /// A random generation for a new state, from 0 to `Int64.max`.
    private static func newGeneration() -> Int64 {
        Int64.random(in: 0...Int64.max)
    }

    /// Acquires a permit from the breaker in the store, or refuses the attempt.
    ///
    /// - Parameter attempt: The attempt's number (unused: every attempt is a call through the breaker).
    /// - Returns: `nil` to run the attempt, or a rejection: status 75 when the breaker refuses, 65 or
    ///   74 when the store cannot be used (after reporting why).
    package func admit(attempt: Int) async -> AttemptRejection? {
        let configuration = settings.configuration
        let acquisition: BreakerState.Machine.Acquisition
        let time: WallClock.Instant
        do {
            (acquisition, time) = try await store.update(clock: now) { state, now in
                var current = state ?? BreakerState(configuration: configuration, now: now, generation: Self.newGeneration())
                let acquisition = current.modify(at: now, configuration: configuration) {
                    $0.acquire(at: now, configuration: configuration)
                }
                state = current
                return (acquisition, now)
            }
        } catch {
            diagnostics.write("resilience: \(error.message)\n")
            return AttemptRejection(
                reason: "the circuit breaker \(store.stateDescription) cannot be used", exitStatus: error.exitStatus)
        }
        if let granted = acquisition.permit {
            permit.withLock { $0 = granted }
            if acquisition.transition != nil { report("circuit breaker \"\(store.breakerName)\" is half-open: this run probes") }
            return nil
        }
        let state = acquisition.rejectedState ?? .open
        return AttemptRejection(
            reason: rejectionReason(state, retryAfter: acquisition.retryAfter, now: time), exitStatus: 75,
            retryAfter: acquisition.retryAfter)
    }

    /// Gives the permit of the attempt back with its outcome, reporting a change of state.
    ///
    /// A problem with the store is reported and otherwise ignored: the command has run, and its status
    /// stands.
    ///
    /// - Parameter outcome: How the attempt ended.
    package func record(_ outcome: AttemptOutcome) async {
        guard let granted = takePermit() else { return }
        let counted = Self.breakerOutcome(of: outcome, in: run, interrupted: interruption.signal != nil)
        let configuration = settings.configuration
        do {
            let (transition, snapshot, time) = try await store.update(clock: now) { state, now in
                // A state deleted meanwhile (the file, the row) is a reset: this outcome belongs to the forgotten state.
                guard var current = state else { return (CircuitBreakerTransition?.none, CircuitBreakerSnapshot?.none, now) }
                let transition = current.modify(at: now, configuration: configuration) {
                    $0.record(counted, for: granted, at: now, configuration: configuration)
                }
                state = current
                return (transition, current.machine.snapshot(at: now, configuration: configuration), now)
            }
            if let transition, let snapshot { report(transition, snapshot: snapshot, now: time) }
        } catch {
            diagnostics.write("resilience: could not record the attempt's outcome: \(error.message)\n")
        }
    }

    /// The permit of the attempt in flight, if it was admitted; none is left held.
    private func takePermit() -> BreakerState.Machine.Permit? {
        permit.withLock { held in
            defer { held = nil }
            return held
        }
    }

    /// How an attempt's outcome counts for the breaker.
    ///
    /// - Parameters:
    ///   - outcome: The attempt's outcome.
    ///   - run: The run's configuration: the outcomes it retries are failures.
    ///   - interrupted: Whether `resilience` was interrupted by a signal (the user's, not the service's doing).
    /// - Returns: ``CircuitBreakerOutcome/failure`` for an outcome the run would retry,
    ///   ``CircuitBreakerOutcome/success`` for a success, ``CircuitBreakerOutcome/ignored`` otherwise.
    package static func breakerOutcome(of outcome: AttemptOutcome, in run: RunConfiguration, interrupted: Bool) -> CircuitBreakerOutcome {
        switch outcome.termination {
        case .rejected, .interrupted, .cannotStart, .spoolFailed:
            // A stopped attempt (its input or output could not be kept) says nothing of the service.
            return .ignored
        case .exited, .signaled, .timedOut:
            if interrupted { return .ignored }
            if run.retries(outcome) { return .failure }
            return outcome.succeeded ? .success : .ignored
        }
    }

    // MARK: - Messages

    private func rejectionReason(_ state: CircuitState, retryAfter: Duration?, now: WallClock.Instant) -> String {
        let breaker = "circuit breaker \"\(store.breakerName)\""
        switch state {
        case .open:
            let wait = max(retryAfter ?? .zero, .zero)
            return "\(breaker) is open: not running the command; a run may probe in \(DurationArgument.format(wait)) "
                + "(at \(now.advanced(by: wait)))"
        case .halfOpen:
            let timeout = settings.configuration.probeTimeout.map {
                " or has not ended within \(DurationArgument.format($0)) of its start (the probe timeout)"
            }
            return "\(breaker) is half-open and another run is probing: not running the command; "
                + "runs resume when that probe succeeds, and a run may probe again when it fails\(timeout ?? "")"
        case .isolated:
            return "\(breaker) is isolated (held open by hand): not running the command; --breaker-reset closes it"
        default:
            return "\(breaker) is \(state): not running the command"
        }
    }

    private func report(_ transition: CircuitBreakerTransition, snapshot: CircuitBreakerSnapshot, now: WallClock.Instant) {
        let breaker = "circuit breaker \"\(store.breakerName)\""
        switch transition.to {
        case .open:
            let why =
                switch transition.reason {
                case .consecutiveFailures: "after \(snapshot.consecutiveFailures) failed attempts in a row"
                case .failureRate: "at a failure rate of \(snapshot.failures) in \(snapshot.calls) attempts"
                case .slowCallRate: "at a slow-attempt rate of \(snapshot.slowCalls) in \(snapshot.calls) attempts"
                case .probeFailed: "again: the probe failed"
                case .slowProbe: "again: the probe was too slow"
                default: "(\(transition.reason))"
                }
            let wait = snapshot.timeUntilHalfOpen ?? .zero
            report("\(breaker) opened \(why); runs are refused until \(now.advanced(by: wait)) (in \(DurationArgument.format(wait)))")
        case .closed:
            report("\(breaker) closed: the probe succeeded")
        default:
            report("\(breaker): \(transition)")
        }
    }

    private func report(_ message: String) {
        guard !run.quiet else { return }
        diagnostics.write("resilience: \(message)\n")
    }
}
