/// How a queued call's wait for a concurrency permit ended.
@usableFromInline
enum PermitResolution: Hashable, Sendable {
    /// A permit was handed to the call: it now holds it, and must give it back.
    case granted
    /// The call waited as long as it may; it holds no permit.
    case timedOut
    /// The caller was cancelled while waiting; it holds no permit.
    case cancelled
}

/// A concurrency limiter's logic as a value: permits in use, the queue of waiting calls in arrival
/// order, and counts. Its mutating methods return what the caller must do (resume this waiter), so
/// the limiter does all its bookkeeping under its lock and resumes continuations after it.
///
/// Generic over what a waiter is (a continuation in the limiter; anything in a test), so it can be
/// tested synchronously.
///
/// **Queue.** A call that must wait takes its place in the queue in ``acquire()`` (under the same lock
/// that found every permit taken, so the order is the order of arrival), *before* it has a
/// continuation to park: its slot is pending until ``install(_:for:)``. Whatever happens to a pending
/// slot in between (a permit handed over by ``release()``, the wait expiring, the caller cancelled) is
/// kept as a resolution that ``install(_:for:)`` returns at once, so no ordering of those races loses
/// a permit or a wake-up.
///
/// **No barging.** A released permit goes straight to the first waiter (the count in use does not
/// drop), so a caller arriving at that moment cannot take it ahead of the queue. Hence, whenever the
/// queue is not empty, every permit is in use.
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

    /// A place in the queue: its waiter once parked.
    @usableFromInline
    struct Slot {
        @usableFromInline
        var waiter: Waiter?

        @inlinable
        init(waiter: Waiter?) {
            self.waiter = waiter
        }
    }

    /// The most calls holding a permit at once; at least 1.
    @usableFromInline
    let maxConcurrentCalls: Int
    /// The most calls waiting; zero or more.
    @usableFromInline
    let maxQueuedCalls: Int
    /// Whether calls may wait at all (a maximum wait of zero refuses them).
    @usableFromInline
    let mayWait: Bool

    /// Permits held now.
    @usableFromInline
    private(set) var inUse = 0
    /// The waiting calls by id; ids grow in arrival order.
    @usableFromInline
    private(set) var waiters: [UInt64: Slot] = [:]
    /// What happened to calls that left the queue before parking, until they park.
    @usableFromInline
    private(set) var resolvedBeforeParking: [UInt64: PermitResolution] = [:]
    /// The id the next waiter gets.
    @usableFromInline
    private(set) var nextID: UInt64 = 0
    /// No waiter has an id below this one.
    @usableFromInline
    private(set) var headID: UInt64 = 0
    /// Calls given a permit so far, at once or after waiting.
    @usableFromInline
    private(set) var admittedCalls: Int64 = 0
    /// Calls refused so far: queue full or wait expired.
    @usableFromInline
    private(set) var rejectedCalls: Int64 = 0

    /// A limiter with every permit free and nobody waiting.
    ///
    /// - Parameter configuration: The limits; out-of-range values act as the nearest valid one.
    @usableFromInline
    init(configuration: ConcurrencyLimiterConfiguration) {
        let configuration = configuration.normalized
        maxConcurrentCalls = configuration.maxConcurrentCalls
        maxQueuedCalls = configuration.maxQueuedCalls
        mayWait = configuration.maxWait != .zero
    }

    /// Takes a permit if one is free (and nobody is waiting for it), else a place in the queue if
    /// there is room, else refuses the call.
    @inlinable
    mutating func acquire() -> Acquisition {
        if inUse < maxConcurrentCalls, waiters.isEmpty {
            inUse &+= 1
            admittedCalls &+= 1  // cannot wrap: 2^63 calls
            return .granted
        }
        return enqueue()
    }

    /// ``acquire()`` when no permit is free.
    @usableFromInline
    mutating func enqueue() -> Acquisition {
        guard waiters.count < maxQueuedCalls else {
            rejectedCalls &+= 1
            return .rejected(.queueFull)
        }
        guard mayWait else {
            rejectedCalls &+= 1
            return .rejected(.queueTimeout)
        }
        let id = nextID
        nextID &+= 1
        waiters[id] = Slot(waiter: nil)
        return .enqueued(id)
    }

    /// Parks `waiter` in the place queued as `id`.
    ///
    /// - Returns: `nil` when the waiter now waits (a later ``release()``, ``removeWaiter(_:resolution:)``
    ///   returns it); otherwise how its wait already ended, for the caller to act on at once.
    @usableFromInline
    mutating func install(_ waiter: Waiter, for id: UInt64) -> PermitResolution? {
        if let resolution = resolvedBeforeParking.removeValue(forKey: id) { return resolution }
        guard waiters[id] != nil else { return .cancelled }  // unreachable: every queued id parks once
        waiters[id] = Slot(waiter: waiter)
        return nil
    }

    /// Gives a permit back: hands it to the first waiter if there is one.
    ///
    /// - Returns: The waiter to resume with ``PermitResolution/granted``, if it was parked.
    @inlinable
    mutating func release() -> Waiter? {
        guard waiters.isEmpty else { return handOff() }
        if inUse > 0 { inUse &-= 1 }
        return nil
    }

    /// ``release()`` with calls waiting: the permit passes to the first of them.
    @usableFromInline
    mutating func handOff() -> Waiter? {
        while headID < nextID {
            let id = headID
            headID &+= 1
            guard let slot = waiters.removeValue(forKey: id) else { continue }  // left the queue earlier
            admittedCalls &+= 1
            guard let waiter = slot.waiter else {
                resolvedBeforeParking[id] = .granted
                return nil
            }
            return waiter
        }
        if inUse > 0 { inUse -= 1 }  // unreachable: a non-empty queue has an id in headID..<nextID
        return nil
    }

    /// Takes the call queued as `id` out of the queue, because its wait ran out or it was cancelled.
    ///
    /// - Parameters:
    ///   - id: The call's place.
    ///   - resolution: Why: ``PermitResolution/timedOut`` (counted as a rejection) or
    ///     ``PermitResolution/cancelled``.
    /// - Returns: The waiter to resume with `resolution`, if it was parked; `nil` when it is still to
    ///   park (it will learn the resolution then) or has left the queue already (granted a permit,
    ///   timed out or cancelled first: the first of these wins).
    @usableFromInline
    mutating func removeWaiter(_ id: UInt64, resolution: PermitResolution) -> Waiter? {
        guard let slot = waiters.removeValue(forKey: id) else { return nil }
        if resolution == .timedOut { rejectedCalls &+= 1 }
        guard let waiter = slot.waiter else {
            resolvedBeforeParking[id] = resolution
            return nil
        }
        return waiter
    }

    /// Whether the state is that of a new limiter (counts aside): no permit in use, nobody waiting.
    @usableFromInline
    var isIdle: Bool {
        inUse == 0 && waiters.isEmpty && resolvedBeforeParking.isEmpty
    }

    /// The permits and counts now.
    @usableFromInline
    var snapshot: ConcurrencyLimiterSnapshot {
        ConcurrencyLimiterSnapshot(
            maxConcurrentCalls: maxConcurrentCalls,
            permitsInUse: inUse,
            waitingCalls: waiters.count,
            admittedCalls: admittedCalls,
            rejectedCalls: rejectedCalls
        )
    }
}

extension ConcurrencyLimiterState: Sendable where Waiter: Sendable {}
extension ConcurrencyLimiterState.Slot: Sendable where Waiter: Sendable {}
