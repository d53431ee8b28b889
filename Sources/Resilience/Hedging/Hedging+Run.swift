import Synchronization

// How a hedged call runs its attempts, and why that is free of data races.
//
// `ResilienceStrategy.execute` takes a non-`Sendable` `nonisolated(nonsending)` operation, which may
// capture the caller's non-`Sendable` state. Hedging must run it several times at once, yet calling
// such a closure from two threads in parallel would be a data race. So every attempt runs in a child
// task *isolated to one serial actor*: the caller's actor when it has one (the children capture the
// `isolated` parameter, as `Timeout`'s do), and otherwise a private `HedgingSerialActor` made for the
// call. Attempts then interleave at their suspension points, like any two tasks on one actor, but
// never run in parallel, and the parent task (which reads the attempts' outcomes and starts new ones)
// runs on that same actor. The task group is structured: the call returns only once every child,
// loser or not, has finished, so nothing outlives the call (the `withoutActuallyEscaping` blocks
// check that at run time).
//
// `executeConcurrently(_:)` takes a `Sendable` operation and runs the same loop with no actor at
// all: its attempts run in parallel on the global executor, which is safe because the operation is
// `Sendable` and each attempt's outcome has its own box (below), written by that attempt alone and
// read by the parent only after the attempt's task finished.

