/// Something a resilience strategy did: an attempt's outcome, a scheduled retry, the end of retrying,
/// a circuit breaker's change of state or refusal, a fallback run, a time-out.
///
/// Every strategy reports through the same event type and ``ResilienceObserver``, so one observer
/// (a logger, metrics, a statistics report, a test recorder) sees all of them. ``strategy`` names the
/// strategy instance that emitted the event, such as `"ocr-retry"`, and ``pipeline`` the
/// ``ResiliencePipeline`` it runs in, if any.
///
/// ``kind`` says what happened; the accessors (``attempt``, ``delay``, ``error``, ``classification``,
/// ``stopReason``, ``transition``, ...) carry what the kind reports, and are `nil` for kinds that do
/// not report it. Both can grow: new kinds and new accessors are added without breaking observers,
/// because ``Kind`` is a struct (switch over it with a `default:`) rather than an enum.
///
/// ```swift
/// let observer = ClosureObserver { event in
///     switch event.kind {
///     case .retryScheduled:
///         print("retry \(event.attempt ?? 0) in \(event.delay ?? .zero)")
///     case .circuitStateChanged:
///         print("breaker \(event.strategy): \(event.transition.map(String.init(describing:)) ?? "")")
///     default:
///         break
///     }
/// }
/// ```
public struct ResilienceEvent: Sendable, CustomStringConvertible {
    /// The name of the strategy that emitted the event.
    public var strategy: String
    /// The name of the pipeline the strategy runs in, or `nil` when it runs on its own.
    public var pipeline: String?
    /// What happened, with what it reports.
    @usableFromInline
    var details: Details

    @inlinable
    init(strategy: String, pipeline: String? = nil, details: Details) {
        self.strategy = strategy
        self.pipeline = pipeline
        self.details = details
    }

    /// What happened.
    public var kind: Kind {
        switch details {
        case .callCompleted: .callCompleted
        case .attemptSucceeded: .attemptSucceeded
        case .attemptFailed: .attemptFailed
        case .resultRejected: .resultRejected
        case .retryScheduled: .retryScheduled
        case .retriesEnded: .retriesEnded
        case .retryBudgetRefused: .retryBudgetRefused
        case .timedOut: .timedOut
        case .initialDelay: .initialDelay
        case .circuitStateChanged: .circuitStateChanged
        case .callRejected: .callRejected
        case .fallbackUsed: .fallbackUsed
        case .limitExceeded: .limitExceeded
        case .hedgeStarted: .hedgeStarted
        case .faultInjected: .faultInjected
        }
    }

    /// The payload of each kind. Internal, so kinds and payloads can grow.
    @usableFromInline
    enum Details: Sendable {
        case callCompleted(duration: Duration?, error: (any Error)?, classification: ErrorClassification?)
        case attemptSucceeded(attempt: Int, duration: Duration?)
        case attemptFailed(attempt: Int, error: any Error, classification: ErrorClassification, duration: Duration?)
        case resultRejected(attempt: Int, classification: ErrorClassification, duration: Duration?)
        case retryScheduled(attempt: Int, delay: Duration, error: (any Error)?, classification: ErrorClassification)
        case retriesEnded(attempts: Int, reason: RetryStopReason, error: (any Error)?)
        case retryBudgetRefused(budget: String, attempt: Int)
        case timedOut(after: Duration)
        case initialDelay(Duration)
        case circuitStateChanged(CircuitBreakerTransition)
        case callRejected(state: CircuitState, retryAfter: Duration?)
        case fallbackUsed(reason: FallbackReason)
        case limitExceeded(reason: LimitExceededError.Reason, retryAfter: Duration?)
        case hedgeStarted(attempt: Int, delay: Duration)
        case faultInjected(fault: String)
    }
}

// MARK: - Kinds

extension ResilienceEvent {
    /// What kind of thing happened: a name, compared with `==` or matched in a `switch` (with a
    /// `default:` case, since kinds are added as strategies are).
    ///
    /// A struct with static members rather than an enum, so kinds can be added without breaking code
    /// that switches over them; the payload of each kind is read through the event's accessors.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        @usableFromInline
        enum Storage: String, Hashable, Sendable, CaseIterable {
            case callCompleted, attemptSucceeded, attemptFailed, resultRejected, retryScheduled, retriesEnded
            case retryBudgetRefused, timedOut, initialDelay, circuitStateChanged, callRejected, fallbackUsed
            case limitExceeded, hedgeStarted, faultInjected
        }

