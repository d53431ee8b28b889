/// A concurrency limiter's logic as a value: the permits in use and the ``ConcurrencyQueue`` of
/// calls waiting for one. Each partition of a ``PartitionedConcurrencyLimiter`` is one, behind the
/// limiter's lock. (A ``ConcurrencyLimiter`` keeps the same logic with its count of permits in an
/// atomic word instead, so that a call that does not wait needs no lock.)
///
/// **No barging.** A released permit goes straight to the first waiter (the count in use does not
/// drop), so a caller arriving at that moment cannot take it ahead of the queue. Hence, whenever the
/// queue is not empty, every permit is in use.
///
/// Generic over what a waiter is (a continuation in the limiter; anything in a test), so it can be
/// tested synchronously.
@usableFromInline
struct ConcurrencyLimiterState<Waiter> {
    /// What ``acquire()`` decided.
    @usableFromInline
    enum Acquisition: Hashable, Sendable {
        /// The call holds a permit.
        case granted
        /// The call is queued under this id; park it with ``install(_:for:)``.
        case enqueued(UInt64)
        /// The call is refused.
        case rejected(LimitExceededError.Reason)

        /// Whether the call holds a permit.
        @inlinable
        var isGranted: Bool {
            if case .granted = self { return true }
            return false
        }
    }

    /// The most calls holding a permit at once; at least 1.
    @usableFromInline
    let maxConcurrentCalls: Int
    /// Permits held now.
    @usableFromInline
    private(set) var inUse = 0
    /// The calls waiting for a permit.
    @usableFromInline
    private(set) var queue: ConcurrencyQueue<Waiter>

    /// A limiter with every permit free and nobody waiting.
    ///
    /// - Parameter configuration: The limits; out-of-range values act as the nearest valid one.
    @usableFromInline
    init(configuration: ConcurrencyLimiterConfiguration) {
        let configuration = configuration.normalized
        maxConcurrentCalls = configuration.maxConcurrentCalls
        queue = ConcurrencyQueue(maxQueuedCalls: configuration.maxQueuedCalls, maxWait: configuration.maxWait)
    }

    /// Takes a permit if one is free (and nobody is waiting for it), else a place in the queue if
    /// there is room, else refuses the call.
    @inlinable
    mutating func acquire() -> Acquisition {
        if inUse < maxConcurrentCalls, queue.isEmpty {
            inUse &+= 1
            return .granted
        }
        return enqueue()
    }

    /// ``acquire()`` when no permit is free.
    @usableFromInline
    mutating func enqueue() -> Acquisition {
        switch queue.enqueue() {
        case .success(let id): .enqueued(id)
        case .failure(let refusal): .rejected(refusal.reason)
        }
    }

    /// Parks `waiter` in the place queued as `id`; see ``ConcurrencyQueue/install(_:for:)``.
    @usableFromInline
    mutating func install(_ waiter: Waiter, for id: UInt64) -> PermitResolution? {
        queue.install(waiter, for: id)
    }

    /// Gives a permit back: hands it to the first waiter if there is one.
    ///
    /// - Returns: The waiter to resume with ``PermitResolution/granted``, if it was parked.
    @inlinable
    mutating func release() -> Waiter? {
        guard !queue.isEmpty else {
            if inUse > 0 { inUse &-= 1 }
            return nil
        }
        return handOff()
    }

    /// ``release()`` with calls waiting: the permit passes to the first of them.
    @usableFromInline
    mutating func handOff() -> Waiter? {
        switch queue.handOff() {
        case .resume(let waiter):
            return waiter
        case .kept:
            return nil
        case .none:
            if inUse > 0 { inUse -= 1 }
            return nil
        }
    }

    /// Takes the call queued as `id` out of the queue; see ``ConcurrencyQueue/removeWaiter(_:resolution:)``.
    @usableFromInline
    mutating func removeWaiter(_ id: UInt64, resolution: PermitResolution) -> Waiter? {
        queue.removeWaiter(id, resolution: resolution)
    }

    /// Whether the state is that of a new limiter (counts aside): no permit in use, nobody waiting.
    @usableFromInline
    var isIdle: Bool {
        inUse == 0 && queue.isIdle
    }

    /// The permits and counts now.
    @usableFromInline
    var snapshot: ConcurrencyLimiterSnapshot {
        ConcurrencyLimiterSnapshot(
            maxConcurrentCalls: maxConcurrentCalls,
            permitsInUse: inUse,
            waitingCalls: queue.count,
            rejectedCalls: queue.rejectedCalls
        )
    }
}

extension ConcurrencyLimiterState: Sendable where Waiter: Sendable {}
