/// Stops calling a downstream that keeps failing, and lets a few probe calls test whether it has
/// recovered: closed, open, half-open, plus the manual states isolated and disabled (see
/// ``CircuitState``).
///
/// Create one breaker per downstream and share it with every caller: it is a `Sendable` class whose
/// logic is the value-type state machine of ``CircuitBreakerStateMachine``, behind a `Mutex`. A call
/// takes the lock twice for a few nanoseconds (once to be admitted, once to record its outcome), with
/// no actor hop and, in the closed state, no allocation.
///
/// ```swift
/// let ocrBreaker = CircuitBreaker(name: "ocr", configuration: .default, observer: LoggingObserver(logger: logger))
/// let text = try await ocrBreaker.execute { try await ocr.extract(receiptID) }
/// ```
///
/// - A rejected call throws ``CircuitOpenError`` without running the operation.
/// - An admitted call's error is rethrown **unchanged**; the breaker only counts it: as a failure when
///   its category is in ``CircuitBreakerConfiguration/failureCategories`` (or `countsAsFailure` says so),
///   otherwise not at all. Cancellation never counts, and neither does a failure of a cancelled task.
/// - **A permit is never lost**: whether the operation returns, throws, throws an ignored error or is
///   cancelled, its permit (and in the half-open state its probe slot) is given back before `execute`
///   returns.
/// - Time comes from the injected clock: the break duration, slow calls and time-based windows all
///   run on it, so tests can use a manual clock.
///
/// **With other strategies**, put the retry loop outside the breaker (each attempt is a call the
/// breaker counts, and a rejection ends the retrying at once) and a ``Fallback`` outermost:
///
/// ```swift
/// let text = try await localOCRFallback.execute {
///     try await ocrRetry.execute {
///         try await ocrBreaker.execute { try await ocr.extract(receiptID) }
///     }
/// }
/// ```
///
/// In a ``ResiliencePipeline`` the breaker takes part as a view that shares its state (see
/// ``joining(_:)``). Observers are called after the lock is released, so under heavy concurrency two
/// changes of state may reach an observer in another order than they happened; each event carries
/// both states.
public final class CircuitBreaker<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// Decides whether an error counts as a failure, instead of the configuration's
    /// ``CircuitBreakerConfiguration/failureCategories``; errors it rejects count neither way.
    public typealias FailurePredicate = @Sendable (_ error: any Error, _ classification: ErrorClassification) -> Bool

    /// The breaker's name, reported in its events and errors (for example `"ocr"`).
    public let name: String
    /// When the breaker trips, how long it stays open and how it probes.
    public let configuration: CircuitBreakerConfiguration
    /// The clock that measures break durations, slow calls and time-based windows.
    public let clock: ClockType
    /// Maps each error to its category.
    public let classifier: ErrorClassifier
    /// Overrides ``CircuitBreakerConfiguration/failureCategories`` when set.
    public let countsAsFailure: FailurePredicate?
    /// Receives state changes and rejections; `nil` for none.
    public let observer: (any ResilienceObserver)?
    /// The link through which a fleet's sync steers this breaker, when it shares its view of the
    /// downstream with other instances; `nil` for a breaker on its own. See ``FleetCoordination``.
    public let fleet: FleetCoordination?

    /// What the per-call fast path needs of ``configuration``.
    @usableFromInline
    let hotPath: CircuitBreakerConfiguration.HotPath

    /// The state, shared with the views of this breaker that pipelines make.
    @usableFromInline
    let storage: CircuitBreakerStorage
    /// When the breaker was created: every time in its state is measured from it.
    @usableFromInline
    let origin: ClockType.Instant
    /// Whether ``execute(_:)`` checks for cancellation first: `false` only for a pipeline's view of
    /// the breaker behind a strategy that has just checked (see ``EntryCancellationChecking``).
    @usableFromInline
    let checksCancellation: Bool

    /// Creates a closed circuit breaker.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: When it trips, how long it stays open and how it probes.
    ///   - clock: The clock that measures time.
    ///   - classifier: Maps each error to its category.
    ///   - countsAsFailure: Decides whether an error counts as a failure, instead of the configuration's
    ///     categories; `nil` to use the categories. Cancellation never counts, whatever it says.
    ///   - observer: Receives state changes and rejections.
    ///   - fleet: The link to a fleet sharing its view of the downstream, or `nil` for a breaker on its
    ///     own. The breaker attaches itself to it; give each breaker its own.
    public init(
        name: String = "circuit-breaker",
        configuration: CircuitBreakerConfiguration = .default,
        clock: ClockType,
        classifier: ErrorClassifier = .default,
        countsAsFailure: FailurePredicate? = nil,
        observer: (any ResilienceObserver)? = nil,
        fleet: FleetCoordination? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.hotPath = CircuitBreakerConfiguration.HotPath(configuration)
        self.clock = clock
        self.classifier = classifier
        self.countsAsFailure = countsAsFailure
        self.observer = observer
        self.fleet = fleet
        self.storage = CircuitBreakerStorage(CircuitBreakerCore(configuration: configuration))
        self.origin = clock.now
        self.checksCancellation = true
        fleet?.attach(
            CircuitBreakerFleetMember(
                storage: storage, clock: clock, origin: origin, configuration: configuration, observer: observer, name: name))
    }

    /// A view of `breaker` sharing its state, reporting to `observer`.
    private init(
        sharing breaker: CircuitBreaker,
        observer: (any ResilienceObserver)?,
        checksCancellation: Bool = true
    ) {
        name = breaker.name
        configuration = breaker.configuration
        hotPath = breaker.hotPath
        clock = breaker.clock
        classifier = breaker.classifier
        countsAsFailure = breaker.countsAsFailure
        self.observer = observer
        fleet = breaker.fleet
        storage = breaker.storage
        origin = breaker.origin
        self.checksCancellation = checksCancellation
    }

    // MARK: - Calls

    /// Runs `operation` if the circuit admits it, and counts its outcome.
    ///
    /// - Parameter operation: The call to the downstream, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``CircuitOpenError`` when the circuit refuses the call (the operation does not run);
    ///   `CancellationError` when the calling task is already cancelled (nor does it run then);
    ///   otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // Always inlined, like `Retry.execute`: inside a pipeline the optimiser would keep it a call.
        try await execute(classifyingResult: { _ in nil }, operation)
    }

    /// Runs `operation` if the circuit admits it, and counts its outcome, treating the values
    /// `classifyResult` classifies as failures of that classification (an HTTP 503 response returned
    /// rather than thrown). The value is returned either way.
    ///
    /// - Parameters:
    ///   - classifyResult: A classification for a value that should count like an error of it, or
    ///     `nil` for a success.
    ///   - operation: The call to the downstream, run in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``CircuitOpenError`` when the circuit refuses the call; otherwise the operation's
    ///   error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        classifyingResult classifyResult: (Result) -> ErrorClassification?,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // A caller cancelled before the call gets CancellationError; the operation never runs.
        if checksCancellation { try Task.checkCancellation() }
        let permit = try admit()
        let value: Result
        do {
            value = try await operation()
        } catch {
            settle(permit, after: error)
            throw error
        }
        if let classification = classifyResult(value) {
            settle(permit, classifiedAs: classification)
        } else {
            settle(permit, outcome: .success)
        }
        return value
    }

    /// How this breaker counts a call that threw `error`.
    ///
    /// Cancellation, and any error thrown while the calling task is cancelled, is
    /// ``CircuitBreakerOutcome/ignored``; otherwise `countsAsFailure` decides if set, else the
    /// configuration's ``CircuitBreakerConfiguration/failureCategories``.
    ///
    /// - Parameter error: The error the call threw.
    /// - Returns: ``CircuitBreakerOutcome/failure`` or ``CircuitBreakerOutcome/ignored``.
    public func outcome(of error: any Error) -> CircuitBreakerOutcome {
        if Task.isCancelled { return .ignored }
        return outcome(of: error, classifiedAs: classifier.classify(error))
    }

    private func outcome(of error: (any Error)?, classifiedAs classification: ErrorClassification) -> CircuitBreakerOutcome {
        if classification.category == .cancellation { return .ignored }
        if let countsAsFailure, let error {
            return countsAsFailure(error, classification) ? .failure : .ignored
        }
        return configuration.failureCategories.contains(classification.category) ? .failure : .ignored
    }

    /// Asks the state machine for a permit; the slow path reports and throws.
    @inlinable
    func admit() throws(CircuitOpenError) -> CircuitBreakerCore.Permit {
        let acquisition = storage.machine.withLock { $0.acquire(at: elapsed(), hotPath: hotPath, configuration: configuration) }
        if case .granted(let permit, .none) = acquisition { return permit }
        return try admitSlowly(acquisition)
    }

    /// Reports what ``admit()`` met beyond a plain grant: a change of state, or a rejection.
    @usableFromInline
    func admitSlowly(_ acquisition: CircuitBreakerCore.Acquisition) throws(CircuitOpenError) -> CircuitBreakerCore.Permit {
        switch acquisition {
        case .granted(let permit, let transition):
            if let transition { report(transition) }
            return permit
        case .rejected(let state, let retryAfter):
            observer?.observe(.callRejected(strategy: name, state: state, retryAfter: retryAfter))
            throw CircuitOpenError(breakerName: name, state: state, retryAfter: retryAfter)
        }
    }

    /// Gives `permit` back with `outcome`, reporting any change of state.
    @inlinable
    func settle(_ permit: CircuitBreakerCore.Permit, outcome: CircuitBreakerOutcome) {
        let transition = storage.machine.withLock {
            $0.record(outcome, for: permit, at: elapsed(), hotPath: hotPath, configuration: configuration)
        }
        if let transition { report(transition) }
    }

    /// Gives `permit` back after the call threw `error`.
    @usableFromInline
    func settle(_ permit: CircuitBreakerCore.Permit, after error: any Error) {
        settle(permit, outcome: outcome(of: error))
    }

    /// Gives `permit` back after the call returned a value classified as a failure.
    @usableFromInline
    func settle(_ permit: CircuitBreakerCore.Permit, classifiedAs classification: ErrorClassification) {
        settle(permit, outcome: Task.isCancelled ? .ignored : outcome(of: nil, classifiedAs: classification))
    }

    /// The time since ``origin`` on the breaker's clock.
    ///
    /// Not inlined (but specialised): inlined into the asynchronous `execute`, its temporary instant
    /// (of a resilient type, as `ContinuousClock.Instant` is) is allocated on the task at every
    /// call, whether the time is read or not; here it is on the stack.
    @inlinable @inline(never)
    func elapsed() -> Duration {
        origin.duration(to: clock.now)
    }

    /// Tells the observer about a change of state, and starts the wait for the end of a break when the
    /// circuit half-opens on its own.
    @usableFromInline
    func report(_ transition: CircuitBreakerTransition) {
        observer?.observe(.circuitStateChanged(strategy: name, transition: transition))
        if transition.to == .open, configuration.halfOpensAutomatically {
            Self.scheduleHalfOpen(
                storage: storage, clock: clock, origin: origin, configuration: configuration, observer: observer, name: name)
        }
    }

    /// Starts a task that half-opens the circuit when its break ends (replacing any earlier one).
    ///
    /// The task holds the breaker's state weakly: a breaker that is no longer used does not live on
    /// until its break ends, and the task then ends without effect.
    static func scheduleHalfOpen(
        storage: CircuitBreakerStorage,
        clock: ClockType,
        origin: ClockType.Instant,
        configuration: CircuitBreakerConfiguration,
        observer: (any ResilienceObserver)?,
        name: String
    ) {
        let snapshot = storage.machine.withLock { $0.snapshot(at: origin.duration(to: clock.now), configuration: configuration) }
        guard snapshot.state == .open, let wait = snapshot.timeUntilHalfOpen else { return }
        let state = WeakStorage(storage)
        let task = Task {
            var wait = wait
            while true {
                do {
                    try await clock.sleep(until: clock.now.advanced(by: wait), tolerance: nil)
                } catch {
                    return  // replaced by a later opening, or the breaker went away
                }
                let now = origin.duration(to: clock.now)
                // Half-open if the break has ended; if the circuit opened again meanwhile, wait for
                // the new break's end; otherwise there is nothing left to do.
                guard
                    let next = state.value?.machine.withLock({ machine -> HalfOpenStep in
                        if let transition = machine.halfOpenIfDue(at: now, configuration: configuration) {
                            return .halfOpened(transition)
                        }
                        let remaining = machine.snapshot(at: now, configuration: configuration).timeUntilHalfOpen
                        return remaining.map { .wait($0) } ?? .done
                    })
                else { return }
                switch next {
                case .halfOpened(let transition):
                    observer?.observe(.circuitStateChanged(strategy: name, transition: transition))
                    return
                case .wait(let remaining):
                    wait = remaining
                case .done:
                    return
                }
            }
        }
        storage.halfOpenTimer.withLock { timer in
            timer?.cancel()
            timer = task
        }
    }

    // MARK: - Reading and manual control

    /// The current state. An open circuit whose break has passed stays ``CircuitState/open`` until the
    /// next call half-opens it, unless ``CircuitBreakerConfiguration/halfOpensAutomatically`` has it
    /// half-open when the break ends.
    public var state: CircuitState {
        storage.machine.withLock { $0.state }
    }

    /// The state and counts now.
    ///
    /// - Returns: A snapshot: state, counts in the sliding window, failure and slow-call rates, probes
    ///   in flight, time until half-open.
    public func snapshot() -> CircuitBreakerSnapshot {
        let now = elapsed()
        return storage.machine.withLock { $0.snapshot(at: now, configuration: configuration) }
    }

    /// Holds the circuit open: every call is rejected with a ``CircuitOpenError`` in the
    /// ``CircuitState/isolated`` state until ``release()`` or ``reset()``.
    public func isolate() {
        apply { $0.isolate(at: $1, configuration: configuration) }
    }

    /// Lets every call through, still counting outcomes (which never trip the breaker), until
    /// ``release()`` or ``reset()``.
    public func disable() {
        apply { $0.disable(at: $1, configuration: configuration) }
    }

    /// Ends ``isolate()`` or ``disable()``: the circuit closes with empty counts. Does nothing in the
    /// other states.
    public func release() {
        apply { $0.release(at: $1, configuration: configuration) }
    }

    /// Closes the circuit from any state and forgets every count, including the openings in a row that
    /// lengthen the break duration.
    public func reset() {
        apply { $0.reset(at: $1, configuration: configuration) }
    }

    private func apply(_ change: (inout CircuitBreakerCore, Duration) -> CircuitBreakerTransition?) {
        let now = elapsed()
        if let transition = storage.machine.withLock({ change(&$0, now) }) { report(transition) }
    }
}

