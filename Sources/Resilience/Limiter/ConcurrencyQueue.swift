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

/// The calls waiting for a concurrency permit, in arrival order, as a value: the queue of a
/// ``ConcurrencyLimiter`` and of each partition of a ``PartitionedConcurrencyLimiter``. Its mutating
/// methods return what the caller must do (resume this waiter), so the limiter does all its
/// bookkeeping under its lock and resumes continuations after it.
///
/// Generic over what a waiter is (a continuation in the limiters; anything in a test), so it can be
/// tested synchronously.
///
/// A call that must wait takes its place with ``enqueue()`` (under the same lock that found every
/// permit taken, so the order is the order of arrival), *before* it has a continuation to park: its
/// place is pending until ``install(_:for:)``. Whatever happens to a pending place in between (a
/// permit handed over by ``handOff()``, the wait expiring, the caller cancelled) is kept as a
/// resolution that ``install(_:for:)`` returns at once, so no ordering of those races loses a permit
/// or a wake-up.
@usableFromInline
struct ConcurrencyQueue<Waiter> {
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

    /// The most calls waiting; zero or more.
    @usableFromInline
    let maxQueuedCalls: Int
    /// Whether calls may wait at all (a maximum wait of zero refuses them).
    @usableFromInline
    let mayWait: Bool

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
    /// Calls refused so far: queue full or wait expired.
    @usableFromInline
    private(set) var rejectedCalls: Int64 = 0

    /// An empty queue.
    ///
    /// - Parameters:
    ///   - maxQueuedCalls: The most calls waiting; values below zero act as zero.
    ///   - maxWait: How long a call may wait, or `nil` for as long as it takes; zero refuses every wait.
    @usableFromInline
    init(maxQueuedCalls: Int, maxWait: Duration?) {
        self.maxQueuedCalls = max(maxQueuedCalls, 0)
        self.mayWait = maxWait.map { $0 > .zero } ?? true
    }

    /// Whether no call waits.
    @inlinable
    var isEmpty: Bool { waiters.isEmpty }

    /// Whether ``enqueue()`` would take a place rather than refuse.
    @usableFromInline
    var mayEnqueue: Bool { mayWait && waiters.count < maxQueuedCalls }

    /// The calls waiting.
    @usableFromInline
    var count: Int { waiters.count }

    /// Whether the queue is as a new one's: nobody waiting, nothing kept for a waiter still to park.
    @usableFromInline
    var isIdle: Bool { waiters.isEmpty && resolvedBeforeParking.isEmpty }

    /// Takes a place for a call that found every permit in use, or refuses it (counted).
    ///
    /// - Returns: The call's id, to park it with ``install(_:for:)``; or why it is refused:
    ///   ``LimitExceededError/Reason/queueFull``, or ``LimitExceededError/Reason/queueTimeout`` when
    ///   calls may not wait at all.
    @usableFromInline
    mutating func enqueue() -> Result<UInt64, QueueRefusal> {
        guard waiters.count < maxQueuedCalls else {
            rejectedCalls &+= 1
            return .failure(QueueRefusal(reason: .queueFull))
        }
        guard mayWait else {
            rejectedCalls &+= 1
            return .failure(QueueRefusal(reason: .queueTimeout))
        }
        let id = nextID
        nextID &+= 1
        waiters[id] = Slot(waiter: nil)
        return .success(id)
    }

    /// Parks `waiter` in the place queued as `id`.
    ///
    /// - Returns: `nil` when the waiter now waits (a later ``handOff()`` or ``removeWaiter(_:resolution:)``
    ///   returns it); otherwise how its wait already ended, for the caller to act on at once.
    @usableFromInline
    mutating func install(_ waiter: Waiter, for id: UInt64) -> PermitResolution? {
        if let resolution = resolvedBeforeParking.removeValue(forKey: id) { return resolution }
        guard waiters[id] != nil else { return .cancelled }  // unreachable: every queued id parks once
        waiters[id] = Slot(waiter: waiter)
        return nil
    }

    /// Hands a released permit to the first waiter.
    ///
    /// - Returns: ``HandOff/none`` when nobody waits (the permit is free); otherwise the permit now
    ///   belongs to the first waiter: ``HandOff/resume(_:)`` it with ``PermitResolution/granted``, or,
    ///   for one still to park, ``HandOff/kept`` (it learns it when it parks).
    @usableFromInline
    mutating func handOff() -> HandOff {
        while headID < nextID {
            let id = headID
            headID &+= 1
            guard let slot = waiters.removeValue(forKey: id) else { continue }  // left the queue earlier
            guard let waiter = slot.waiter else {
                resolvedBeforeParking[id] = .granted
                return .kept
            }
            return .resume(waiter)
        }
        return .none
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

    /// What ``handOff()`` did with a released permit.
    @usableFromInline
    enum HandOff {
        /// Nobody waits: the permit is free.
        case none
        /// The permit went to a waiter still to park.
        case kept
        /// The permit went to this waiter: resume it with ``PermitResolution/granted``.
        case resume(Waiter)
    }
}

/// Why a call found no place in a concurrency limiter's queue.
@usableFromInline
struct QueueRefusal: Error, Hashable, Sendable {
    @usableFromInline
    let reason: LimitExceededError.Reason
}

extension ConcurrencyQueue: Sendable where Waiter: Sendable {}
extension ConcurrencyQueue.Slot: Sendable where Waiter: Sendable {}
extension ConcurrencyQueue.HandOff: Sendable where Waiter: Sendable {}
