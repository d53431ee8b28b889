/// Something a resilience strategy did: an attempt's outcome, a scheduled retry, the end of retrying,
/// a circuit breaker's change of state or refusal, a fallback run.
///
/// Every strategy reports through the same event type and ``ResilienceObserver``, so one observer
/// (a logger, metrics, a statistics report, a test recorder) sees all of them. ``strategy`` names the
/// strategy instance that emitted the event, such as `"ocr-retry"`, and ``pipeline`` the
/// ``ResiliencePipeline`` it runs in, if any.
public struct ResilienceEvent: Sendable, CustomStringConvertible {
    /// The name of the strategy that emitted the event.
    public var strategy: String
    /// The name of the pipeline the strategy runs in, or `nil` when it runs on its own.
    public var pipeline: String?
    /// What happened.
    public var kind: Kind

    /// Creates an event.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy that emitted the event.
    ///   - pipeline: The name of the pipeline the strategy runs in, if any.
    ///   - kind: What happened.
    @inlinable
    public init(strategy: String, pipeline: String? = nil, kind: Kind) {
        self.strategy = strategy
        self.pipeline = pipeline
        self.kind = kind
    }

    /// What happened. Attempts are numbered from 1.
    public enum Kind: Sendable {
        /// Attempt `attempt` returned a value that was accepted; the call succeeds.
        case attemptSucceeded(attempt: Int)
        /// Attempt `attempt` threw `error`, classified as `classification`.
        case attemptFailed(attempt: Int, error: any Error, classification: ErrorClassification)
        /// Attempt `attempt` returned a value the result predicate rejected as `classification`.
        case resultRejected(attempt: Int, classification: ErrorClassification)
        /// After attempt `attempt` failed (with `error`, or a rejected result when `error` is `nil`), the
        /// next attempt will start after `delay`. Emitted before the wait begins.
        case retryScheduled(attempt: Int, delay: Duration, error: (any Error)?, classification: ErrorClassification)
        /// Retrying ended after `attempts` attempts without success, for `reason`. The call throws
        /// `error` (the last attempt's, unchanged) or, when `error` is `nil`, returns the last rejected result.
        case retriesEnded(attempts: Int, reason: RetryStopReason, error: (any Error)?)
        /// The retry budget named `budget` refused the retry that would have followed attempt `attempt`;
        /// the caller gets that attempt's error. Emitted by the ``Retry`` whose retry was refused (so it
        /// carries the retry's and the pipeline's names) and by the budget to its own observer.
        case retryBudgetRefused(budget: String, attempt: Int)
        /// The operation did not finish within `timeout`; it was cancelled and a ``TimeoutError`` thrown.
        case timedOut(after: Duration)
        /// The first call is delayed by `delay`, spreading callers that start together.
        case initialDelay(Duration)
        /// A circuit breaker moved from state `from` to state `to`, for `reason`.
        case circuitStateChanged(from: CircuitState, to: CircuitState, reason: CircuitBreakerTransition.Reason)
        /// A circuit breaker in state `state` refused a call, which threw ``CircuitOpenError``.
        /// `retryAfter` is the time until the circuit may half-open, when known.
        case callRejected(state: CircuitState, retryAfter: Duration?)
        /// The primary operation failed as `reason` says, and the fallback runs instead.
        case fallbackUsed(reason: FallbackReason)
    }

    /// A one-line description such as `retry: attempt 2 failed (timeout): timed out after 5.0 seconds`,
    /// prefixed with the pipeline's name (`ocr/retry: …`) when there is one.
    public var description: String {
        guard let pipeline else { return kindDescription }
        return "\(pipeline)/\(kindDescription)"
    }

    private var kindDescription: String {
        switch kind {
        case .attemptSucceeded(let attempt):
            "\(strategy): attempt \(attempt) succeeded"
        case .attemptFailed(let attempt, let error, let classification):
            "\(strategy): attempt \(attempt) failed (\(classification)): \(error)"
        case .resultRejected(let attempt, let classification):
            "\(strategy): attempt \(attempt) returned a rejected result (\(classification))"
        case .retryScheduled(let attempt, let delay, _, let classification):
            "\(strategy): retrying after attempt \(attempt) (\(classification)) in \(delay.inSeconds) s"
        case .retriesEnded(let attempts, let reason, let error):
            "\(strategy): gave up after \(attempts) attempt\(attempts == 1 ? "" : "s") (\(reason))"
                + (error.map { ": \($0)" } ?? "")
        case .retryBudgetRefused(let budget, let attempt):
            "\(strategy): \(budget) refused a retry after attempt \(attempt)"
        case .timedOut(let timeout):
            "\(strategy): timed out after \(timeout.inSeconds) s"
        case .initialDelay(let delay):
            "\(strategy): delaying the first call by \(delay.inSeconds) s"
        case .circuitStateChanged(let from, let to, let reason):
            "\(strategy): circuit \(from) -> \(to) (\(reason))"
        case .callRejected(let state, let retryAfter):
            "\(strategy): call rejected, circuit \(state)" + (retryAfter.map { ", may half-open in \($0.inSeconds) s" } ?? "")
        case .fallbackUsed(let reason):
            "\(strategy): fallback used after \(reason)"
        }
    }
}
