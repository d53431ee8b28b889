/// A rate limit per partition: per tenant, per API key, per host. Each key has a ``RateLimiter``'s
/// bucket or window of its own, configured by a function of the key, and a bounded table holds them.
///
/// ```swift
/// enum RequestContext {
///     @TaskLocal static var tenant = "anonymous"
/// }
///
/// let perTenant = PartitionedRateLimiter(name: "tenants", maxPartitions: 10_000, keyedBy: { RequestContext.tenant }) { tenant in
///     tenant == "anonymous" ? anonymousLimit : tenantLimit       // RateLimiterConfiguration values made once
/// }
///
/// // Directly, naming the partition:
/// let reply = try await perTenant.execute(key: request.tenant) { try await model.complete(request.prompt) }
///
/// // In a pipeline built once: the key source reads each call's task-local tenant.
/// let pipeline = ResiliencePipeline(name: "completions") {
///     Retry(.default)
///     perTenant
/// }
/// let answer = try await RequestContext.$tenant.withValue(request.tenant) {
///     try await pipeline.execute { try await model.complete(request.prompt) }
/// }
/// ```
///
/// **The key of a call.** ``execute(key:_:)`` names it. ``execute(_:)`` (what a pipeline calls) asks
/// the key source given at creation, once per call, synchronously, in the calling task, at the
/// limiter's place in the pipeline. So the key source reads what the caller put in the task's
/// context: a task-local value bound around the call (as above) is the intended way, since task-local
/// values reach every strategy of a pipeline, including those that run the operation in child tasks
/// (``Timeout``). The key source must be quick and must not block; it is `@Sendable` because the
/// limiter is shared, so it cannot read an actor's state. A key type with a catch-all value
/// (`"anonymous"` above, or an optional key) gives calls without a tenant a partition of their own.
///
/// **Partitions.** A key's partition is made on its first call, with the configuration `configuration`
/// returns for it (called outside the limiter's lock; out-of-range values act as the nearest valid
/// one), and behaves exactly as a ``RateLimiter`` (reservations, `maxWait`, `retryAfter`). The table
/// holds at most `maxPartitions`. When it is full, the partitions that are **idle** (a full bucket or
/// an empty window, and no reservation: exactly a new partition's state) are dropped to make room,
/// which loses nothing: the key's next call makes a partition that decides as the old one would
/// have. When none is idle, a call for a new key is refused with
/// ``LimitExceededError/Reason/partitionsExhausted`` (calls for keys that have a partition go on as
/// usual). Size the table for the keys active within one refill of a bucket or one window.
///
/// A call for a key with a partition takes the lock once and looks its key up, with no allocation;
/// finding the idle partitions scans the table, only when it is full and a new key arrives.
public final class PartitionedRateLimiter<Key: Hashable & Sendable, ClockType: Clock>: Sendable
where ClockType.Duration == Duration {
    /// Gives the partition of a call made through ``execute(_:)``, in the calling task.
    public typealias KeySource = @Sendable () -> Key
    /// Gives the configuration of a new partition.
    public typealias ConfigurationProvider = @Sendable (_ key: Key) -> RateLimiterConfiguration

    /// The limiter's name, reported in its events and errors (for example `"tenants"`).
    public let name: String
    /// The clock that permits come back on and waiting calls sleep on.
    public let clock: ClockType
    /// Receives a ``ResilienceEvent/Kind/limitExceeded`` event for every refused call; `nil` for none.
    public let observer: (any ResilienceObserver)?
    /// Gives the partition of a call made through ``execute(_:)``.
    public let keySource: KeySource
    /// Gives the configuration of a new partition.
    public let configuration: ConfigurationProvider

    /// The partitions, shared with the views of this limiter that pipelines make.
    @usableFromInline
    let storage: AnnotatedMutexBox<PartitionTable<Key, RateLimiterState>>
    /// When the limiter was created: every partition's boundaries are counted from it.
    @usableFromInline
    let origin: ClockType.Instant

    /// Creates a limiter with no partitions.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - maxPartitions: The most partitions held at once; values below 1 act as 1.
    ///   - clock: The clock that permits come back on and waiting calls sleep on.
    ///   - observer: Receives an event for every refused call.
    ///   - keySource: Gives the partition of a call made through ``execute(_:)`` (as a pipeline does),
    ///     typically from a task-local value; called once per call, in the calling task.
    ///   - configuration: Gives the configuration of a key's partition, when its first call makes it.
    public init(
        name: String = "partitioned-rate-limiter",
        maxPartitions: Int = 1_000,
        clock: ClockType,
        observer: (any ResilienceObserver)? = nil,
        keyedBy keySource: @escaping KeySource,
        configuration: @escaping ConfigurationProvider
    ) {
        self.name = name
        self.clock = clock
        self.observer = observer
        self.keySource = keySource
        self.configuration = configuration
        self.storage = AnnotatedMutexBox(PartitionTable(maxPartitions: maxPartitions))
        self.origin = clock.now
    }

    /// A view of `limiter` sharing its partitions, reporting to `observer`.
    private init(sharing limiter: PartitionedRateLimiter, observer: (any ResilienceObserver)?) {
        name = limiter.name
        clock = limiter.clock
        self.observer = observer
        keySource = limiter.keySource
        configuration = limiter.configuration
        storage = limiter.storage
        origin = limiter.origin
    }

    /// The most partitions held at once.
    public var maxPartitions: Int {
        storage.value.withLock { $0.maxPartitions }
    }

    /// Runs `operation` once it has a permit of the partition of `key`.
    ///
    /// - Parameters:
    ///   - key: The partition; the key source is not asked.
    ///   - operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``LimitExceededError`` (reason ``LimitExceededError/Reason/rateExceeded`` with
    ///   ``LimitExceededError/retryAfter``, or ``LimitExceededError/Reason/partitionsExhausted``) when
    ///   the call is refused; `CancellationError` when the calling task is cancelled before or while
    ///   waiting; otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        key: Key,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        let now = elapsed()
        let decision = storage.value.withLock { $0.update(key) { $0.acquire(at: now) } }
        if decision?.isGranted != true { try await acquireSlowly(decision, key: key, at: now) }
        return try await operation()
    }

    /// Nanoseconds since ``origin`` on the limiter's clock.
    @inlinable
    func elapsed() -> Int64 {
        origin.duration(to: clock.now).saturatedNanoseconds
    }

    /// What ``execute(key:_:)`` does for a key without a partition or without a free permit: makes the
    /// partition, waits for a reserved permit, or reports and throws.
    @usableFromInline
    nonisolated(nonsending) func acquireSlowly(_ decision: RateDecision?, key: Key, at now: Int64) async throws {
        var decided = decision
        if decided == nil {
            // The key's first call (or its first since its partition was dropped): make the partition
            // outside the lock, since the configuration function is the caller's code.
            let partition = RateLimiterState(configuration: configuration(key))
            decided = storage.value.withLock { table -> RateDecision? in
                guard table.insert(partition, for: key, at: now) else { return nil }
                return table.update(key) { $0.acquire(at: now) }
            }
        }
        switch decided {
        case nil:
            throw reject(.partitionsExhausted, retryAfter: nil)
        case .granted:
            return
        case .rejected(let retryAfter):
            throw reject(.rateExceeded, retryAfter: .nanoseconds(retryAfter))
        case .reserved(let reservation):
            do {
                try await clock.sleep(until: origin.advanced(by: .nanoseconds(reservation.time)), tolerance: nil)
            } catch {
                // Cancelled while waiting: the reservation goes back to the partition (which, holding
                // a reservation, cannot have been dropped).
                let now = elapsed()
                storage.value.withLock { _ = $0.update(key) { $0.giveBack(reservation, at: now) } }
                throw error
            }
            // Cancelled as the permit came: the permit is spent, as by a call that started.
            try Task.checkCancellation()
        }
    }

    /// Reports a refusal, and makes its error.
    private func reject(_ reason: LimitExceededError.Reason, retryAfter: Duration?) -> LimitExceededError {
        observer?.observe(.limitExceeded(strategy: name, reason: reason, retryAfter: retryAfter))
        return LimitExceededError(limiterName: name, reason: reason, retryAfter: retryAfter)
    }

    /// The partitions now.
    ///
    /// - Returns: A snapshot: partitions held, dropped so far, calls refused for want of one.
    public func snapshot() -> PartitionedLimiterSnapshot {
        storage.value.withLock { $0.snapshot }
    }

    /// The permits and counts of the partition of `key` now.
    ///
    /// - Parameter key: The partition.
    /// - Returns: Its snapshot (counts since the partition was made), or `nil` when the key has no
    ///   partition (never had one, or it was dropped while idle).
    public func snapshot(for key: Key) -> RateLimiterSnapshot? {
        let now = elapsed()
        return storage.value.withLock { $0.update(key) { $0.snapshot(at: now) } }
    }
}

