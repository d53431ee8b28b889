/// Runs at most a number of calls at once (a bulkhead): the others wait in line for a while, or are
/// refused at once, so that a slow downstream cannot tie up every task, connection or byte of memory
/// of its callers.
///
/// resilience4j's `Bulkhead` (`maxConcurrentCalls`, `maxWaitDuration`) and Polly's concurrency
/// limiter (`PermitLimit`, `QueueLimit`), configured by a ``ConcurrencyLimiterConfiguration``:
///
/// ```swift
/// let ocrSlots = ConcurrencyLimiter(name: "ocr", configuration: .concurrentCalls(10, queued: 20, maxWait: .seconds(2)))
/// let text = try await ocrSlots.execute { try await ocr.extract(receiptID) }
/// ```
///
/// - A call runs at once while fewer than ``ConcurrencyLimiterConfiguration/maxConcurrentCalls`` hold a
///   permit. Otherwise it waits, **first come first served**, if fewer than
///   ``ConcurrencyLimiterConfiguration/maxQueuedCalls`` are waiting; a permit given back goes straight
///   to the first waiter, never to a caller arriving at that moment.
/// - A call that cannot wait throws ``LimitExceededError`` with reason
///   ``LimitExceededError/Reason/queueFull`` at once; one that waited
///   ``ConcurrencyLimiterConfiguration/maxWait`` without a permit throws it with
///   ``LimitExceededError/Reason/queueTimeout``. Either way the operation never runs and a
///   ``ResilienceEvent/Kind/limitExceeded`` event reports the reason. The error is
///   ``ErrorCategory/rejected``: no retry preset retries it, and a ``Fallback`` takes it by default.
/// - **A permit is never lost**: whether the operation returns, throws or is cancelled, and whether a
///   waiter is cancelled, times out or is handed a permit (or several of these at once), every permit
///   is given back before `execute` returns. A waiter cancelled in the queue throws
///   `CancellationError`; one cancelled just as it was handed a permit passes the permit on and throws
///   `CancellationError` too, without running the operation.
/// - The operation's own error is rethrown unchanged; the limiter does not judge outcomes.
///
/// Create one limiter per resource and share it with every caller: it is a `Sendable` class whose
/// logic is a value-type state machine behind a lock. A call that does not wait takes the lock twice
/// for a few nanoseconds, with no allocation and no actor hop; only a waiting call allocates (its
/// continuation, and the child task that watches its maximum wait on the injected clock, cancelled and
/// awaited as soon as the wait ends).
///
/// In a ``ResiliencePipeline`` the limiter takes part as a view that shares its permits (see
/// ``joining(_:)``). Outside a ``Retry`` it limits whole calls (a call holds its permit through its
/// retries and their waits); inside it limits attempts. See <doc:Limiters>.
public final class ConcurrencyLimiter<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// The limiter's name, reported in its events and errors (for example `"ocr"`).
    public let name: String
    /// How many calls run at once, and how many may wait for how long.
    public let configuration: ConcurrencyLimiterConfiguration
    /// The clock the maximum wait is measured on.
    public let clock: ClockType
    /// Receives a ``ResilienceEvent/Kind/limitExceeded`` event for every refused call; `nil` for none.
    public let observer: (any ResilienceObserver)?

    /// The permits and the queue, shared with the views of this limiter that pipelines make.
    @usableFromInline
    let storage: ConcurrencyLimiterStorage

    /// Creates a limiter with every permit free.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: How many calls run at once, and how many may wait for how long. Out-of-range
    ///     values (of a configuration whose fields were set without ``ConcurrencyLimiterConfiguration/validate()``)
    ///     act as the nearest valid one.
    ///   - clock: The clock the maximum wait is measured on.
    ///   - observer: Receives an event for every refused call.
    public init(
        name: String = "concurrency-limiter",
        configuration: ConcurrencyLimiterConfiguration,
        clock: ClockType,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        self.observer = observer
        self.storage = ConcurrencyLimiterStorage(configuration: configuration)
    }

    /// A view of `limiter` sharing its permits, reporting to `observer`.
    private init(sharing limiter: ConcurrencyLimiter, observer: (any ResilienceObserver)?) {
        name = limiter.name
        configuration = limiter.configuration
        clock = limiter.clock
        self.observer = observer
        storage = limiter.storage
    }

    /// Runs `operation` once a permit is free, and gives the permit back when it ends.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``LimitExceededError`` (reason ``LimitExceededError/Reason/queueFull`` or
    ///   ``LimitExceededError/Reason/queueTimeout``) when the call is refused; `CancellationError` when
    ///   the calling task is cancelled before or while waiting (the operation does not run then either);
    ///   otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // A caller cancelled before the call gets CancellationError; the operation never runs.
        try Task.checkCancellation()
        let acquisition = storage.state.withLock { $0.acquire() }
        if !acquisition.isGranted { try await acquireSlowly(acquisition) }
        let value: Result
        do {
            value = try await operation()
        } catch {
            release()
            throw error
        }
        release()
        return value
    }

    /// Gives a permit back, handing it to the first waiter if there is one.
    @inlinable
    func release() {
        storage.state.withLock { $0.release() }?.resume(returning: .granted)
    }

    /// What ``execute(_:)`` does when no permit was free: waits in the queue, or reports and throws.
    @usableFromInline
    nonisolated(nonsending) func acquireSlowly(_ acquisition: ConcurrencyLimiterState<PermitContinuation>.Acquisition) async throws {
        switch acquisition {
        case .granted:
            return
        case .rejected(let reason):
            throw reject(reason)
        case .enqueued(let id):
            switch await storage.waitForPermit(id, maxWait: storage.maxWait, clock: clock) {
            case .granted:
                // Handed a permit as it was cancelled: pass it on rather than start the operation.
                guard !Task.isCancelled else {
                    release()
                    throw CancellationError()
                }
            case .timedOut:
                throw reject(.queueTimeout)
            case .cancelled:
                throw CancellationError()
            }
        }
    }

    /// Reports a refusal, and makes its error.
    private func reject(_ reason: LimitExceededError.Reason) -> LimitExceededError {
        observer?.observe(.limitExceeded(strategy: name, reason: reason, retryAfter: nil))
        return LimitExceededError(limiterName: name, reason: reason)
    }

    /// The permits and counts now.
    ///
    /// - Returns: A snapshot: permits in use, calls waiting, calls admitted and refused so far.
    public func snapshot() -> ConcurrencyLimiterSnapshot {
        storage.state.withLock { $0.snapshot }
    }
}

