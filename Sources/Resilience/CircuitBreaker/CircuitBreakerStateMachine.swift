/// The whole logic of a circuit breaker, as a value: every method is a pure function of the state,
/// the event, the time and the configuration, and returns what the caller must report.
///
/// ``CircuitBreaker`` runs the same logic in a `Mutex` and adds the clock, the error classification and
/// the observer. Use the state machine directly to keep a breaker's state somewhere else, such as a
/// file or a database row shared by several processes: load it, call the same methods, save it. It
/// converts to and from a ``CircuitBreakerRecord``, a versioned, documented format with times in
/// nanoseconds since the Unix epoch (``exported(originUnixNanoseconds:)``,
/// ``init(restoring:configuration:origin:originUnixNanoseconds:)``), and assumes nothing about owning
/// the only copy:
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
/// let acquisition = machine.acquire(at: clock.now, configuration: configuration)
/// report(acquisition.transition)
/// if let permit = acquisition.permit {
///     let outcome = run()
///     report(machine.record(outcome, for: permit, at: clock.now, configuration: configuration))
/// } else {
///     reject(acquisition.rejectedState, acquisition.retryAfter)
/// }
/// ```
///
/// The open state ends lazily: the first ``acquire(at:configuration:)`` after the break duration moves
/// the circuit to half-open and admits that call as a probe.
public struct CircuitBreakerStateMachine<Instant: InstantProtocol>: Sendable, Hashable where Instant.Duration == Duration {
    /// The right to make one call, granted by ``acquire(at:configuration:)``. Give it back exactly once
    /// with ``record(_:for:at:configuration:)``.
    public struct Permit: Hashable, Sendable {
        @usableFromInline
        let token: CircuitBreakerCore.Permit

        @inlinable
        init(_ token: CircuitBreakerCore.Permit) {
            self.token = token
        }

        /// The state that granted the permit: ``CircuitState/closed``, ``CircuitState/halfOpen`` (a
        /// probe) or ``CircuitState/disabled``.
        public var state: CircuitState { token.state }
    }

    /// The answer to ``acquire(at:configuration:)``: a permit (``permit``), or a rejection
    /// (``rejectedState``).
    ///
    /// A struct rather than an enum, so what it reports can grow without breaking callers.
    public struct Acquisition: Hashable, Sendable {
        /// The permit to make the call with, or `nil` when the call is rejected. Give it back with
        /// ``CircuitBreakerStateMachine/record(_:for:at:configuration:)``.
        public let permit: Permit?
        /// The change of state the request caused (open to half-open), if any, to report.
        public let transition: CircuitBreakerTransition?
        /// The state that refused the call (open, isolated, or half-open with every probe slot
        /// taken), or `nil` when a permit was granted.
        public let rejectedState: CircuitState?
        /// For a rejection, the time until the circuit may half-open, when known.
        public let retryAfter: Duration?

        /// A granted call.
        ///
        /// - Parameters:
        ///   - permit: The permit.
        ///   - transition: The change of state the request caused, if any.
        public static func granted(_ permit: Permit, transition: CircuitBreakerTransition? = nil) -> Acquisition {
            Acquisition(permit: permit, transition: transition, rejectedState: nil, retryAfter: nil)
        }

        /// A rejected call.
        ///
        /// - Parameters:
        ///   - state: The state that refused the call.
        ///   - retryAfter: The time until the circuit may half-open, when known.
        public static func rejected(state: CircuitState, retryAfter: Duration?) -> Acquisition {
            Acquisition(permit: nil, transition: nil, rejectedState: state, retryAfter: retryAfter)
        }

        /// Whether the call may go ahead.
        public var isGranted: Bool { permit != nil }
    }

    /// The instant every time in the state is measured from: when the state machine was created, unless
    /// ``shiftTimeline(by:)`` moved it since.
    public private(set) var origin: Instant
    /// The logic and its state, on the timeline since ``origin`` (set by the fleet extension too).
    @usableFromInline
    var core: CircuitBreakerCore

