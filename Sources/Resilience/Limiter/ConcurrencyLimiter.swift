import Synchronization

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
/// Create one limiter per resource and share it with every caller: it is a `Sendable` class. A call
/// that does not wait changes one atomic word on its way in and once on its way out, with no lock, no
/// allocation and no actor hop. Calls that wait go through the queue, a value-type state machine
/// behind a lock; only they allocate (a continuation, and the child task that watches the maximum
/// wait on the injected clock, cancelled and awaited as soon as the wait ends).
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
        if !storage.tryAcquire() { try await acquireSlowly() }
        let value: Result
        do {
            value = try await operation()
        } catch {
            storage.release()
            throw error
        }
        storage.release()
        return value
    }

    /// What ``execute(_:)`` does when no permit was free at first sight: takes one that came free,
    /// waits in the queue, or reports and throws.
    @usableFromInline
    nonisolated(nonsending) func acquireSlowly() async throws {
        switch storage.acquireSlowly() {
        case .granted:
            return
        case .rejected(let reason):
            throw reject(reason)
        case .enqueued(let id):
            switch await storage.waitForPermit(id, maxWait: storage.maxWait, clock: clock) {
            case .granted:
                // Handed a permit as it was cancelled: pass it on rather than start the operation.
                guard !Task.isCancelled else {
                    storage.release()
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
    /// - Returns: A snapshot: permits in use, calls waiting, calls refused so far.
    public func snapshot() -> ConcurrencyLimiterSnapshot {
        storage.snapshot()
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

/// The permits and queue of a concurrency limiter, shared by the limiter and its pipeline views.
///
/// The logic is ``ConcurrencyLimiterState``'s, with the count of permits in use kept in an atomic
/// word rather than behind the lock, so that a call that finds a permit free, and gives it back with
/// nobody waiting, changes that word once each way and takes no lock. Bit 32 of the word says that
/// calls are waiting; while it is set, the fast paths fail (an acquisition compares the whole word
/// with the limit, a release expects the bit clear), so every change goes through the lock, where
/// ``queue`` lives:
///
/// - only a lock holder sets or clears the bit, and while it is set only lock holders change the word;
/// - the first waiter sets the bit with a compare-and-exchange that also checks every permit is still
///   in use, so a permit released at that moment is taken instead of waited for;
/// - a release that finds the bit set hands its permit to the first waiter without changing the count
///   (no caller can barge in), and clears the bit when the queue empties; so does a waiter leaving.
@usableFromInline
final class ConcurrencyLimiterStorage: PermitQueue {
    /// The permits in use (the low 32 bits) and whether calls wait (``waitingFlag``).
    @usableFromInline
    let permits = Atomic<UInt64>(0)
    /// The most permits in use at once; at least 1, at most `Int32.max`.
    @usableFromInline
    let maxConcurrentCalls: UInt64
    /// The calls waiting, behind the lock.
    let queue: AnnotatedMutex<ConcurrencyQueue<PermitContinuation>>
    /// How long a call may wait, normalised.
    let maxWait: Duration?

    /// The bit of ``permits`` that says calls are waiting.
    @usableFromInline
    static var waitingFlag: UInt64 { 1 << 32 }

    init(configuration: ConcurrencyLimiterConfiguration) {
        let configuration = configuration.normalized
        maxConcurrentCalls = UInt64(configuration.maxConcurrentCalls)
        queue = AnnotatedMutex(ConcurrencyQueue(maxQueuedCalls: configuration.maxQueuedCalls, maxWait: configuration.maxWait))
        maxWait = configuration.maxWait
    }

    /// Takes a permit if one is free and nobody waits, without the lock.
    ///
    /// - Returns: Whether the caller holds a permit; if not, ``acquireSlowly()`` decides.
    @inlinable
    func tryAcquire() -> Bool {
        var word = permits.load(ordering: .relaxed)
        // With calls waiting the word is at least 2^32, above any limit.
        while word < maxConcurrentCalls {
            let (exchanged, original) = permits.compareExchange(expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            word = original
        }
        return false
    }

    /// Gives a permit back: without the lock when nobody waits, else to the first waiter.
    @inlinable
    func release() {
        var word = permits.load(ordering: .relaxed)
        while word & Self.waitingFlag == 0 {
            let (exchanged, original) = permits.compareExchange(expected: word, desired: word &- 1, ordering: .acquiringAndReleasing)
            if exchanged { return }
            word = original
        }
        releaseSlowly()
    }

    /// ``release()`` with calls waiting: hands the permit to the first of them.
    @usableFromInline
    func releaseSlowly() {
        let waiter = queue.withLock { queue -> PermitContinuation? in
            let word = permits.load(ordering: .acquiring)
            guard word & Self.waitingFlag != 0 else {
                // The last waiter left meanwhile: an ordinary release, racing the fast paths.
                permits.wrappingSubtract(1, ordering: .acquiringAndReleasing)
                return nil
            }
            // The bit is set: nobody else changes the word until a lock holder clears it.
            switch queue.handOff() {
            case .resume(let waiter):
                if queue.isEmpty { permits.store(word & ~Self.waitingFlag, ordering: .releasing) }
                return waiter
            case .kept:
                if queue.isEmpty { permits.store(word & ~Self.waitingFlag, ordering: .releasing) }
                return nil
            case .none:
                permits.store((word & ~Self.waitingFlag) &- 1, ordering: .releasing)
                return nil
            }
        }
        waiter?.resume(returning: .granted)
    }

    /// ``tryAcquire()`` failed: takes a permit that came free meanwhile (if nobody waits), a place in
    /// the queue, or refuses the call.
    @usableFromInline
    func acquireSlowly() -> ConcurrencyLimiterState<PermitContinuation>.Acquisition {
        queue.withLock { queue in
            var word = permits.load(ordering: .acquiring)
            while true {
                if word & Self.waitingFlag != 0 { return Self.enqueue(&queue) }  // behind those waiting
                if word < maxConcurrentCalls {
                    let (exchanged, original) = permits.compareExchange(
                        expected: word, desired: word &+ 1, ordering: .acquiringAndReleasing)
                    if exchanged { return .granted }
                    word = original
                    continue
                }
                // Every permit in use and nobody waiting: refuse, or wait first, setting the bit only if
                // every permit is still in use.
                guard queue.mayEnqueue else { return Self.enqueue(&queue) }  // counts the refusal
                let (exchanged, original) = permits.compareExchange(
                    expected: word, desired: word | Self.waitingFlag, ordering: .acquiringAndReleasing)
                if exchanged { return Self.enqueue(&queue) }
                word = original
            }
        }
    }

    private static func enqueue(
        _ queue: inout ConcurrencyQueue<PermitContinuation>
    ) -> ConcurrencyLimiterState<PermitContinuation>.Acquisition {
        switch queue.enqueue() {
        case .success(let id): .enqueued(id)
        case .failure(let refusal): .rejected(refusal.reason)
        }
    }

    func park(_ continuation: PermitContinuation, for ticket: UInt64) -> PermitResolution? {
        queue.withLock { $0.install(continuation, for: ticket) }
    }

    func remove(_ ticket: UInt64, resolution: PermitResolution) -> PermitContinuation? {
        queue.withLock { queue in
            let waiter = queue.removeWaiter(ticket, resolution: resolution)
            // The last waiter gone: the fast paths may run again (a set bit means nobody else changes the word).
            let word = permits.load(ordering: .acquiring)
            if queue.isEmpty, word & Self.waitingFlag != 0 { permits.store(word & ~Self.waitingFlag, ordering: .releasing) }
            return waiter
        }
    }

    /// The permits and counts now.
    func snapshot() -> ConcurrencyLimiterSnapshot {
        queue.withLock { queue in
            ConcurrencyLimiterSnapshot(
                maxConcurrentCalls: Int(maxConcurrentCalls),
                permitsInUse: Int(permits.load(ordering: .acquiring) & 0xFFFF_FFFF),
                waitingCalls: queue.count,
                rejectedCalls: queue.rejectedCalls
            )
        }
    }
}