extension PartitionedRateLimiter where ClockType == ContinuousClock {
    /// Creates a limiter on the continuous clock, with no partitions.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - maxPartitions: The most partitions held at once; values below 1 act as 1.
    ///   - observer: Receives an event for every refused call.
    ///   - keySource: Gives the partition of a call made through ``execute(_:)``.
    ///   - configuration: Gives the configuration of a key's partition.
    public convenience init(
        name: String = "partitioned-rate-limiter",
        maxPartitions: Int = 1_000,
        observer: (any ResilienceObserver)? = nil,
        keyedBy keySource: @escaping KeySource,
        configuration: @escaping ConfigurationProvider
    ) {
        self.init(
            name: name, maxPartitions: maxPartitions, clock: ContinuousClock(), observer: observer, keyedBy: keySource,
            configuration: configuration
        )
    }
}

extension PartitionedRateLimiter: ResilienceStrategy {
    /// Runs `operation` once it has a permit of the partition the key source gives.
    ///
    /// - Parameter operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: As ``execute(key:_:)``.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try await execute(key: keySource(), operation)
    }

    /// The limiter's name and bound, such as `partitioned-rate-limiter(tenants: up to 10000 partitions)`.
    public var description: String {
        "partitioned-rate-limiter(\(name): up to \(maxPartitions) partitions)"
    }

    /// A view of this limiter for a pipeline: it shares this limiter's partitions, and reports its
    /// events to this limiter's observer and the pipeline's, stamped with the pipeline's name.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> PartitionedRateLimiter {
        PartitionedRateLimiter(sharing: self, observer: context.observer(combinedWith: observer))
    }
}