extension ConcurrencyLimiter where ClockType == ContinuousClock {
    /// Creates a limiter on the continuous clock, with every permit free.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: How many calls run at once, and how many may wait for how long.
    ///   - observer: Receives an event for every refused call.
    public convenience init(
        name: String = "concurrency-limiter",
        configuration: ConcurrencyLimiterConfiguration,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(name: name, configuration: configuration, clock: ContinuousClock(), observer: observer)
    }
}

extension ConcurrencyLimiter: ResilienceStrategy {
    /// The limiter's name and limits, such as `concurrency-limiter(ocr: 10 at once, 20 queued for up to 2.0 s)`.
    public var description: String {
        "concurrency-limiter(\(name): \(configuration.normalized))"
    }

    /// A view of this limiter for a pipeline: it shares this limiter's permits and queue (so every
    /// caller, in the pipeline or not, counts against one limit), and reports its events to this
    /// limiter's observer and the pipeline's, stamped with the pipeline's name. This limiter is
    /// unchanged.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> ConcurrencyLimiter {
        ConcurrencyLimiter(sharing: self, observer: context.observer(combinedWith: observer))
    }
}

/// The lock and state of a concurrency limiter, shared by the limiter and its pipeline views.
@usableFromInline
final class ConcurrencyLimiterStorage: PermitQueue {
    /// Permits in use and the queue, behind the lock.
    @usableFromInline
    let state: AnnotatedMutex<ConcurrencyLimiterState<PermitContinuation>>
    /// How long a call may wait, normalised.
    let maxWait: Duration?

    init(configuration: ConcurrencyLimiterConfiguration) {
        state = AnnotatedMutex(ConcurrencyLimiterState(configuration: configuration))
        maxWait = configuration.normalized.maxWait
    }

    func park(_ continuation: PermitContinuation, for ticket: UInt64) -> PermitResolution? {
        state.withLock { $0.install(continuation, for: ticket) }
    }

    func remove(_ ticket: UInt64, resolution: PermitResolution) -> PermitContinuation? {
        state.withLock { $0.removeWaiter(ticket, resolution: resolution) }
    }
}