        @usableFromInline
        let storage: Storage

        @inlinable
        init(_ storage: Storage) {
            self.storage = storage
        }

        /// A call through a ``ResiliencePipeline`` that has an observer ended: the pipeline's whole call,
        /// every strategy included. Reports ``ResilienceEvent/duration`` and, when it threw,
        /// ``ResilienceEvent/error`` (unchanged) and ``ResilienceEvent/classification``; both are `nil`
        /// for a call that returned a value. ``ResilienceEvent/strategy`` is the pipeline's name.
        public static let callCompleted = Kind(.callCompleted)
        /// An attempt returned a value that was accepted; the call succeeds. Reports ``ResilienceEvent/attempt``
        /// and, when the strategy timed it, ``ResilienceEvent/duration``.
        public static let attemptSucceeded = Kind(.attemptSucceeded)
        /// An attempt threw. Reports ``ResilienceEvent/attempt``, ``ResilienceEvent/error``,
        /// ``ResilienceEvent/classification`` and, when the strategy timed it, ``ResilienceEvent/duration``.
        public static let attemptFailed = Kind(.attemptFailed)
        /// An attempt returned a value that the result classification rejected. Reports
        /// ``ResilienceEvent/attempt``, ``ResilienceEvent/classification`` and, when the strategy timed it,
        /// ``ResilienceEvent/duration``.
        public static let resultRejected = Kind(.resultRejected)
        /// After a failed attempt, the next one will start after a delay; emitted before the wait begins.
        /// Reports ``ResilienceEvent/attempt`` (the attempt that failed), ``ResilienceEvent/delay``,
        /// ``ResilienceEvent/classification`` and ``ResilienceEvent/error`` (`nil` for a rejected result).
        public static let retryScheduled = Kind(.retryScheduled)
        /// Retrying ended without success. Reports ``ResilienceEvent/attempt`` (the attempts made),
        /// ``ResilienceEvent/stopReason`` and ``ResilienceEvent/error`` (the last attempt's, unchanged,
        /// which the call throws; `nil` when it returns the last rejected result).
        public static let retriesEnded = Kind(.retriesEnded)
        /// A retry budget refused the retry that would have followed an attempt; the caller gets that
        /// attempt's error. Reports ``ResilienceEvent/budget`` and ``ResilienceEvent/attempt``.
        public static let retryBudgetRefused = Kind(.retryBudgetRefused)
        /// The operation did not finish in time; it was cancelled and a ``TimeoutError`` thrown.
        /// Reports ``ResilienceEvent/timeout``.
        public static let timedOut = Kind(.timedOut)
        /// The first call is delayed, spreading callers that start together. Reports ``ResilienceEvent/delay``.
        public static let initialDelay = Kind(.initialDelay)
        /// A circuit breaker changed state. Reports ``ResilienceEvent/transition``.
        public static let circuitStateChanged = Kind(.circuitStateChanged)
        /// A circuit breaker refused a call, which threw ``CircuitOpenError``. Reports
        /// ``ResilienceEvent/circuitState`` and ``ResilienceEvent/retryAfter`` (when known).
        public static let callRejected = Kind(.callRejected)
        /// The primary operation failed in a handled way and a fallback runs instead. Reports
        /// ``ResilienceEvent/fallbackReason``, ``ResilienceEvent/error`` and ``ResilienceEvent/classification``.
        public static let fallbackUsed = Kind(.fallbackUsed)
        /// A limiter (concurrency, rate, partitioned, adaptive throttle) refused a call, which threw
        /// ``LimitExceededError``. Reports ``ResilienceEvent/limitReason`` and ``ResilienceEvent/retryAfter``
        /// (when known).
        public static let limitExceeded = Kind(.limitExceeded)
        /// A hedging strategy started another attempt while earlier ones were still running (or had
        /// failed). Reports ``ResilienceEvent/attempt`` (the new attempt's number, from 2) and
        /// ``ResilienceEvent/delay`` (how long after the previous attempt it started).
        public static let hedgeStarted = Kind(.hedgeStarted)
        /// A fault-injection strategy injected a fault into a call. Reports ``ResilienceEvent/fault``.
        public static let faultInjected = Kind(.faultInjected)

