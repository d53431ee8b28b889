import Resilience

/// A clock whose time moves only when a test says so, for testing code that waits on a `Clock`.
///
/// Sleepers wait until ``advance(by:)`` or ``advance(to:)`` moves ``now`` to or past their deadline;
/// they are woken in deadline order (ties in the order they started sleeping). A cancelled sleeper
/// wakes at once with `CancellationError`. ``waitForSleepers(count:)`` suspends the test until code
/// under test is waiting, so no test needs to sleep on the wall clock.
///
/// ```swift
/// let clock = ManualClock()
/// let call = Task { try await retry(.default, clock: clock) { try await flaky() } }
/// await clock.waitForSleepers()
/// #expect(clock.pendingDeadlines == [clock.now.advanced(by: .seconds(1))])
/// clock.advance(by: .seconds(1))
/// ```
///
/// With `advancesAutomatically: true` every sleep returns at once and moves ``now`` to its deadline:
/// convenient when a test only cares about the total virtual time and the delays requested
/// (``requestedSleeps``).
public final class ManualClock: Clock, Sendable {
    /// A point in the manual clock's time: an offset from the moment the clock was created.
    ///
    /// `Codable` (as its offset), so state kept on a manual clock's time, such as a
    /// `CircuitBreakerStateMachine`, can be saved and loaded in tests.
    public struct Instant: InstantProtocol, Hashable, Sendable, Codable, CustomStringConvertible {
        /// The time since the clock's start.
        public var offset: Duration

        /// Creates the instant `offset` after the clock's start.
        ///
        /// - Parameter offset: The time since the clock's start.
        public init(offset: Duration) {
            self.offset = offset
        }

        /// The instant `duration` later.
        ///
        /// - Parameter duration: How far to move.
        public func advanced(by duration: Duration) -> Instant {
            Instant(offset: offset + duration)
        }

        /// The duration from this instant to `other`.
        ///
        /// - Parameter other: The later (or earlier) instant.
        public func duration(to other: Instant) -> Duration {
            other.offset - offset
        }

        /// Whether `lhs` comes before `rhs`.
        public static func < (lhs: Instant, rhs: Instant) -> Bool {
            lhs.offset < rhs.offset
        }

        /// The offset from the clock's start, such as `+1.5 s`.
        public var description: String {
            "+\(offset)"
        }
    }

    private struct Sleeper: Sendable {
        let id: Int
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private struct SleeperWaiter {
        /// What the waiter waits for: a number of sleepers, or a sleeper with a given deadline.
        let isSatisfied: @Sendable ([Sleeper]) -> Bool
        let continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var now = Instant(offset: .zero)
        var nextID = 0
        var sleepers: [Sleeper] = []
        var cancelledBeforeRegistering: Set<Int> = []
        var sleeperWaiters: [SleeperWaiter] = []
        var requestedSleeps: [Duration] = []

        /// Removes and returns the sleepers due at `now`, earliest deadline first, ties by start order.
        mutating func takeDueSleepers() -> [Sleeper] {
            let due = sleepers.filter { $0.deadline <= now }
            sleepers.removeAll { $0.deadline <= now }
            return due.sorted { ($0.deadline, $0.id) < ($1.deadline, $1.id) }
        }

        /// Removes and returns the sleeper waiters whose condition holds.
        mutating func takeSatisfiedWaiters() -> [SleeperWaiter] {
            let sleepers = self.sleepers
            let satisfied = sleeperWaiters.filter { $0.isSatisfied(sleepers) }
            sleeperWaiters.removeAll { $0.isSatisfied(sleepers) }
            return satisfied
        }
    }

    private let state = AnnotatedMutex(State())

    /// Whether every sleep returns at once, moving ``now`` to its deadline.
    public let advancesAutomatically: Bool

    /// Creates a clock at offset zero.
    ///
    /// - Parameter advancesAutomatically: Whether every sleep returns at once, moving ``now`` to its
    ///   deadline, instead of waiting for ``advance(by:)``.
    public init(advancesAutomatically: Bool = false) {
        self.advancesAutomatically = advancesAutomatically
    }

    /// The current time.
    public var now: Instant {
        state.withLock { $0.now }
    }

