/// The retry loop's decisions, as a pure value: given a failure, whether to retry and after how long.
///
/// Holds the only state that carries from one retry to the next (the previous delay, which
/// decorrelated jitter grows from). The loop in ``Retry`` does the waiting and the calling; this
/// type decides, so it can be tested synchronously.
@usableFromInline
struct RetryStateMachine: Sendable {
    /// What to do after a failed attempt.
    @usableFromInline
    enum Decision: Hashable, Sendable {
        /// Wait `delay`, then make the next attempt.
        case retry(after: Duration)
        /// Stop retrying; rethrow the error (or return the rejected result).
        case stop(RetryStopReason)
    }

    /// The delay used before the previous retry, or `nil` before the first.
    private(set) var previousDelay: Duration?

    @usableFromInline
    init() {}

    /// Decides what follows a failure.
    ///
    /// - Parameters:
    ///   - classification: The failure's classification.
    ///   - attempt: The number of the attempt that failed, from 1.
    ///   - elapsed: Time since the first attempt started, when the policy has a time budget.
    ///   - policy: The policy in force.
    ///   - ignoringCategories: Retry whatever the category (a result predicate said so), except cancellation.
    ///   - retryable: Whether the failure is retried, overriding the policy's categories; `nil` to use them.
    ///   - customDelay: Replaces the schedule's (jittered) delay when it returns a value.
    ///   - generator: The source of jitter.
    @usableFromInline
    mutating func decide<Generator: RandomNumberGenerator>(
        after classification: ErrorClassification,
        attempt: Int,
        elapsed: Duration?,
        policy: RetryPolicy,
        ignoringCategories: Bool = false,
        retryable: Bool? = nil,
        customDelay: ((Duration) -> Duration?)? = nil,
        using generator: inout Generator
    ) -> Decision {
        let category = classification.category
        if category == .cancellation { return .stop(.cancelled) }
        guard ignoringCategories || (retryable ?? policy.retries(category)) else { return .stop(.notRetryable) }
        guard attempt < policy.maxAttempts else { return .stop(.attemptsExhausted) }
        // The schedule is borrowed from the policy, not copied out as `policy.backoff(for:)` would.
        if let schedules = policy.categorySchedules, let schedule = schedules.schedules[category] {
            return decide(
                after: classification, attempt: attempt, elapsed: elapsed, policy: policy, schedule: schedule,
                customDelay: customDelay, using: &generator
            )
        }
        return decide(
            after: classification, attempt: attempt, elapsed: elapsed, policy: policy, schedule: policy.backoff,
            customDelay: customDelay, using: &generator
        )
    }

    /// ``decide(after:attempt:elapsed:policy:ignoringCategories:retryable:customDelay:using:)`` for a
    /// retryable failure, with the schedule for its category.
    private mutating func decide<Generator: RandomNumberGenerator>(
        after classification: ErrorClassification,
        attempt: Int,
        elapsed: Duration?,
        policy: RetryPolicy,
        schedule: Backoff,
        customDelay: ((Duration) -> Duration?)?,
        using generator: inout Generator
    ) -> Decision {
        var delay = policy.jitter.apply(
            to: schedule.delay(forRetry: attempt),
            previousDelay: previousDelay,
            backoff: schedule,
            using: &generator
        )
        if let custom = customDelay?(delay) {
            // A computed delay is bounded like the schedule's: never negative, never past its cap.
            delay = min(max(custom, .zero), schedule.maxDelay ?? .saturatedMaximum)
        }
        // A server controls the hint: bound it (the field is public and may be set past the initialiser's clamp).
        if let hint = classification.retryAfter.map({ min(max($0, .zero), .saturatedMaximum) }) {
            if let cap = schedule.maxDelay, hint > cap { return .stop(.retryAfterExceedsMaxDelay) }
            delay = max(delay, hint)
        }
        if let budget = policy.maxElapsedTime, let elapsed, elapsed.saturatingAdding(delay) > budget {
            return .stop(.elapsedTimeExhausted)
        }
        previousDelay = delay
        return .retry(after: delay)
    }