        /// The kind's name as used in logs and metrics, such as `retryScheduled`.
        public var name: String { storage.rawValue }

        /// The kind's ``name``.
        public var description: String { name }
    }
}

// MARK: - Making events

extension ResilienceEvent {
    /// A pipeline's call ended, after `duration`, with `error` or (when `nil`) a value.
    ///
    /// - Parameters:
    ///   - strategy: The name of the pipeline.
    ///   - duration: How long the whole call took, when measured.
    ///   - error: The error the call threw, or `nil` when it returned a value.
    ///   - classification: The error's classification, or `nil` when it returned a value.
    public static func callCompleted(
        strategy: String,
        duration: Duration?,
        error: (any Error)?,
        classification: ErrorClassification?
    ) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .callCompleted(duration: duration, error: error, classification: classification))
    }

    /// An attempt succeeded.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - attempt: The attempt's number, from 1.
    ///   - duration: How long the attempt took, when the strategy timed it.
    @inlinable
    public static func attemptSucceeded(strategy: String, attempt: Int, duration: Duration? = nil) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .attemptSucceeded(attempt: attempt, duration: duration))
    }

    /// An attempt threw `error`, classified as `classification`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - attempt: The attempt's number, from 1.
    ///   - error: The attempt's error.
    ///   - classification: The error's classification.
    ///   - duration: How long the attempt took, when the strategy timed it.
    public static func attemptFailed(
        strategy: String,
        attempt: Int,
        error: any Error,
        classification: ErrorClassification,
        duration: Duration? = nil
    ) -> ResilienceEvent {
        ResilienceEvent(
            strategy: strategy,
            details: .attemptFailed(attempt: attempt, error: error, classification: classification, duration: duration)
        )
    }

    /// An attempt returned a value rejected as `classification`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - attempt: The attempt's number, from 1.
    ///   - classification: How the value was classified.
    ///   - duration: How long the attempt took, when the strategy timed it.
    public static func resultRejected(
        strategy: String,
        attempt: Int,
        classification: ErrorClassification,
        duration: Duration? = nil
    ) -> ResilienceEvent {
        ResilienceEvent(
            strategy: strategy,
            details: .resultRejected(attempt: attempt, classification: classification, duration: duration)
        )
    }

    /// After attempt `attempt` failed, the next one starts after `delay`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - attempt: The number of the attempt that failed.
    ///   - delay: The wait before the next attempt.
    ///   - error: The attempt's error, or `nil` for a rejected result.
    ///   - classification: The failure's classification.
    public static func retryScheduled(
        strategy: String,
        attempt: Int,
        delay: Duration,
        error: (any Error)?,
        classification: ErrorClassification
    ) -> ResilienceEvent {
        ResilienceEvent(
            strategy: strategy,
            details: .retryScheduled(attempt: attempt, delay: delay, error: error, classification: classification)
        )
    }

    /// Retrying ended after `attempts` attempts without success, for `reason`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - attempts: The attempts made.
    ///   - reason: Why retrying stopped.
    ///   - error: The last attempt's error, or `nil` when the last result was rejected.
    public static func retriesEnded(
        strategy: String,
        attempts: Int,
        reason: RetryStopReason,
        error: (any Error)?
    ) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .retriesEnded(attempts: attempts, reason: reason, error: error))
    }

    /// The retry budget named `budget` refused the retry after attempt `attempt`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - budget: The budget's name.
    ///   - attempt: The number of the attempt that failed.
    public static func retryBudgetRefused(strategy: String, budget: String, attempt: Int) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .retryBudgetRefused(budget: budget, attempt: attempt))
    }

    /// The operation did not finish within `timeout`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - timeout: The time limit that passed.
    public static func timedOut(strategy: String, after timeout: Duration) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .timedOut(after: timeout))
    }

    /// The first call is delayed by `delay`.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - delay: The delay.
    public static func initialDelay(strategy: String, delay: Duration) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .initialDelay(delay))
    }

    /// A circuit breaker changed state.
    ///
    /// - Parameters:
    ///   - strategy: The name of the breaker emitting the event.
    ///   - transition: From where, to where, and why.
    public static func circuitStateChanged(strategy: String, transition: CircuitBreakerTransition) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .circuitStateChanged(transition))
    }

    /// A circuit breaker in state `state` refused a call.
    ///
    /// - Parameters:
    ///   - strategy: The name of the breaker emitting the event.
    ///   - state: The state that refused the call.
    ///   - retryAfter: The time until the circuit may half-open, when known.
    public static func callRejected(strategy: String, state: CircuitState, retryAfter: Duration?) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .callRejected(state: state, retryAfter: retryAfter))
    }

    /// A fallback runs instead of the failed primary operation.
    ///
    /// - Parameters:
    ///   - strategy: The name of the fallback emitting the event.
    ///   - reason: Why the fallback runs.
    public static func fallbackUsed(strategy: String, reason: FallbackReason) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .fallbackUsed(reason: reason))
    }

    /// A limiter refused a call.
    ///
    /// - Parameters:
    ///   - strategy: The name of the limiter emitting the event.
    ///   - reason: Why it refused the call.
    ///   - retryAfter: How long until a permit may be free, when known.
    public static func limitExceeded(
        strategy: String,
        reason: LimitExceededError.Reason,
        retryAfter: Duration?
    ) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .limitExceeded(reason: reason, retryAfter: retryAfter))
    }

    /// A hedging strategy started attempt `attempt`, `delay` after the previous one.
    ///
    /// - Parameters:
    ///   - strategy: The name of the hedging strategy emitting the event.
    ///   - attempt: The new attempt's number, from 2.
    ///   - delay: How long after the previous attempt it started (zero when a failure started it).
    public static func hedgeStarted(strategy: String, attempt: Int, delay: Duration) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .hedgeStarted(attempt: attempt, delay: delay))
    }

    /// A fault-injection strategy injected `fault` into a call.
    ///
    /// - Parameters:
    ///   - strategy: The name of the strategy emitting the event.
    ///   - fault: What was injected, such as `error`, `latency(2.0 s)` or `result`.
    public static func faultInjected(strategy: String, fault: String) -> ResilienceEvent {
        ResilienceEvent(strategy: strategy, details: .faultInjected(fault: fault))
    }
}

