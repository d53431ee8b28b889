#if Metrics

import Resilience

/// Every metric the observer records, with how its dimensions are laid out: the one place the naming
/// scheme lives (``MetricsObserver/metrics`` and the documentation are checked against it).
enum MetricID: UInt8, Hashable, Sendable, CaseIterable {
    case events, calls, callDuration, attempts, attemptDuration, retryCalls, retryStops, retryDelay
    case retryBudgetRefusals, rejections, circuitState, circuitTransitions

    /// Which of its scope's names lead a metric's dimensions.
    enum Prefix {
        /// `pipeline.name`, `strategy.name`: the event's pipeline and strategy.
        case pipelineAndStrategy
        /// `pipeline.name` only: a pipeline's own call, whose scope's pipeline is the pipeline itself.
        case pipeline
        /// `strategy.name` only: a circuit breaker's own state, shared by every pipeline using it.
        case strategy
    }

    var name: String {
        switch self {
        case .events: MetricsObserver.MetricName.events
        case .calls: MetricsObserver.MetricName.calls
        case .callDuration: MetricsObserver.MetricName.callDuration
        case .attempts: MetricsObserver.MetricName.attempts
        case .attemptDuration: MetricsObserver.MetricName.attemptDuration
        case .retryCalls: MetricsObserver.MetricName.retryCalls
        case .retryStops: MetricsObserver.MetricName.retryStops
        case .retryDelay: MetricsObserver.MetricName.retryDelay
        case .retryBudgetRefusals: MetricsObserver.MetricName.retryBudgetRefusals
        case .rejections: MetricsObserver.MetricName.rejections
        case .circuitState: MetricsObserver.MetricName.circuitState
        case .circuitTransitions: MetricsObserver.MetricName.circuitTransitions
        }
    }

    var type: MetricsObserver.MetricType {
        switch self {
        case .callDuration, .attemptDuration, .retryDelay: .timer
        case .circuitState: .gauge
        default: .counter
        }
    }

    var prefix: Prefix {
        switch self {
        case .calls, .callDuration: .pipeline
        case .circuitState, .circuitTransitions: .strategy
        default: .pipelineAndStrategy
        }
    }

    /// The dimensions after the prefix, whose values each event supplies.
    var valueDimensions: [String] {
        typealias Dimension = MetricsObserver.Dimension
        return switch self {
        case .events: [Dimension.event, Dimension.errorCategory]
        case .calls, .attempts: [Dimension.outcome, Dimension.errorCategory, Dimension.errorType]
        case .callDuration, .attemptDuration: [Dimension.outcome]
        case .retryCalls: [Dimension.retryKind]
        case .retryStops, .rejections: [Dimension.reason]
        case .retryDelay: [Dimension.errorCategory]
        case .retryBudgetRefusals: [Dimension.budget]
        case .circuitState: [Dimension.state]
        case .circuitTransitions: [Dimension.fromState, Dimension.toState, Dimension.reason]
        }
    }

    var prefixDimensions: [String] {
        switch prefix {
        case .pipelineAndStrategy: [MetricsObserver.Dimension.pipeline, MetricsObserver.Dimension.strategy]
        case .pipeline: [MetricsObserver.Dimension.pipeline]
        case .strategy: [MetricsObserver.Dimension.strategy]
        }
    }

    var metric: MetricsObserver.Metric {
        MetricsObserver.Metric(name: name, type: type, dimensions: prefixDimensions + valueDimensions)
    }

    /// The dimensions of one series of this metric, for the factory: names and values, in order.
    ///
    /// - Parameters:
    ///   - scope: The pipeline and strategy the series belongs to.
    ///   - values: The values of ``valueDimensions``, in order (extra values are ignored).
    func dimensions(in scope: ScopeKey, values: [String]) -> [(String, String)] {
        let prefixValues: [String] =
            switch prefix {
            case .pipelineAndStrategy: [scope.pipeline, scope.strategy]
            case .pipeline: [scope.pipeline]
            case .strategy: [scope.strategy]
            }
        return Array(zip(prefixDimensions + valueDimensions, prefixValues + values))
    }
}

/// The values the fixed vocabularies contribute to dimensions. String literals, so building a key
/// from them allocates nothing.
enum DimensionValue {
    static let none = ""
    static let success = "success"
    static let failure = "failure"
    static let successWithoutRetry = "successWithoutRetry"
    static let successWithRetry = "successWithRetry"
    static let failureWithoutRetry = "failureWithoutRetry"
    static let failureWithRetry = "failureWithRetry"
    /// The names of the success path's event kinds, so that their keys are built without reading the event.
    static let attemptSucceeded = ResilienceEvent.Kind.attemptSucceeded.name
    static let callCompleted = ResilienceEvent.Kind.callCompleted.name
}

#endif