    /// Creates a closed circuit with no calls recorded.
    ///
    /// - Parameters:
    ///   - configuration: The configuration it will run with (sizes the sliding window).
    ///   - now: The current time; becomes the ``origin``.
    public init(configuration: CircuitBreakerConfiguration, now: Instant) {
        origin = now
        core = CircuitBreakerCore(configuration: configuration)
    }

    /// The current state, as stored: an open circuit whose break has passed is still
    /// ``CircuitState/open`` until the next ``acquire(at:configuration:)``.
    public var state: CircuitState { core.state }

    // MARK: - Calls

    /// Asks to make a call.
    ///
    /// Closed and disabled circuits grant at once. An open circuit rejects until its break has passed,
    /// then moves to half-open and admits the call as a probe. A half-open circuit first frees the
    /// slots of probes older than the ``CircuitBreakerConfiguration/probeTimeout``, then grants a probe
    /// if fewer than ``CircuitBreakerConfiguration/maxConcurrentProbes`` are out. An isolated circuit
    /// rejects.
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
        let origin = origin
        let acquisition = core.acquire(
            at: origin.duration(to: now()),
            hotPath: CircuitBreakerConfiguration.HotPath(configuration),
            configuration: configuration
        )
        switch acquisition {
        case .granted(let token, let transition): return .granted(Permit(token), transition: transition)
        case .rejected(let state, let retryAfter): return .rejected(state: state, retryAfter: retryAfter)
        }
    }

    /// Moves an open circuit whose break has ended to half-open without admitting a call, as
    /// ``CircuitBreakerConfiguration/halfOpensAutomatically`` asks; call it when the break ends (the
    /// time ``CircuitBreakerSnapshot/timeUntilHalfOpen`` gives).
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state, or `nil` when the circuit is not open or its break has not ended.
    public mutating func halfOpenIfDue(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        core.halfOpenIfDue(at: origin.duration(to: now), configuration: configuration)
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
        let origin = origin
        return core.record(
            outcome,
            for: permit.token,
            at: origin.duration(to: now()),
            hotPath: CircuitBreakerConfiguration.HotPath(configuration),
            configuration: configuration
        )
    }

    // MARK: - Manual control

    /// Holds the circuit open until ``release(at:configuration:)`` or ``reset(at:configuration:)``.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state, or `nil` if the circuit was already isolated.
    public mutating func isolate(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        core.isolate(at: origin.duration(to: now), configuration: configuration)
    }

    /// Lets every call through, still counting outcomes, until ``release(at:configuration:)`` or
    /// ``reset(at:configuration:)``. The counts start empty.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state, or `nil` if the circuit was already disabled.
    public mutating func disable(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        core.disable(at: origin.duration(to: now), configuration: configuration)
    }

    /// Ends a manual state (isolated or disabled): the circuit closes with empty counts. Does nothing in
    /// the other states.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state, or `nil` if the circuit was in no manual state.
    public mutating func release(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        core.release(at: origin.duration(to: now), configuration: configuration)
    }

    /// Closes the circuit from any state, forgetting every count and the openings in a row.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The change of state, or `nil` if the circuit was already closed (its counts are
    ///   cleared all the same).
    public mutating func reset(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerTransition? {
        core.reset(at: origin.duration(to: now), configuration: configuration)
    }

    // MARK: - Time

    /// Moves the state's whole timeline by `offset`: the ``origin`` moves, and with it every time in
    /// the state (the end of a break, when probes were granted, the sliding window's buckets), since
    /// they are measured from the origin. Durations between them, and permits already granted, are
    /// unchanged.
    ///
    /// For a state kept across readings of a clock that can step, such as the wall clock in a state
    /// file shared by several processes: when the clock is found to have stepped back by `d` since the
    /// state was last changed, `shiftTimeline(by: .zero - d)` makes the step count as no time passing,
    /// instead of the state seeing time run backwards (and an open circuit staying open `d` longer).
    ///
    /// - Parameter offset: How far to move the timeline; negative moves it into the past.
    public mutating func shiftTimeline(by offset: Duration) {
        origin = origin.advanced(by: offset)
    }

    // MARK: - Reading

    /// The counts and timings of the circuit at `now`, without changing it.
    ///
    /// - Parameters:
    ///   - now: The current time.
    ///   - configuration: The configuration in force.
    /// - Returns: The snapshot.
    public func snapshot(at now: Instant, configuration: CircuitBreakerConfiguration) -> CircuitBreakerSnapshot {
        core.snapshot(at: origin.duration(to: now), configuration: configuration)
    }
}