extension Hedging {
    /// Runs a non-`Sendable` operation's attempts on the caller's actor, or on a private serial actor
    /// when the caller has none.
    ///
    /// Takes the caller's isolation as a parameter so that the attempts' child tasks can inherit it.
    func run<Value>(
        _ operation: nonisolated(nonsending) (HedgingAttempt) async throws -> Value,
        classifyingResult classify: (Value) -> ErrorClassification?,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> Value {
        // A caller cancelled before the call gets CancellationError; the operation never runs.
        try Task.checkCancellation()
        if isolation != nil {
            return try await withoutActuallyEscaping(operation) { operation in
                try await hedge(operation, classify, isolation: isolation).get()
            }
        }
        // The caller is on no actor: the attempts get a serial actor of their own. Handing the
        // non-Sendable closures to it, and the non-Sendable result back, is safe although the compiler
        // cannot prove it (hence the `UncheckedTransfer`s): this task is suspended until the actor's
        // work for the call is done, so only the actor touches them in the meantime, and the actor
        // runs one attempt at a time.
        return try await withoutActuallyEscaping(operation) { operation in
            _ = isolation  // keeps the closures' isolation, for the checker
            return try await withoutActuallyEscaping(classify) { classify in
                _ = isolation
                let calls = HedgedCalls(operation: operation, classify: classify)
                let serial = HedgingSerialActor()
                return try await serial.hedge(UncheckedTransfer(calls), with: self).value.get()
            }
        }
    }

    /// Runs a `Sendable` operation's attempts in parallel on the global executor.
    @concurrent
    func runConcurrently<Value: Sendable>(
        _ operation: @Sendable (HedgingAttempt) async throws -> Value
    ) async throws -> Value {
        try Task.checkCancellation()
        return try await withoutActuallyEscaping(operation) { operation in
            try await hedge({ attempt in try await operation(attempt) }, { _ in nil }, isolation: nil).get()
        }
    }

    /// The hedging loop, on `isolation`: the attempts run in child tasks isolated to it, and this
    /// task reads their outcomes and starts the next ones.
    ///
    /// `isolation` is `nil` only for `Sendable` operations (``runConcurrently(_:)``).
    func hedge<Value>(
        _ operation: nonisolated(nonsending) @escaping (HedgingAttempt) async throws -> Value,
        _ classify: (Value) -> ErrorClassification?,
        isolation: isolated (any Actor)?
    ) async -> Swift.Result<Value, any Error> {
        budget?.recordRequest()
        let maxAttempts = policy.effectiveMaxAttempts
        let delay = policy.effectiveDelay
        let clock = self.clock
        // Delays count from the start of each attempt; read the clock only when a timer may be needed.
        let firstStart: ClockType.Instant?
        if let delay, delay > .zero, maxAttempts > 1 { firstStart = clock.now } else { firstStart = nil }
        let first = AttemptBox<Value>()
        return await withTaskGroup(of: HedgingEvent<ClockType.Instant>.self) { group in
            _ = isolation  // this loop runs on `isolation` too
            var started = 1
            var running = 1
            var budgetRefused = false
            var hedges: [AttemptBox<Value>] = []
            var lastFailure: Swift.Result<Value, any Error>?
            // When the next hedge is due, and whether a timer child is sleeping (until then, or until an
            // earlier deadline that a failure's immediate hedge has since moved).
            var nextDeadline: ClockType.Instant?
            var timerArmed = false

            Self.startAttempt(1, operation, into: first, in: &group, isolation: isolation)

            /// Starts the next hedge if the policy, the budget and the caller's cancellation allow it.
            func startHedge(after wait: Duration, on isolation: isolated (any Actor)?) -> Bool {
                guard started < maxAttempts, !budgetRefused, !Task.isCancelled else { return false }
                if let budget, !budget.tryAcquireRetry(afterAttempt: started) {
                    budgetRefused = true
                    observer?.observe(.retryBudgetRefused(strategy: name, budget: budget.name, attempt: started))
                    return false
                }
                started += 1
                running += 1
                observer?.observe(.hedgeStarted(strategy: name, attempt: started, delay: wait))
                let box = AttemptBox<Value>()
                hedges.append(box)
                Self.startAttempt(started, operation, into: box, in: &group, isolation: isolation)
                return true
            }

            /// After an attempt started at `start`: starts the rest at once for a zero delay, or makes
            /// sure a timer will wake this task when the next one is due.
            func scheduleNextHedge(
                afterAttemptStartedAt start: @autoclosure () -> ClockType.Instant,
                on isolation: isolated (any Actor)?
            ) {
                guard let delay, started < maxAttempts, !budgetRefused else { return }
                guard delay > .zero else {
                    while startHedge(after: .zero, on: isolation) {}
                    return
                }
                let deadline = start().advanced(by: delay)
                nextDeadline = deadline
                if !timerArmed {
                    timerArmed = true
                    Self.armTimer(until: deadline, clock: clock, in: &group)
                }
            }

            // An attempt that finished without suspending needs no timer (nor a reading of the clock).
            if !first.isFinished.load(ordering: .acquiring), let firstStart = firstStart ?? (delay == .zero ? clock.now : nil) {
                scheduleNextHedge(afterAttemptStartedAt: firstStart, on: isolation)
            }

            while let event = await group.next() {
                let number: Int
                switch event {
                case .timerCancelled:
                    timerArmed = false
                    continue
                case .timerFired(let firedAt):
                    timerArmed = false
                    guard let deadline = nextDeadline else { continue }
                    if firedAt < deadline {
                        // A failure started a hedge since this timer was set: wait for the new deadline.
                        timerArmed = true
                        Self.armTimer(until: deadline, clock: clock, in: &group)
                        continue
                    }
                    nextDeadline = nil
                    if startHedge(after: delay ?? .zero, on: isolation) {
                        scheduleNextHedge(afterAttemptStartedAt: deadline, on: isolation)
                    }
                    continue
                case .attemptFinished(let finished):
                    number = finished
                }

                running -= 1
                let box = number == 1 ? first : hedges[number - 2]
                guard let outcome = box.outcome else { continue }  // every attempt leaves one
                switch outcome {
                case .success(let value):
                    guard let rejection = classify(value) else {
                        budget?.recordSuccess()
                        observer?.observe(.attemptSucceeded(strategy: name, attempt: number))
                        group.cancelAll()  // the losers; the group awaits them before returning
                        return outcome
                    }
                    observer?.observe(.resultRejected(strategy: name, attempt: number, classification: rejection))
                    guard !Task.isCancelled, policy.hedges(rejection.category) else {
                        group.cancelAll()
                        return outcome
                    }
                case .failure(let error):
                    let classification = classifier.classify(error)
                    observer?.observe(.attemptFailed(strategy: name, attempt: number, error: error, classification: classification))
                    guard !Task.isCancelled, self.hedges(error, classifiedAs: classification) else {
                        group.cancelAll()
                        return outcome
                    }
                }
                // A hedgeable failure: the next attempt starts at once.
                lastFailure = outcome
                if startHedge(after: .zero, on: isolation) {
                    scheduleNextHedge(afterAttemptStartedAt: clock.now, on: isolation)
                } else if running == 0 {
                    group.cancelAll()  // a timer that can no longer start anything
                    return outcome
                }
            }
            return lastFailure ?? .failure(CancellationError())  // not reached: the loop returns first
        }
    }

    /// Whether a failed attempt starts the next one at once.
    func hedges(_ error: any Error, classifiedAs classification: ErrorClassification) -> Bool {
        guard classification.category != .cancellation else { return false }
        if let shouldHedge { return shouldHedge(error, classification) }
        return policy.hedges(classification.category)
    }

    /// Starts attempt `number` in a child task on `isolation`, at once on this thread until it first
    /// suspends; it leaves its outcome in `box`.
    private static func startAttempt<Value>(
        _ number: Int,
        _ operation: nonisolated(nonsending) @escaping (HedgingAttempt) async throws -> Value,
        into box: AttemptBox<Value>,
        in group: inout TaskGroup<HedgingEvent<ClockType.Instant>>,
        isolation: isolated (any Actor)?
    ) {
        group.addImmediateTask {
            _ = isolation  // runs on the caller's (or the call's serial) actor
            let attempt = HedgingAttempt(number: number)
            do {
                let value = try await HedgingAttempt.$current.withValue(attempt) {
                    // Captured so that this closure, too, runs on `isolation`: without it, it would be
                    // nonisolated, and the operation would run on the global executor.
                    _ = isolation
                    return try await operation(attempt)
                }
                box.outcome = .success(value)
            } catch {
                box.outcome = .failure(error)
            }
            box.isFinished.store(true, ordering: .releasing)
            return .attemptFinished(number)
        }
    }

    /// Starts a child task that reports when `deadline` has come, or that it was cancelled.
    private static func armTimer(
        until deadline: ClockType.Instant,
        clock: ClockType,
        in group: inout TaskGroup<HedgingEvent<ClockType.Instant>>
    ) {
        group.addTask {
            do {
                try await clock.sleep(until: deadline, tolerance: nil)
            } catch {
                return .timerCancelled  // the call ended, or the caller was cancelled
            }
            return .timerFired(deadline)
        }
    }
}

/// What a child of a hedged call's task group reports.
enum HedgingEvent<Instant: Sendable>: Sendable {
    /// The attempt with this number finished; its outcome is in its box.
    case attemptFinished(Int)
    /// The timer set for this deadline fired.
    case timerFired(Instant)
    /// The timer was cancelled.
    case timerCancelled
}

/// Where one attempt leaves its outcome for the hedging loop. Written only by the attempt's task, and
/// read by the loop only once that task has finished (``isFinished`` tells, without waiting, whether
/// an attempt finished as soon as it started).
final class AttemptBox<Value> {
    var outcome: Swift.Result<Value, any Error>?
    let isFinished = Atomic(false)
}

/// The actor that runs a hedged call's attempts when the caller is on no actor, one per such call, so
/// that the attempts still never run in parallel.
actor HedgingSerialActor {
    /// Runs the hedging loop of `strategy` on this actor.
    func hedge<Value, ClockType>(
        _ calls: UncheckedTransfer<HedgedCalls<Value>>,
        with strategy: Hedging<ClockType>
    ) async -> UncheckedTransfer<Swift.Result<Value, any Error>> {
        UncheckedTransfer(await strategy.hedge(calls.value.operation, calls.value.classify, isolation: self))
    }
}

/// A non-`Sendable` call's operation and result classifier, on their way to a ``HedgingSerialActor``.
struct HedgedCalls<Value> {
    let operation: nonisolated(nonsending) (HedgingAttempt) async throws -> Value
    let classify: (Value) -> ErrorClassification?
}

/// Moves a non-`Sendable` value to another isolation domain and back.
///
/// `@unchecked Sendable` because the compiler cannot see what makes it safe here: the task handing the
/// value over is suspended until the receiving actor has finished with it and handed the result back,
/// so the value is never used from two domains at once.
struct UncheckedTransfer<Wrapped>: @unchecked Sendable {
    let value: Wrapped

    init(_ value: Wrapped) {
        self.value = value
    }
}
