/// A concurrency limit per partition: calls in flight per tenant, per host. Each key has a
/// ``ConcurrencyLimiter``'s permits and queue of its own, configured by a function of the key, and a
/// bounded table holds them.
///
/// ```swift
/// let perHost = PartitionedConcurrencyLimiter(name: "hosts", maxPartitions: 500, keyedBy: { Request.host }) { _ in
///     .concurrentCalls(8, queued: 16, maxWait: .seconds(1))
/// }
/// let page = try await perHost.execute(key: url.host ?? "") { try await client.get(url) }
/// ```
///
/// The key of a call works as for ``PartitionedRateLimiter``: ``execute(key:_:)`` names it, and
/// ``execute(_:)`` (what a pipeline calls) asks the key source given at creation, once per call, in
/// the calling task, so a task-local value bound around the call reaches it. A key's partition is
/// made on its first call and behaves exactly as a ``ConcurrencyLimiter`` (first-come queue, direct
/// hand-off, maximum wait, no permit ever lost). When the table holds `maxPartitions`, the idle
/// partitions (no permit in use, nobody waiting: a new partition's state) are dropped to make room for
/// a new key, which loses nothing; when none is idle, a call for a new key is refused with
/// ``LimitExceededError/Reason/partitionsExhausted``.
///
/// A call for a key with a partition takes the lock twice and looks its key up each time, with no
/// allocation when it does not wait.
public final class PartitionedConcurrencyLimiter<Key: Hashable & Sendable, ClockType: Clock>: Sendable
where ClockType.Duration == Duration {
    /// Gives the partition of a call made through ``execute(_:)``, in the calling task.
    public typealias KeySource = @Sendable () -> Key
    /// Gives the configuration of a new partition.
    public typealias ConfigurationProvider = @Sendable (_ key: Key) -> ConcurrencyLimiterConfiguration

    /// The limiter's name, reported in its events and errors (for example `"hosts"`).
    public let name: String
    /// The clock the maximum waits are measured on.
    public let clock: ClockType
    /// Receives a ``ResilienceEvent/Kind/limitExceeded`` event for every refused call; `nil` for none.
    public let observer: (any ResilienceObserver)?
    /// Gives the partition of a call made through ``execute(_:)``.
    public let keySource: KeySource
    /// Gives the configuration of a new partition.
    public let configuration: ConfigurationProvider

    /// The partitions, shared with the views of this limiter that pipelines make.
    @usableFromInline
    let storage: PartitionedConcurrencyStorage<Key>

    /// Creates a limiter with no partitions.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - maxPartitions: The most partitions held at once; values below 1 act as 1.
    ///   - clock: The clock the maximum waits are measured on.
    ///   - observer: Receives an event for every refused call.
    ///   - keySource: Gives the partition of a call made through ``execute(_:)`` (as a pipeline does),
    ///     typically from a task-local value; called once per call, in the calling task.
    ///   - configuration: Gives the configuration of a key's partition, when its first call makes it.
    public init(
        name: String = "partitioned-concurrency-limiter",
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
        self.storage = PartitionedConcurrencyStorage(maxPartitions: maxPartitions)
    }

    /// A view of `limiter` sharing its partitions, reporting to `observer`.
    private init(sharing limiter: PartitionedConcurrencyLimiter, observer: (any ResilienceObserver)?) {
        name = limiter.name
        clock = limiter.clock
        self.observer = observer
        keySource = limiter.keySource
        configuration = limiter.configuration
        storage = limiter.storage
    }

    /// The most partitions held at once.
    public var maxPartitions: Int {
        storage.table.withLock { $0.maxPartitions }
    }

    /// Runs `operation` once a permit of the partition of `key` is free, and gives the permit back
    /// when it ends.
    ///
    /// - Parameters:
    ///   - key: The partition; the key source is not asked.
    ///   - operation: The work to run, in the caller's isolation.
    /// - Returns: The operation's value.
    /// - Throws: ``LimitExceededError`` (reason ``LimitExceededError/Reason/queueFull``,
    ///   ``LimitExceededError/Reason/queueTimeout`` or ``LimitExceededError/Reason/partitionsExhausted``)
    ///   when the call is refused; `CancellationError` when the calling task is cancelled before or
    ///   while waiting; otherwise the operation's error, unchanged.
    @inlinable @inline(__always)
    nonisolated(nonsending) public func execute<Result>(
        key: Key,
        _ operation: nonisolated(nonsending) () async throws -> Result
    ) async throws -> Result {
        try Task.checkCancellation()
        let acquisition = storage.table.withLock { $0.update(key) { $0.state.acquire() } }
        if acquisition?.isGranted != true { try await acquireSlowly(acquisition, key: key) }
        let value: Result
        do {
            value = try await operation()
        } catch {
            release(key)
            throw error
        }
        release(key)
        return value
    }

    /// Gives a permit of `key`'s partition back, handing it to its first waiter if there is one.
    @inlinable
    func release(_ key: Key) {
        storage.table.withLock { $0.update(key) { $0.state.release() } ?? nil }?.resume(returning: .granted)
    }

    /// What ``execute(key:_:)`` does for a key without a partition or without a free permit: makes the
    /// partition, waits in its queue, or reports and throws.
    @usableFromInline
    nonisolated(nonsending) func acquireSlowly(
        _ acquisition: ConcurrencyLimiterState<PermitContinuation>.Acquisition?,
        key: Key
    ) async throws {
        var decided = acquisition
        if decided == nil {
            // Made outside the lock, since the configuration function is the caller's code.
            let partition = ConcurrencyPartition(configuration: configuration(key))
            decided = storage.table.withLock { table -> ConcurrencyLimiterState<PermitContinuation>.Acquisition? in
                guard table.insert(partition, for: key, at: 0) else { return nil }
                return table.update(key) { $0.state.acquire() }
            }
        }
        switch decided {
        case nil:
            throw reject(.partitionsExhausted)
        case .granted:
            return
        case .rejected(let reason):
            throw reject(reason)
        case .enqueued(let id):
            let maxWait = storage.table.withLock { $0.update(key) { $0.maxWait } ?? nil }
            switch await storage.waitForPermit(PartitionTicket(key: key, id: id), maxWait: maxWait, clock: clock) {
            case .granted:
                guard !Task.isCancelled else {
                    release(key)
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

    /// The partitions now.
    ///
    /// - Returns: A snapshot: partitions held, dropped so far, calls refused for want of one.
    public func snapshot() -> PartitionedLimiterSnapshot {
        storage.table.withLock { $0.snapshot }
    }

    /// The permits and counts of the partition of `key` now.
    ///
    /// - Parameter key: The partition.
    /// - Returns: Its snapshot (counts since the partition was made), or `nil` when the key has no
    ///   partition (never had one, or it was dropped while idle).
    public func snapshot(for key: Key) -> ConcurrencyLimiterSnapshot? {
        storage.table.withLock { $0.update(key) { $0.state.snapshot } }
    }
}

extension PartitionedConcurrencyLimiter where ClockType == ContinuousClock {
    /// Creates a limiter on the continuous clock, with no partitions.
    ///
    /// - Parameters:
    ///   - name: The name reported in events and errors.
    ///   - maxPartitions: The most partitions held at once; values below 1 act as 1.
    ///   - observer: Receives an event for every refused call.
    ///   - keySource: Gives the partition of a call made through ``execute(_:)``.
    ///   - configuration: Gives the configuration of a key's partition.
    public convenience init(
        name: String = "partitioned-concurrency-limiter",
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

extension PartitionedConcurrencyLimiter: ResilienceStrategy {
    /// Runs `operation` once a permit of the partition the key source gives is free.
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

    /// The limiter's name and bound, such as `partitioned-concurrency-limiter(hosts: up to 500 partitions)`.
    public var description: String {
        "partitioned-concurrency-limiter(\(name): up to \(maxPartitions) partitions)"
    }

    /// A view of this limiter for a pipeline: it shares this limiter's partitions, and reports its
    /// events to this limiter's observer and the pipeline's, stamped with the pipeline's name.
    ///
    /// - Parameter context: The pipeline's name and observer.
    /// - Returns: The view.
    public func joining(_ context: PipelineContext) -> PartitionedConcurrencyLimiter {
        PartitionedConcurrencyLimiter(sharing: self, observer: context.observer(combinedWith: observer))
    }
}

/// One partition of a ``PartitionedConcurrencyLimiter``: a concurrency limiter's state, and its
/// maximum wait.
@usableFromInline
struct ConcurrencyPartition: LimiterPartition, Sendable {
    @usableFromInline
    var state: ConcurrencyLimiterState<PermitContinuation>
    /// How long a call may wait, normalised.
    let maxWait: Duration?

    init(configuration: ConcurrencyLimiterConfiguration) {
        state = ConcurrencyLimiterState(configuration: configuration)
        maxWait = configuration.normalized.maxWait
    }

    @usableFromInline
    func isIdle(at now: Int64) -> Bool {
        state.isIdle
    }
}

/// A call queued in a partition: the partition's key and the call's id in its queue.
struct PartitionTicket<Key: Hashable & Sendable>: Sendable {
    let key: Key
    let id: UInt64
}

/// The lock and partitions of a partitioned concurrency limiter, shared by the limiter and its
/// pipeline views.
@usableFromInline
final class PartitionedConcurrencyStorage<Key: Hashable & Sendable>: PermitQueue {
    @usableFromInline
    let table: AnnotatedMutex<PartitionTable<Key, ConcurrencyPartition>>

    init(maxPartitions: Int) {
        table = AnnotatedMutex(PartitionTable(maxPartitions: maxPartitions))
    }

    func park(_ continuation: PermitContinuation, for ticket: PartitionTicket<Key>) -> PermitResolution? {
        // A partition with a queued call is not idle, so it is still there.
        table.withLock { $0.update(ticket.key) { $0.state.install(continuation, for: ticket.id) } ?? .cancelled }
    }

    func remove(_ ticket: PartitionTicket<Key>, resolution: PermitResolution) -> PermitContinuation? {
        table.withLock { $0.update(ticket.key) { $0.state.removeWaiter(ticket.id, resolution: resolution) } ?? nil }
    }
}