// MARK: - Records

extension CircuitBreakerStateMachine {
    /// The state as a ``CircuitBreakerRecord``: the versioned, documented format to keep it in a file
    /// or a database, with every time in nanoseconds since the Unix epoch.
    ///
    /// The state machine measures time from its ``origin``; `originUnixNanoseconds` says when that was
    /// on the wall clock, so that the record's times mean the same to every process. Read the wall
    /// clock when the state machine is created (or restored) and keep the reading beside it:
    ///
    /// ```swift
    /// let origin = ContinuousClock.now
    /// let originUnixNanoseconds = wallClockNanoseconds()   // clock_gettime(CLOCK_REALTIME), Date()
    /// var machine = CircuitBreakerStateMachine(configuration: configuration, now: origin)
    /// // ...
    /// let record = machine.exported(originUnixNanoseconds: originUnixNanoseconds)
    /// ```
    ///
    /// After ``shiftTimeline(by:)`` moved the origin by `offset`, its reading moved by `offset` too.
    /// Times are whole nanoseconds (a finer part is dropped), saturated to the `Int64` range (the years
    /// 1677 to 2262).
    ///
    /// - Parameter originUnixNanoseconds: The wall-clock reading of ``origin``, in nanoseconds since
    ///   1970-01-01T00:00:00Z.
    /// - Returns: The record; ``init(restoring:configuration:origin:originUnixNanoseconds:)`` accepts it.
    public func exported(originUnixNanoseconds: Int64) -> CircuitBreakerRecord {
        core.exported(originUnixNanoseconds: originUnixNanoseconds)
    }

    /// Restores the state a ``CircuitBreakerRecord`` holds, as a state machine whose ``origin`` is
    /// `origin`, an instant whose wall-clock reading is `originUnixNanoseconds`.
    ///
    /// The record is checked first (``CircuitBreakerRecord/validate()``): every count and time within
    /// its bounds, the fields consistent with each other. A record whose sliding window has another
    /// layout than `configuration`'s (a count window of another size, a time window with other
    /// buckets) is restored with an empty window of the configuration's layout, as a breaker whose
    /// configuration changed starts a new window; everything else is kept. The restored machine then
    /// behaves as the one that was exported would have: a permit granted before carries on
    /// counting, and a probe granted by another process still expires after the probe timeout.
    ///
    /// - Parameters:
    ///   - record: The record, as ``exported(originUnixNanoseconds:)`` (in this process or another) made it.
    ///   - configuration: The configuration the state machine will run with.
    ///   - origin: The instant to measure time from, such as `clock.now`.
    ///   - originUnixNanoseconds: The wall-clock reading of `origin`, in nanoseconds since
    ///     1970-01-01T00:00:00Z.
    /// - Throws: ``CircuitBreakerRecordError`` naming the field of a record that is not valid.
    public init(
        restoring record: CircuitBreakerRecord,
        configuration: CircuitBreakerConfiguration,
        origin: Instant,
        originUnixNanoseconds: Int64
    ) throws(CircuitBreakerRecordError) {
        self.origin = origin
        core = try CircuitBreakerCore(restoring: record, configuration: configuration, originUnixNanoseconds: originUnixNanoseconds)
    }
}
