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
    ///   - generator: The source of jitter.
    @usableFromInline
    mutating func decide<Generator: RandomNumberGenerator>(
        after classification: ErrorClassification,
        attempt: Int,
        elapsed: Duration?,
        policy: RetryPolicy,
        ignoringCategories: Bool = false,
        using generator: inout Generator
    ) -> Decision {
        let category = classification.category
        if category == .cancellation { return .stop(.cancelled) }
        guard ignoringCategories || policy.retries(category) else { return .stop(.notRetryable) }
        guard attempt < policy.maxAttempts else { return .stop(.attemptsExhausted) }

        let schedule = policy.backoff(for: category)
        var delay = policy.jitter.apply(
            to: schedule.delay(forRetry: attempt),
            previousDelay: previousDelay,
            backoff: schedule,
            using: &generator
        )
        // A server controls the hint: bound it (the field is public and may be set past the initialiser's clamp).
        if let hint = classification.retryAfter.map({ min(max($0, .zero), .saturatedMaximum) }) {
            if let cap = schedule.maxDelay, hint > cap { return .stop(.retryAfterExceedsMaxDelay) }
            delay = max(delay, hint)
        }
        if let budget = policy.maxElapsedTime, let elapsed, elapsed + delay > budget {
            return .stop(.elapsedTimeExhausted)
        }
        previousDelay = delay
        return .retry(after: delay)
    }
}
