/// Why a retry loop stopped retrying without a success.
///
/// A struct with static members rather than an enum, so reasons can be added without breaking code
/// that switches over them.
public struct RetryStopReason: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    enum Storage: String, Hashable, Sendable {
        case attemptsExhausted, notRetryable, elapsedTimeExhausted, retryAfterExceedsMaxDelay, retryBudgetExhausted, cancelled
        case notIdempotent, bodyNotReplayable
    }

    @usableFromInline
    let storage: Storage

    @inlinable
    init(_ storage: Storage) {
        self.storage = storage
    }

    /// The policy's ``RetryPolicy/maxAttempts`` were all used.
    public static let attemptsExhausted = RetryStopReason(.attemptsExhausted)
    /// The failure's category is not in the policy's ``RetryPolicy/retryableCategories``.
    public static let notRetryable = RetryStopReason(.notRetryable)
    /// The next wait would end past the policy's ``RetryPolicy/maxElapsedTime`` (or a server's
    /// `Retry-After` hint is longer than the time left), so the loop failed fast instead of sleeping.
    public static let elapsedTimeExhausted = RetryStopReason(.elapsedTimeExhausted)
    /// A server's `Retry-After` hint is longer than the schedule's ``Backoff/maxDelay``: retrying
    /// earlier would ignore the server and waiting longer would break the cap, so the loop failed fast.
    public static let retryAfterExceedsMaxDelay = RetryStopReason(.retryAfterExceedsMaxDelay)
    /// The ``RetryBudget`` shared by the calls refused the retry: too many retries lately.
    public static let retryBudgetExhausted = RetryStopReason(.retryBudgetExhausted)
    /// The calling task was cancelled, or the failure was a cancellation.
    public static let cancelled = RetryStopReason(.cancelled)
    /// The failure was retryable, but the request may not be sent twice: its method is not idempotent
    /// (an HTTP `POST` or `PATCH` without an `Idempotency-Key`) and the caller did not say retrying it is
    /// safe. Reported by ResilienceHTTP's `HTTPRetry` after the one attempt it made.
    public static let notIdempotent = RetryStopReason(.notIdempotent)
    /// The failure was retryable, but the request's body cannot be sent again (a stream consumed by
    /// the first attempt), as its caller said. Reported by ResilienceHTTP's `HTTPRetry` after the one
    /// attempt it made.
    public static let bodyNotReplayable = RetryStopReason(.bodyNotReplayable)

    /// The reason's name, such as `attemptsExhausted`.
    public var description: String { storage.rawValue }
}