// MARK: - Payloads

extension ResilienceEvent {
    /// The attempt's number (from 1) for attempt and retry events; the number of attempts made for
    /// ``Kind/retriesEnded``; `nil` for other kinds.
    public var attempt: Int? {
        switch details {
        case .attemptSucceeded(let attempt, _), .attemptFailed(let attempt, _, _, _), .resultRejected(let attempt, _, _),
            .retryScheduled(let attempt, _, _, _), .retryBudgetRefused(_, let attempt), .hedgeStarted(let attempt, _):
            attempt
        case .retriesEnded(let attempts, _, _):
            attempts
        default:
            nil
        }
    }

    /// The wait: before the next attempt (``Kind/retryScheduled``) or before the first (``Kind/initialDelay``).
    public var delay: Duration? {
        switch details {
        case .retryScheduled(_, let delay, _, _), .initialDelay(let delay), .hedgeStarted(_, let delay): delay
        default: nil
        }
    }

    /// The error the event is about: an attempt's, the last one when retrying ended, or the one a
    /// fallback replaces; unchanged. `nil` for a rejected result and for other kinds.
    public var error: (any Error)? {
        switch details {
        case .attemptFailed(_, let error, _, _): error
        case .callCompleted(_, let error, _): error
        case .retryScheduled(_, _, let error, _), .retriesEnded(_, _, let error): error
        case .fallbackUsed(let reason): reason.error
        default: nil
        }
    }

    /// The failure's classification, for failed attempts, rejected results, scheduled retries and fallbacks.
    public var classification: ErrorClassification? {
        switch details {
        case .attemptFailed(_, _, let classification, _), .resultRejected(_, let classification, _),
            .retryScheduled(_, _, _, let classification):
            classification
        case .callCompleted(_, _, let classification):
            classification
        case .fallbackUsed(let reason):
            reason.classification
        default:
            nil
        }
    }

