/// Admits at most a number of calls over time, shared by every caller: a token bucket or a sliding
/// window (see ``RateLimiterConfiguration``), so that a service is not called faster than its quota
/// allows (an LLM provider's requests per minute, an API's rate limit).
///
/// ```swift
/// let openAI = RateLimiter(
///     name: "openai",
///     configuration: try .tokenBucket(capacity: 10, tokensPerPeriod: 5, period: .seconds(1), maxWait: .seconds(2))
/// )
/// let reply = try await openAI.execute { try await client.complete(prompt) }
/// ```
///
/// - A call takes a permit if one is free, and runs at once.
/// - Otherwise it **reserves** the earliest permit that will be free, if that is within
///   ``RateLimiterConfiguration/maxWait``, and sleeps on the injected clock until then (resilience4j's
///   reservation semantics: callers are served in the order they asked, and each knows its wait at
///   once). A caller cancelled while it sleeps gives its reservation back for the next caller that
///   asks, and throws `CancellationError`; one cancelled just as its permit comes throws it too, the
///   permit spent as by a call that started.
/// - A call whose permit is further away is refused at once with a ``LimitExceededError`` of reason
///   ``LimitExceededError/Reason/rateExceeded`` whose ``LimitExceededError/retryAfter`` is the time until
///   that permit (the wait it would have had), and a ``ResilienceEvent/Kind/limitExceeded`` event. The
///   error is ``ErrorCategory/rejected``: no retry preset retries it, a ``Fallback`` takes it by
///   default, and a retry policy that does list `.rejected` waits at least `retryAfter`, as it would
///   for a server's `Retry-After`.
/// - Permits are counted when calls start; a call's outcome and duration do not matter (use a
///   ``ConcurrencyLimiter`` to bound calls in flight). The operation's error is rethrown unchanged.
///
/// Permits come back lazily: the limiter computes the bucket's refill or the window's movement from
/// the clock when it is next used, and runs no timer. Period and segment boundaries are counted from
/// the limiter's creation. A call that does not wait reads the clock once and takes the lock once,
/// with no allocation and no actor hop.
///
/// In a ``ResiliencePipeline`` the limiter takes part as a view that shares its permits (see
/// ``joining(_:)``); put it inside a ``Retry`` so that every attempt counts against the quota. See
/// <doc:Limiters>.
public final class RateLimiter<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// The limiter's name, reported in its events and errors (for example `"openai"`).
    public let name: String
    /// The algorithm, its limits, and how long a call may wait for a permit.
    public let configuration: RateLimiterConfiguration
    /// The clock that permits come back on and waiting calls sleep on.
    public let clock: ClockType
    /// Receives a ``ResilienceEvent/Kind/limitExceeded`` event for every refused call; `nil` for none.
    public let observer: (any ResilienceObserver)?

    /// The permits, shared with the views of this limiter that pipelines make.
    @usableFromInline
    let storage: AnnotatedMutexBox<RateLimiterState>
    /// When the limiter was created: period and segment boundaries are counted from it.
    @usableFromInline
    let origin: ClockType.Instant

    /// Creates a limiter with every permit free: a full bucket, or an empty window.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: The algorithm, its limits and the longest wait. Out-of-range values (of a
    ///     configuration whose fields were set without ``RateLimiterConfiguration/validate()``) act as
    ///     the nearest valid one.
    ///   - clock: The clock that permits come back on and waiting calls sleep on.
    ///   - observer: Receives an event for every refused call.
    public init(
        name: String = "rate-limiter",
        configuration: RateLimiterConfiguration,
        clock: ClockType,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.name = name
        self.configuration = configuration
        self.clock = clock
        self.observer = observer
        self.storage = AnnotatedMutexBox(RateLimiterState(configuration: configuration))
        self.origin = clock.now
    }

    /// A view of `limiter` sharing its permits, reporting to `observer`.
    private init(sharing limiter: RateLimiter, observer: (any ResilienceObserver)?) {
        name = limiter.name
        configuration = limiter.configuration
        clock = limiter.clock
        self.observer = observer
        storage = limiter.storage
        origin = limiter.origin
    }

    /// Runs `operation` once it has a permit: at once if one is free, after waiting for a reserved one
    /// if it comes within the maximum wait.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``LimitExceededError`` (reason ``LimitExceededError/Reason/rateExceeded``, with
    ///   ``LimitExceededError/retryAfter``) when no permit comes in time; `CancellationError` when the
    ///   calling task is cancelled before or while waiting (the operation does not run then either);
    ///   otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        // A caller cancelled before the call gets CancellationError; the operation never runs.
        try Task.checkCancellation()
        let now = elapsed()
        let decision = storage.value.withLock { $0.acquire(at: now) }
        if !decision.isGranted { try await acquireSlowly(decision) }
        return try await operation()
    }

    /// Nanoseconds since ``origin`` on the limiter's clock.
    @inlinable
    func elapsed() -> Int64 {
        origin.duration(to: clock.now).saturatedNanoseconds
    }

    /// What ``execute(_:)`` does without a free permit: waits for a reserved one, or reports and throws.
    @usableFromInline
    nonisolated(nonsending) func acquireSlowly(_ decision: RateDecision) async throws {
        switch decision {
        case .granted:
            return
        case .rejected(let retryAfter):
            let retryAfter = Duration.nanoseconds(retryAfter)
            observer?.observe(.limitExceeded(strategy: name, reason: .rateExceeded, retryAfter: retryAfter))
            throw LimitExceededError(limiterName: name, reason: .rateExceeded, retryAfter: retryAfter)
        case .reserved(let reservation):
            do {
                try await clock.sleep(until: origin.advanced(by: .nanoseconds(reservation.time)), tolerance: nil)
            } catch {
                // Cancelled while waiting: the reservation goes back for the next caller.
                let now = elapsed()
                storage.value.withLock { $0.giveBack(reservation, at: now) }
                throw error
            }
            // Cancelled as the permit came: the permit is spent, as by a call that started.
            try Task.checkCancellation()
        }
    }

    /// The permits and counts now.
    ///
    /// - Returns: A snapshot: permits free now, calls waiting for a reserved one, calls admitted and
    ///   refused so far.
    public func snapshot() -> RateLimiterSnapshot {
        let now = elapsed()
        return storage.value.withLock { $0.snapshot(at: now) }
    }
}

extension RateLimiter where ClockType == ContinuousClock {
    /// Creates a limiter on the continuous clock, with every permit free.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - configuration: The algorithm, its limits and the longest wait.
    ///   - observer: Receives an event for every refused call.
    public convenience init(
        name: String = "rate-limiter",
        configuration: RateLimiterConfiguration,
        observer: (any ResilienceObserver)? = nil
    ) {
        self.init(name: name, configuration: configuration, clock: ContinuousClock(), observer: observer)
    }
}

extension RateLimiter: ResilienceStrategy {
    /// The limiter's name and limits, such as `rate-limiter(openai: token bucket of 10, 5 per 1.0 s, waiting up to 2.0 s)`.
    public var description: String {
        "rate-limiter(\(name): \(configuration.normalized))"
    }

    /// A view of this limiter for a pipeline: it shares this limiter's permits (so every caller, in
    /// the pipeline or not, counts against one limit), and reports its events to this limiter's
    /// observer and the pipeline's, stamped with the pipeline's name. This limiter is unchanged.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> RateLimiter {
        RateLimiter(sharing: self, observer: context.observer(combinedWith: observer))
    }
}