    /// The smallest step of this clock: one nanosecond.
    public var minimumResolution: Duration {
        .nanoseconds(1)
    }

    /// How many tasks are sleeping on this clock.
    public var sleeperCount: Int {
        state.withLock { $0.sleepers.count }
    }

    /// The deadlines of the sleeping tasks, earliest first.
    public var pendingDeadlines: [Instant] {
        state.withLock { $0.sleepers.map(\.deadline).sorted() }
    }

    /// Every sleep requested so far, as the duration from the time of the request to its deadline, in
    /// the order requested (including sleeps that ended early by cancellation).
    public var requestedSleeps: [Duration] {
        state.withLock { $0.requestedSleeps }
    }

    /// Suspends until `deadline`, or until the task is cancelled.
    ///
    /// - Parameters:
    ///   - deadline: When to wake.
    ///   - tolerance: Ignored.
    /// - Throws: `CancellationError` if the task is or becomes cancelled before the deadline.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        let id = state.withLock { state in
            state.nextID += 1
            state.requestedSleeps.append(state.now.duration(to: deadline))
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                enum Registration {
                    case cancelled, due
                    case sleeping([SleeperWaiter])
                }
                let registration = state.withLock { state -> Registration in
                    if state.cancelledBeforeRegistering.remove(id) != nil { return .cancelled }
                    if advancesAutomatically, deadline > state.now { state.now = deadline }
                    if deadline <= state.now { return .due }
                    state.sleepers.append(Sleeper(id: id, deadline: deadline, continuation: continuation))
                    return .sleeping(state.takeSatisfiedWaiters())
                }
                switch registration {
                case .cancelled: continuation.resume(throwing: CancellationError())
                case .due: continuation.resume()
                case .sleeping(let waiters): waiters.forEach { $0.continuation.resume() }
                }
            }
        } onCancel: {
            let sleeper = state.withLock { state -> Sleeper? in
                guard let index = state.sleepers.firstIndex(where: { $0.id == id }) else {
                    state.cancelledBeforeRegistering.insert(id)
                    return nil
                }
                return state.sleepers.remove(at: index)
            }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration`, waking every sleeper whose deadline is reached.
    ///
    /// - Parameter duration: How far to move; negative values do nothing.
    public func advance(by duration: Duration) {
        advance(to: now.advanced(by: max(duration, .zero)))
    }

    /// Moves time forward to `instant` (never backward), waking every sleeper whose deadline is reached,
    /// earliest deadline first.
    ///
    /// - Parameter instant: The new time.
    public func advance(to instant: Instant) {
        let due = state.withLock { state in
            state.now = max(state.now, instant)
            return state.takeDueSleepers()
        }
        for sleeper in due {
            sleeper.continuation.resume()
        }
    }

    /// Moves time to the earliest pending deadline, waking its sleepers.
    ///
    /// - Returns: The new time, or `nil` (without moving) when nobody sleeps.
    @discardableResult
    public func advanceToNextDeadline() -> Instant? {
        guard let deadline = pendingDeadlines.first else { return nil }
        advance(to: deadline)
        return deadline
    }

    /// Waits until a task sleeps until `deadline`, then moves time to it, waking that task and any
    /// other due sleepers.
    ///
    /// Steps a scenario with several sleepers (a timeout's timer and the operation it bounds, a retry's
    /// wait) one wake-up at a time. Waiting for a *deadline* rather than a number of sleepers keeps the
    /// steps free of races: a new deadline can only appear once the code under test has reacted to the
    /// previous step.
    ///
    /// - Parameter deadline: The deadline to wait for and move to.
    public func advance(toSleeperDeadline deadline: Instant) async {
        await waitUntil { sleepers in sleepers.contains { $0.deadline == deadline } }
        advance(to: deadline)
    }

    /// Suspends until at least `count` tasks are sleeping on this clock.
    ///
    /// - Parameter count: How many sleepers to wait for.
    public func waitForSleepers(count: Int = 1) async {
        await waitUntil { $0.count >= count }
    }

    private func waitUntil(_ isSatisfied: @escaping @Sendable ([Sleeper]) -> Bool) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state in
                if isSatisfied(state.sleepers) { return true }
                state.sleeperWaiters.append(SleeperWaiter(isSatisfied: isSatisfied, continuation: continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
