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
    /// Whether ``execute(_:)`` checks for cancellation first: `false` only inside a pipeline, behind a
    /// strategy that has just checked (see ``EntryCancellationChecking``).
    @usableFromInline
    var checksCancellation = true

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
    @inlinable
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // Inlinable, as is `run`, so that both are specialised for the caller's result type: unspecialised,
        // the boxes' and the group's generic metadata were looked up on every call (a third of its cost).
        try await run(operation)
    }

    /// The limit, such as `timeout(5.0 s)`.
    public var description: String {
        "\(name)(\(duration.inSeconds) s)"
    }

    /// Takes the caller's isolation as a parameter so that the child task running the operation can
    /// inherit it (a task closure that captures an `isolated` parameter runs on that actor).
    @inlinable
    func run<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> Result {
        if checksCancellation { try Task.checkCancellation() }
        let duration = min(max(duration, .zero), .saturatedMaximum)
        let deadline = clock.now.advanced(by: duration)
        let clock = self.clock
        return try await withoutActuallyEscaping(operation) { operation in
            let timed = TimedOperation<Result>()
            // Structured children: both inherit the caller's cancellation, priority, task-local values
            // and task-executor preference, and the group outlives neither. A discarding group keeps
            // no results (the operation leaves its own in `timed`), which costs less than `next()`;
            // a child that finishes first cancels the other by throwing.
            do {
                try await withThrowingDiscardingTaskGroup { group in
                    // An immediate child starts on this thread, so an operation that finishes without
                    // suspending costs no hop and needs no timer.
                    group.addImmediateTask {
                        _ = isolation  // runs on the caller's actor
                        try await timed.run(operation)
                    }
                    if timed.callerReturned() {
                        group.addTask {
                            do {
                                try await clock.sleep(until: deadline, tolerance: nil)
                            } catch {
                                return  // the operation finished first, or the caller was cancelled
                            }
                            timed.expired = true
                            throw TimedOperation<Result>.childFinished  // cancels the operation
                        }
                    }
                }
            } catch {
                // Only `childFinished`, thrown to cancel the other child.
            }
            // Both children have finished (and released the operation, which did not escape): take
            // the outcome.
            let expired = timed.expired
            switch timed.takeResult() {
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

/// The operation a ``Timeout`` runs in a child task, and where that task leaves its outcome for the
/// caller, which reads it after the task group has waited for the task: a handle to one object.
///
/// The object is a `ManagedBuffer` whose one element holds the state: a class of our own would be
/// generic, and its deinit, never specialised, looked up `Result`'s generic metadata on every call
/// (about 330 instructions); the buffer's deinit destroys only its trivial header, and the caller,
/// specialised, takes the element out.
// Safe to share with the child tasks: the operation child writes `result` and the timer `expired`
// before they finish, and the caller reads both only after the task group has waited for them;
// `progress` is atomic.
@usableFromInline
struct TimedOperation<Value>: @unchecked Sendable {
    @usableFromInline
    typealias Operation = nonisolated(nonsending) () async throws -> Value

    /// The state shared by the caller and the children.
    @usableFromInline
    struct State: ~Copyable {
        /// ``running``, then ``finished`` (the operation, first) or ``callerReturned`` (the caller,
        /// back from starting the operation, which has suspended), then the other.
        @usableFromInline
        let progress: Atomic<UInt8>
        /// The operation's outcome; `nil` until it has one.
        @usableFromInline
        var result: Result<Value, any Error>?
        /// Whether the time ran out (set by the timer).
        @usableFromInline
        var expired: Bool

        @inlinable
        init() {
            progress = Atomic(TimedOperation.running)
            result = nil
            expired = false
        }
    }

    /// Thrown by a child that finishes first, so that the group cancels the other.
    @usableFromInline
    static var childFinished: any Error { TimeoutChildFinished.instance }

    @usableFromInline static var running: UInt8 { 0 }
    @usableFromInline static var callerReturned: UInt8 { 1 }
    @usableFromInline static var finished: UInt8 { 2 }

    @usableFromInline
    let buffer: ManagedBuffer<Void, State>

    @inlinable
    init() {
        buffer = ManagedBuffer<Void, State>.create(minimumCapacity: 1) { _ in }
        buffer.withUnsafeMutablePointerToElements { $0.initialize(to: State()) }
    }

    /// The state, which lives as long as ``buffer``.
    @inlinable
    var state: UnsafeMutablePointer<State> {
        buffer.withUnsafeMutablePointerToElements { $0 }
    }

    /// Whether the time ran out.
    @inlinable
    var expired: Bool {
        get { state.pointee.expired }
        nonmutating set { state.pointee.expired = newValue }
    }

    /// Runs `operation`, in the isolation of the task's closure, and records its outcome; throws to
    /// cancel the timer when the caller may have started one.
    @inlinable
    nonisolated(nonsending) func run(_ operation: Operation) async throws {
        let state = self.state
        do {
            state.pointee.result = .success(try await operation())
        } catch {
            state.pointee.result = .failure(error)
        }
        if state.pointee.progress.exchange(Self.finished, ordering: .acquiringAndReleasing) == Self.callerReturned {
            throw Self.childFinished
        }
    }

    /// Called by the caller once the operation's task has started: whether the operation is still
    /// running (it has suspended), so that a timer is needed.
    @inlinable
    func callerReturned() -> Bool {
        state.pointee.progress.exchange(Self.callerReturned, ordering: .acquiringAndReleasing) == Self.running
    }

    /// The outcome, once the tasks have finished; destroys the state. Call exactly once.
    @inlinable
    func takeResult() -> Result<Value, any Error>? {
        let state = self.state
        let result = state.pointee.result
        state.deinitialize(count: 1)
        return result
    }
}

/// What a child of a ``Timeout``'s task group throws when it finishes first, so that the group
/// cancels the other; never seen outside.
@usableFromInline
struct TimeoutChildFinished: Error {
    /// Boxed once, so that throwing it allocates nothing.
    @usableFromInline
    static let instance: any Error = TimeoutChildFinished()
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
