import Testing

@testable import Resilience

/// A state machine whose waiters are plain names, for synchronous tests.
private typealias State = ConcurrencyLimiterState<String>

private func state(_ limit: Int, queued: Int = 0, maxWait: Duration? = nil) -> State {
    State(configuration: .concurrentCalls(limit, queued: queued, maxWait: maxWait))
}

/// The id of a queued acquisition, or `nil`.
private func queuedID(_ acquisition: State.Acquisition) -> UInt64? {
    if case .enqueued(let id) = acquisition { return id }
    return nil
}

@Suite("Concurrency limiter state machine")
struct ConcurrencyLimiterStateTests {
    @Test("grants up to the limit, queues up to the queue limit, then refuses with queueFull")
    func grantsQueuesRefuses() throws {
        var machine = state(2, queued: 1)
        #expect(machine.acquire() == .granted)
        #expect(machine.acquire() == .granted)
        let id = try #require(queuedID(machine.acquire()))
        #expect(machine.acquire() == .rejected(.queueFull))
        #expect(machine.install("waiter", for: id) == nil)
        #expect(
            machine.snapshot
                == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 2, permitsInUse: 2, waitingCalls: 1, rejectedCalls: 1))
    }

    @Test("a maximum wait of zero refuses a call that would wait with queueTimeout")
    func zeroWaitRefuses() {
        var machine = state(1, queued: 5, maxWait: .zero)
        #expect(machine.acquire() == .granted)
        #expect(machine.acquire() == .rejected(.queueTimeout))
        #expect(machine.snapshot.waitingCalls == 0)
        #expect(machine.snapshot.rejectedCalls == 1)
    }

    @Test("a released permit goes to the first waiter, in arrival order, and the count in use stays")
    func releaseHandsOffInOrder() throws {
        var machine = state(1, queued: 3)
        #expect(machine.acquire() == .granted)
        let ids = try (0..<3).map { _ in try #require(queuedID(machine.acquire())) }
        for (id, name) in zip(ids, ["a", "b", "c"]) { #expect(machine.install(name, for: id) == nil) }
        #expect(machine.release() == "a")
        #expect(machine.snapshot.permitsInUse == 1)
        #expect(machine.release() == "b")
        #expect(machine.release() == "c")
        #expect(machine.release() == nil)
        #expect(machine.snapshot.permitsInUse == 0)
        #expect(machine.isIdle)
    }

    @Test("no barging: while calls wait, a new caller queues even at the moment a permit is released")
    func noBarging() throws {
        var machine = state(1, queued: 2)
        #expect(machine.acquire() == .granted)
        let first = try #require(queuedID(machine.acquire()))
        _ = machine.install("first", for: first)
        #expect(machine.release() == "first")
        // The permit went to "first"; a newcomer finds none free.
        #expect(queuedID(machine.acquire()) != nil)
    }

    @Test("a permit handed over before the waiter parked is kept for it")
    func grantBeforeParking() throws {
        var machine = state(1, queued: 1)
        #expect(machine.acquire() == .granted)
        let id = try #require(queuedID(machine.acquire()))
        #expect(machine.release() == nil)  // nobody parked yet to resume
        #expect(machine.snapshot.permitsInUse == 1)
        #expect(machine.install("late", for: id) == .granted)
        #expect(machine.release() == nil)
        #expect(machine.isIdle)
    }

    @Test("a waiter cancelled or timed out before it parked learns it when it parks", arguments: [PermitResolution.cancelled, .timedOut])
    func removedBeforeParking(resolution: PermitResolution) throws {
        var machine = state(1, queued: 1)
        #expect(machine.acquire() == .granted)
        let id = try #require(queuedID(machine.acquire()))
        #expect(machine.removeWaiter(id, resolution: resolution) == nil)
        #expect(machine.install("late", for: id) == resolution)
        #expect(machine.snapshot.rejectedCalls == (resolution == .timedOut ? 1 : 0))
        #expect(machine.release() == nil)
        #expect(machine.isIdle)
    }

    @Test("the first of grant, expiry and cancellation wins; the others find the waiter gone")
    func firstResolutionWins() throws {
        var machine = state(1, queued: 2)
        #expect(machine.acquire() == .granted)
        let a = try #require(queuedID(machine.acquire()))
        let b = try #require(queuedID(machine.acquire()))
        _ = machine.install("a", for: a)
        _ = machine.install("b", for: b)
        // a times out, then its cancellation and a release come late.
        #expect(machine.removeWaiter(a, resolution: .timedOut) == "a")
        #expect(machine.removeWaiter(a, resolution: .cancelled) == nil)
        // The release skips a and goes to b; b's expiry after the grant does nothing.
        #expect(machine.release() == "b")
        #expect(machine.removeWaiter(b, resolution: .timedOut) == nil)
        #expect(
            machine.snapshot
                == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, permitsInUse: 1, waitingCalls: 0, rejectedCalls: 1))
        #expect(machine.release() == nil)
        #expect(machine.isIdle)
    }

    @Test("a cancelled waiter frees its place in the queue for a new caller")
    func cancelledWaiterFreesQueuePlace() throws {
        var machine = state(1, queued: 1)
        #expect(machine.acquire() == .granted)
        let id = try #require(queuedID(machine.acquire()))
        _ = machine.install("a", for: id)
        #expect(machine.acquire() == .rejected(.queueFull))
        #expect(machine.removeWaiter(id, resolution: .cancelled) == "a")
        #expect(queuedID(machine.acquire()) != nil)
    }

    @Test("an unchecked configuration acts as the nearest valid one")
    func uncheckedConfiguration() {
        var configuration = ConcurrencyLimiterConfiguration.concurrentCalls(1)
        configuration.maxConcurrentCalls = -3
        configuration.maxQueuedCalls = -1
        var machine = State(configuration: configuration)
        #expect(machine.acquire() == .granted)
        #expect(machine.acquire() == .rejected(.queueFull))
    }
}

@Suite("Concurrency limiter storage (atomic fast path)")
struct ConcurrencyLimiterStorageTests {
    @Test("the waiting bit stops the fast paths; a release hands over without dropping the count; the last waiter leaving clears it")
    func waitingBit() {
        let storage = ConcurrencyLimiterStorage(configuration: .concurrentCalls(1, queued: 2))
        #expect(storage.tryAcquire())
        #expect(!storage.tryAcquire())
        #expect(storage.acquireSlowly() == .enqueued(0))
        #expect(storage.permits.load(ordering: .relaxed) == ConcurrencyLimiterStorage.waitingFlag | 1)
        // The holder's release goes to the (still unparked) waiter: the count stays, the bit clears.
        storage.release()
        #expect(storage.permits.load(ordering: .relaxed) == 1)
        #expect(storage.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, permitsInUse: 1))
        // A newcomer waits again, setting the bit; when it leaves, the bit clears.
        #expect(storage.acquireSlowly() == .enqueued(1))
        #expect(storage.remove(1, resolution: .cancelled) == nil)
        #expect(storage.permits.load(ordering: .relaxed) == 1)
        #expect(storage.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, permitsInUse: 1))
        // Nobody waits: the release is the fast path, and the permit is free.
        storage.release()
        #expect(storage.permits.load(ordering: .relaxed) == 0)
        #expect(storage.tryAcquire())
    }
}