    /// How long an attempt (``Kind/attemptSucceeded``, ``Kind/attemptFailed``, ``Kind/resultRejected``) or a
    /// pipeline's whole call (``Kind/callCompleted``) took, when it was measured.
    public var duration: Duration? {
        switch details {
        case .attemptSucceeded(_, let duration), .attemptFailed(_, _, _, let duration), .resultRejected(_, _, let duration),
            .callCompleted(let duration, _, _):
            duration
        default:
            nil
        }
    }

    /// Why retrying stopped (``Kind/retriesEnded``).
    public var stopReason: RetryStopReason? {
        guard case .retriesEnded(_, let reason, _) = details else { return nil }
        return reason
    }

    /// The retry budget that refused a retry (``Kind/retryBudgetRefused``).
    public var budget: String? {
        guard case .retryBudgetRefused(let budget, _) = details else { return nil }
        return budget
    }

    /// The time limit that passed (``Kind/timedOut``).
    public var timeout: Duration? {
        guard case .timedOut(let timeout) = details else { return nil }
        return timeout
    }

    /// A circuit breaker's change of state (``Kind/circuitStateChanged``).
    public var transition: CircuitBreakerTransition? {
        guard case .circuitStateChanged(let transition) = details else { return nil }
        return transition
    }

    /// The state of the circuit that refused a call (``Kind/callRejected``).
    public var circuitState: CircuitState? {
        guard case .callRejected(let state, _) = details else { return nil }
        return state
    }

    /// How long until the refusing strategy may admit calls again, when known (``Kind/callRejected``,
    /// ``Kind/limitExceeded``).
    public var retryAfter: Duration? {
        switch details {
        case .callRejected(_, let retryAfter), .limitExceeded(_, let retryAfter): retryAfter
        default: nil
        }
    }

    /// Why a limiter refused a call (``Kind/limitExceeded``).
    public var limitReason: LimitExceededError.Reason? {
        guard case .limitExceeded(let reason, _) = details else { return nil }
        return reason
    }

    /// What a fault-injection strategy injected (``Kind/faultInjected``).
    public var fault: String? {
        guard case .faultInjected(let fault) = details else { return nil }
        return fault
    }

    /// Why a fallback runs (``Kind/fallbackUsed``).
    public var fallbackReason: FallbackReason? {
        guard case .fallbackUsed(let reason) = details else { return nil }
        return reason
    }
}

// MARK: - Description

extension ResilienceEvent {
    /// A one-line description such as `retry: attempt 2 failed (timeout): timed out after 5.0 seconds`,
    /// prefixed with the pipeline's name (`ocr/retry: …`) when there is one.
    public var description: String {
        guard let pipeline else { return detailsDescription }
        return "\(pipeline)/\(detailsDescription)"
    }

    private var detailsDescription: String {
        switch details {
        case .callCompleted(_, let error, let classification):
            "\(strategy): call "
                + (error.map { "failed (\(classification.map(String.init(describing:)) ?? "error")): \($0)" } ?? "succeeded")
        case .attemptSucceeded(let attempt, _):
            "\(strategy): attempt \(attempt) succeeded"
        case .attemptFailed(let attempt, let error, let classification, _):
            "\(strategy): attempt \(attempt) failed (\(classification)): \(error)"
        case .resultRejected(let attempt, let classification, _):
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
        case .circuitStateChanged(let transition):
            "\(strategy): circuit \(transition.from) -> \(transition.to) (\(transition.reason))"
        case .callRejected(let state, let retryAfter):
            "\(strategy): call rejected, circuit \(state)" + (retryAfter.map { ", may half-open in \($0.inSeconds) s" } ?? "")
        case .fallbackUsed(let reason):
            "\(strategy): fallback used after \(reason)"
        case .limitExceeded(let reason, let retryAfter):
            "\(strategy): call refused (\(reason))" + (retryAfter.map { ", a permit is free in \($0.inSeconds) s" } ?? "")
        case .hedgeStarted(let attempt, let delay):
            "\(strategy): started hedged attempt \(attempt) after \(delay.inSeconds) s"
        case .faultInjected(let fault):
            "\(strategy): injected \(fault)"
        }
    }
}