extension CircuitBreaker where ClockType == ContinuousClock {
    /// Creates a closed circuit breaker on the continuous clock.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: When it trips, how long it stays open and how it probes.
    ///   - classifier: Maps each error to its category.
    ///   - countsAsFailure: Decides whether an error counts as a failure, instead of the configuration's
    ///     categories; `nil` to use the categories.
    ///   - observer: Receives state changes and rejections.
    ///   - fleet: The link to a fleet sharing its view of the downstream, or `nil` for a breaker on its
    ///     own.
    public convenience init(
        name: String = "circuit-breaker",
        configuration: CircuitBreakerConfiguration = .default,
        classifier: ErrorClassifier = .default,
        countsAsFailure: FailurePredicate? = nil,
        observer: (any ResilienceObserver)? = nil,
        fleet: FleetCoordination? = nil
    ) {
        self.init(
            name: name,
            configuration: configuration,
            clock: ContinuousClock(),
            classifier: classifier,
            countsAsFailure: countsAsFailure,
            observer: observer,
            fleet: fleet
        )
    }
}

extension CircuitBreaker: ResilienceStrategy, ResultClassifyingStrategy {
    /// The breaker's name, such as `circuit-breaker(ocr)`.
    public var description: String {
        "circuit-breaker(\(name))"
    }