    /// Reports the failure (with the attempt's duration, when the loop timed it), decides what follows it
    /// (asking the retry budget), and reports the decision.
    ///
    /// Not generic, so that the failure path of every `Retry` shares one specialised copy.
    @usableFromInline
    mutating func decideAfterFailure(
        _ classification: ErrorClassification,
        error: (any Error)?,
        attempt: Int,
        elapsed: Duration?,
        ignoringCategories: Bool,
        retryIf: RetryPredicate?,
        delay generator: RetryDelayGenerator?,
        policy: RetryPolicy,
        name: String,
        random: RandomSource,
        budget: RetryBudget?,
        observer: (any ResilienceObserver)?,
        attemptDuration: Duration? = nil
    ) -> Decision {
        // `observer != nil` first: `if let observer`, and `observer?.observe` too, copy the existential
        // (through the runtime's value witnesses, a metadata lookup included) even when it is nil.
        if observer != nil {
            observer?.observe(
                error.map {
                    .attemptFailed(strategy: name, attempt: attempt, error: $0, classification: classification, duration: attemptDuration)
                }
                    ?? .resultRejected(strategy: name, attempt: attempt, classification: classification, duration: attemptDuration)
            )
        }
        var decision: Decision
        if Task.isCancelled {
            decision = .stop(.cancelled)
        } else {
            var randomness = random.makeGenerator()
            let retryable = retryIf.flatMap { predicate in error.map { predicate($0) } }
            let previous = previousDelay
            let customDelay = generator.map { generator in
                { (scheduled: Duration) in
                    generator(
                        RetryDelayContext(
                            attempt: attempt, error: error, classification: classification,
                            scheduledDelay: scheduled, previousDelay: previous
                        )
                    )
                }
            }
            decision = decide(
                after: classification,
                attempt: attempt,
                elapsed: elapsed,
                policy: policy,
                ignoringCategories: ignoringCategories,
                retryable: retryable,
                customDelay: customDelay,
                using: &randomness
            )
            if case .retry = decision, let budget, !budget.tryAcquireRetry(afterAttempt: attempt) {
                observer?.observe(.retryBudgetRefused(strategy: name, budget: budget.name, attempt: attempt))
                decision = .stop(.retryBudgetExhausted)
            }
        }
        if observer != nil {
            observer?.observe(Self.event(for: decision, attempt: attempt, error: error, classification: classification, name: name))
        }
        return decision
    }

    /// The event that reports `decision`.
    private static func event(
        for decision: Decision,
        attempt: Int,
        error: (any Error)?,
        classification: ErrorClassification,
        name: String
    ) -> ResilienceEvent {
        switch decision {
        case .retry(let delay):
            .retryScheduled(strategy: name, attempt: attempt, delay: delay, error: error, classification: classification)
        case .stop(let reason):
            .retriesEnded(strategy: name, attempts: attempt, reason: reason, error: error)
        }
    }

    /// Throws `CancellationError` if the task is cancelled, ending the retries, instead of a wait of zero.
    @usableFromInline
    static func checkCancellation(
        afterAttempt attempt: Int,
        lastError: (any Error)?,
        name: String,
        observer: (any ResilienceObserver)?
    ) throws {
        guard Task.isCancelled else { return }
        reportCancellation(afterAttempt: attempt, lastError: lastError, name: name, observer: observer)
        throw CancellationError()
    }

    /// Tells the observer that cancellation ended the retries after `attempt`.
    @usableFromInline
    static func reportCancellation(
        afterAttempt attempt: Int,
        lastError: (any Error)?,
        name: String,
        observer: (any ResilienceObserver)?
    ) {
        observer?.observe(.retriesEnded(strategy: name, attempts: attempt, reason: .cancelled, error: lastError))
    }
}
