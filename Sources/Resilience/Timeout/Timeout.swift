import Synchronization

/// A time limit: if the operation has not finished after ``duration``, it is cancelled and a
/// ``TimeoutError`` is thrown.
///
/// Where it sits decides what it bounds: outside a ``Retry`` it bounds the whole call, waits
/// included; inside it bounds each attempt, and since ``TimeoutError`` is a
/// ``ErrorCategory/timeout`` the retry sees it as retryable.
///
/// ```swift
/// let pipeline = ResiliencePipeline(name: "vision") {
///     Timeout(.seconds(60))          // whole call
///     Retry(.rateLimit)
///     Timeout(.seconds(10))          // each attempt
/// }
/// ```
///
/// The operation keeps the caller's isolation. To be able to cancel it, the timeout runs it in a child
/// task (on the caller's actor, started immediately on the caller's thread, inheriting its
/// cancellation, priority, task-local values and executor preference) and watches the clock in a
/// second child; when the time is up it cancels the operation **and waits for it to finish** before
/// throwing, so a timed-out call never leaves work running behind it. The operation must therefore
/// honour cancellation for the timeout to end the call promptly (the clocks' sleeps, URLSession,
/// AsyncHTTPClient and NIO-based clients do). A value that arrives despite the deadline is returned;
/// cancelling the caller cancels the operation and rethrows what it throws; a caller already
/// cancelled gets `CancellationError` and the operation never runs.
///
/// Creating one never fails: a zero or negative limit expires at once, and one beyond about 292
/// years (`Int64.max` nanoseconds) counts as that. ``validate()`` reports such values by name, for
/// limits read from configuration.
public struct Timeout<ClockType: Clock>: ResilienceStrategy, ObservedStrategy where ClockType.Duration == Duration {
    /// The time limit.
    public var duration: Duration
    /// The strategy's name, reported in its events.
    public var name: String
    /// The clock the limit is measured on.
    public var clock: ClockType
    /// Receives a ``ResilienceEvent/Kind/timedOut`` event for every expiry, or `nil`.
    public var observer: (any ResilienceObserver)?

    /// Creates a time limit.
    ///
    /// - Parameters:
    ///   - timeout: The time limit; a zero or negative one expires at once.
    ///   - name: The name reported in events.
    ///   - clock: The clock the limit is measured on.
    ///   - observer: Receives the strategy's events.
    public init(
        _ timeout: Duration,
        name: String = "timeout",
        clock: ClockType,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.duration = timeout
        self.name = name
        self.clock = clock
        self.observer = observer
    }

    /// Checks the limit, for one read from configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming `timeout` when it is zero, negative or over 292 years.
    public func validate() throws(ConfigurationError) {
        guard duration > .zero else { throw .invalid("timeout", "must be positive, got \(duration)") }
        guard duration <= .saturatedMaximum else {
            throw .invalid("timeout", "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(duration)")
        }
    }

    /// Runs `operation`, cancelling it and throwing ``TimeoutError`` if it is not done in time.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``TimeoutError`` when the limit passed; `CancellationError` when the calling task is
    ///   already cancelled; otherwise the operation's error, unchanged.
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await run(operation)
    }

    /// The limit, such as `timeout(5.0 s)`.
    public var description: String {
        "\(name)(\(duration.inSeconds) s)"
    }

    /// Takes the caller's isolation as a parameter so that the child task running the operation can
    /// inherit it (a task closure that captures an `isolated` parameter runs on that actor).
    private func run<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> Result {
        try Task.checkCancellation()
        let duration = min(max(duration, .zero), .saturatedMaximum)
        let deadline = clock.now.advanced(by: duration)
        let clock = self.clock
        return try await withoutActuallyEscaping(operation) { operation in
            let outcome = OutcomeBox<Result>()
            // Structured children: both inherit the caller's cancellation, priority, task-local values
            // and task-executor preference, and the group outlives neither.
            let expired = await withTaskGroup(of: ChildOutcome.self) { group in
                // An immediate child starts on this thread, so an operation that finishes without
                // suspending costs no hop and needs no timer.
                group.addImmediateTask {
                    _ = isolation  // runs on the caller's actor
                    do {
                        outcome.result = .success(try await operation())
                    } catch {
                        outcome.result = .failure(error)
                    }
                    outcome.isFinished.store(true, ordering: .releasing)
                    return .operationFinished
                }
                if !outcome.isFinished.load(ordering: .acquiring) {
                    group.addTask {
                        do {
                            try await clock.sleep(until: deadline, tolerance: nil)
                        } catch {
                            return .timerCancelled  // the operation finished first, or the caller was cancelled
                        }
                        return .timerFired
                    }
                }
                let first = await group.next()
                group.cancelAll()  // the timer if the operation finished; the operation if the time is up
                return first == .timerFired
            }
            switch outcome.result {
            case .success(let value):
                return value
            case .failure(let error):
                guard expired else { throw error }
                observer?.observe(.timedOut(strategy: name, after: duration))
                throw TimeoutError(timeout: duration)
            case nil:
                throw CancellationError()
            }
        }
    }
}

/// What a child of ``Timeout``'s task group reports.
private enum ChildOutcome: Sendable {
    case operationFinished, timerFired, timerCancelled
}

extension Timeout where ClockType == ContinuousClock {
    /// Creates a time limit on the continuous clock.
    ///
    /// - Parameters:
    ///   - timeout: The time limit; a zero or negative one expires at once.
    ///   - name: The name reported in events.
    ///   - observer: Receives the strategy's events.
    public init(_ timeout: Duration, name: String = "timeout", observer: (any ResilienceObserver)? = nil) {
        self.init(timeout, name: name, clock: ContinuousClock(), observer: observer)
    }
}

/// Where the task running a timed operation leaves its outcome for the caller, which reads it only
/// after that task has finished (``isFinished`` says so without waiting).
private final class OutcomeBox<Value> {
    var result: Result<Value, any Error>?
    let isFinished = Atomic(false)
}