    /// A view of this breaker for a pipeline: it shares this breaker's state (so every caller, in the
    /// pipeline or not, sees one circuit), and reports its events to this breaker's observer and the
    /// pipeline's, stamped with the pipeline's name. This breaker is unchanged.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> CircuitBreaker {
        CircuitBreaker(sharing: self, observer: context.observer(combinedWith: observer), checksCancellation: checksCancellation)
    }
}

extension CircuitBreaker: EntryCancellationChecking {
    var checksCancellationOnEntry: Bool { true }
    var startsOperationRightAfterCheck: Bool { true }

    /// A view sharing this breaker's state that does not check for cancellation itself.
    func relyingOnEnclosingCancellationCheck() -> CircuitBreaker {
        CircuitBreaker(sharing: self, observer: observer, checksCancellation: false)
    }
}

/// The lock and state of a circuit breaker, shared by the breaker and its pipeline views.
@usableFromInline
final class CircuitBreakerStorage: Sendable {
    /// The state on the timeline since the breaker's origin, behind the lock.
    @usableFromInline
    let machine: AnnotatedMutex<CircuitBreakerCore>

    /// The task that half-opens the circuit when its break ends, when it does so on its own.
    let halfOpenTimer = AnnotatedMutex<Task<Void, Never>?>(nil)

    init(_ core: CircuitBreakerCore) {
        machine = AnnotatedMutex(core)
    }

    deinit {
        halfOpenTimer.withLock { $0?.cancel() }
    }
}

/// What the task that half-opens a circuit does after waking.
private enum HalfOpenStep: Sendable {
    case halfOpened(CircuitBreakerTransition)
    case wait(Duration)
    case done
}

/// A weak reference to a breaker's state, for the task that half-opens it.
private final class WeakStorage: Sendable {
    weak let value: CircuitBreakerStorage?

    init(_ value: CircuitBreakerStorage) {
        self.value = value
    }
}
