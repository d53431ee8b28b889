import Resilience

/// Holds the operations of concurrent calls until the test releases them, so that callers overlap
/// without any sleeping; a cancelled waiter wakes at once with `CancellationError`.
///
/// Counts arrivals (operations that reached the gate) and rejections (calls the test reports as
/// refused before reaching it), and lets the test wait until a given number of calls did either.
final class Gate: Sendable {
    /// What a released operation does.
    enum Release: Sendable {
        case succeed
        case fail(any Error)
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var nextID = 0
        var waiters: [Waiter] = []
        var cancelledEarly: Set<Int> = []
        var arrivals = 0
        var rejections = 0
        var settledWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        mutating func takeSatisfied() -> [CheckedContinuation<Void, Never>] {
            let total = arrivals + rejections
            let ready = settledWaiters.filter { $0.count <= total }.map(\.continuation)
            settledWaiters.removeAll { $0.count <= total }
            return ready
        }
    }

    private let state = AnnotatedMutex(State())
    private let releases = AnnotatedMutex<[Int: Release]>([:])

    /// Counts an arrival, then waits until released (then succeeds or throws as released) or
    /// cancelled (at once if the task already is).
    func enter() async throws {
        let id = state.withLock { state in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                // The arrival counts only once the waiter is registered (under the same lock), so a test
                // that waits for arrivals and then releases every waiter cannot miss one that is still
                // on its way in.
                let (cancelled, ready) = state.withLock { state in
                    state.arrivals += 1
                    let ready = state.takeSatisfied()
                    if state.cancelledEarly.remove(id) != nil { return (true, ready) }
                    state.waiters.append(Waiter(id: id, continuation: continuation))
                    return (false, ready)
                }
                ready.forEach { $0.resume() }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> Waiter? in
                guard let index = state.waiters.firstIndex(where: { $0.id == id }) else {
                    state.cancelledEarly.insert(id)
                    return nil
                }
                return state.waiters.remove(at: index)
            }
            waiter?.continuation.resume(throwing: CancellationError())
        }
        if case .fail(let error) = releases.withLock({ $0.removeValue(forKey: id) }) ?? .succeed {
            throw error
        }
    }

    /// Notes a call refused before it reached the gate.
    func noteRejection() {
        let ready = state.withLock { state in
            state.rejections += 1
            return state.takeSatisfied()
        }
        ready.forEach { $0.resume() }
    }

    /// Suspends until `count` calls have arrived or been rejected in total.
    func waitUntilSettled(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if state.arrivals + state.rejections >= count { return true }
                state.settledWaiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// How many operations reached the gate.
    var arrivals: Int { state.withLock { $0.arrivals } }
    /// How many calls were rejected before reaching it.
    var rejections: Int { state.withLock { $0.rejections } }
    /// How many operations are waiting at the gate now.
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Releases every waiting operation, the n-th (in arrival order) as `release(n)` says.
    func releaseAll(_ release: (Int) -> Release = { _ in .succeed }) {
        let waiters = state.withLock { state in
            defer { state.waiters.removeAll() }
            return state.waiters.sorted { $0.id < $1.id }
        }
        releases.withLock { releases in
            for (index, waiter) in waiters.enumerated() { releases[waiter.id] = release(index) }
        }
        waiters.forEach { $0.continuation.resume() }
    }
}
