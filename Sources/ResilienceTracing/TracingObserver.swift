#if Tracing

import Resilience
import Tracing

/// Adds what strategies do to the caller's span, as span events: each scheduled retry (with the
/// failed attempt's number, the delay and the error category), the end of retrying, time-outs,
/// rejections by circuit breakers and limiters, fallbacks, hedged attempts, budget refusals, circuit
/// breakers' changes of state and injected faults.
///
/// ```swift
/// let ocr = ResiliencePipeline(name: "ocr", observer: TracingObserver()) {
///     Retry(.aggressive)
///     ocrBreaker
/// }
/// try await withSpan("extract receipt") { _ in
///     try await ocr.execute { try await client.extract(id) }   // retries appear on "extract receipt"
/// }
/// ```
///
/// **Which span.** An observer is called on the task running the strategy, so the span is the one
/// active there: the tracer (``tracer``, or the task's `withTracer` tracer, or the bootstrapped one)
/// finds it from `ServiceContext.current` with `activeSpan(identifiedBy:)`. Inside a ``TracedAttempts``
/// span, events of the strategies within the attempt (a breaker's rejection, a per-attempt time-out)
/// land on the attempt's span; the retry's own events on the caller's.
///
/// **Events.** Each is named `resilience.` and the kind's name (`resilience.retryScheduled`), with
/// attributes under the keys `LoggingObserver` uses for metadata: `resilience.strategy`,
/// `resilience.pipeline`, `resilience.attempt`, `resilience.delay_seconds`, `resilience.category`,
/// `resilience.retry_after_seconds`, `resilience.error_type`, `resilience.stop_reason`,
/// `resilience.budget`, `resilience.timeout_seconds`, `resilience.from_state`, `resilience.to_state`,
/// `resilience.reason`, `resilience.state`, `resilience.limit_reason`, `resilience.fault`. All are
/// bounded: names you gave, fixed vocabularies, numbers and error *type* names, never an error's
/// message. Attempt outcomes (``recordsAttemptOutcomes``) and the end of a pipeline's call (the
/// caller's span is that call) are not recorded by default.
///
/// **Cost.** The success path's events (an attempt that succeeded, a call that ended) return after
/// comparing the kind. Other events read `ServiceContext.current` and return when there is none, or
/// when the tracer has no recording span for it; attributes are built only for a recording span.
public struct TracingObserver: ResilienceObserver {
    /// The tracer whose spans receive the events, or `nil` for `InstrumentationSystem.tracer`: the
    /// calling task's `withTracer` tracer, else the bootstrapped one.
    public var tracer: (any Tracer)?
    /// Whether failed attempts and rejected results are recorded as events too
    /// (`resilience.attemptFailed`, `resilience.resultRejected`, `resilience.attemptSucceeded`).
    /// Default: `false`; a scheduled retry already carries the failed attempt's number and category.
    public var recordsAttemptOutcomes: Bool

    /// Creates an observer that adds events to the caller's span.
    ///
    /// - Parameters:
    ///   - tracer: The tracer whose spans receive the events, or `nil` (the default) for
    ///     `InstrumentationSystem.tracer`, resolved on each event.
    ///   - recordsAttemptOutcomes: Whether attempt outcomes are recorded too.
    public init(tracer: (any Tracer)? = nil, recordsAttemptOutcomes: Bool = false) {
        self.tracer = tracer
        self.recordsAttemptOutcomes = recordsAttemptOutcomes
    }

    /// Adds the event to the calling task's active span, if it has a recording one.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        switch event.kind {
        case .callCompleted:
            return
        case .attemptSucceeded, .attemptFailed, .resultRejected:
            guard recordsAttemptOutcomes else { return }
        default:
            break
        }
        guard let context = ServiceContext.current else { return }
        guard let span = (tracer ?? InstrumentationSystem.tracer).activeSpan(identifiedBy: context), span.isRecording else {
            return
        }
        span.addEvent(SpanEvent(name: event.spanEventName, attributes: event.spanAttributes))
    }
}

#endif
