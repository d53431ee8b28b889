#if Tracing

import Resilience
import Tracing

/// The attribute keys of the span events and attempt spans this module records: the same keys as
/// `LoggingObserver`'s metadata, so one vocabulary reads across logs and traces; all bounded (names you
/// gave, fixed vocabularies, numbers, error type names), never an error's message.
enum AttributeKey {
    static let event = "resilience.event"
    static let strategy = "resilience.strategy"
    static let pipeline = "resilience.pipeline"
    static let attempt = "resilience.attempt"
    static let resendCount = "resilience.resend_count"
    static let delay = "resilience.delay_seconds"
    static let duration = "resilience.duration_seconds"
    static let category = "resilience.category"
    static let retryAfter = "resilience.retry_after_seconds"
    static let errorType = "resilience.error_type"
    static let stopReason = "resilience.stop_reason"
    static let budget = "resilience.budget"
    static let timeout = "resilience.timeout_seconds"
    static let fromState = "resilience.from_state"
    static let toState = "resilience.to_state"
    static let reason = "resilience.reason"
    static let state = "resilience.state"
    static let limitReason = "resilience.limit_reason"
    static let fault = "resilience.fault"
}

extension ResilienceEvent {
    /// The span event's name: `resilience.` and the kind's name, such as `resilience.retryScheduled`.
    var spanEventName: String { "resilience.\(kind.name)" }

    /// What the event reports, as span attributes under ``AttributeKey``'s keys.
    var spanAttributes: SpanAttributes {
        var attributes = SpanAttributes()
        attributes.set(AttributeKey.event, value: .string(kind.name))
        attributes.set(AttributeKey.strategy, value: .string(strategy))
        if let pipeline { attributes.set(AttributeKey.pipeline, value: .string(pipeline)) }
        if let attempt { attributes.set(AttributeKey.attempt, value: .int64(Int64(attempt))) }
        if let delay { attributes.set(AttributeKey.delay, value: .double(delay.seconds)) }
        if let duration { attributes.set(AttributeKey.duration, value: .double(duration.seconds)) }
        if let classification {
            attributes.set(AttributeKey.category, value: .string(classification.category.name))
            if let hint = classification.retryAfter { attributes.set(AttributeKey.retryAfter, value: .double(hint.seconds)) }
        }
        if let error { attributes.set(AttributeKey.errorType, value: .string(String(reflecting: type(of: error)))) }
        if let stopReason { attributes.set(AttributeKey.stopReason, value: .string(stopReason.description)) }
        if let budget { attributes.set(AttributeKey.budget, value: .string(budget)) }
        if let timeout { attributes.set(AttributeKey.timeout, value: .double(timeout.seconds)) }
        if let transition {
            attributes.set(AttributeKey.fromState, value: .string(transition.from.name))
            attributes.set(AttributeKey.toState, value: .string(transition.to.name))
            attributes.set(AttributeKey.reason, value: .string(transition.reason.description))
        }
        if let circuitState { attributes.set(AttributeKey.state, value: .string(circuitState.name)) }
        if let retryAfter { attributes.set(AttributeKey.retryAfter, value: .double(retryAfter.seconds)) }
        if let limitReason { attributes.set(AttributeKey.limitReason, value: .string(limitReason.name)) }
        if let fault { attributes.set(AttributeKey.fault, value: .string(fault)) }
        return attributes
    }
}

extension Duration {
    /// This duration in seconds, as a floating-point value.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

#endif
