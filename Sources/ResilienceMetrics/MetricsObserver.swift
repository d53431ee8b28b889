#if Metrics

import CoreMetrics
import Resilience

/// Records what strategies do as swift-metrics counters, timers and gauges, through the
/// `MetricsFactory` you give it: calls and attempts by outcome, their durations, retries and their
/// delays, rejections by reason, circuit breakers' states.
///
/// ```swift
/// let metrics = MetricsObserver(factory: prometheusFactory)   // or MetricsSystem.factory
/// let ocr = ResiliencePipeline(name: "ocr", observer: CompositeObserver([metrics, LoggingObserver()])) {
///     Retry(.aggressive, name: "ocr-retry")
///     ocrBreaker
/// }
/// metrics.recordState(of: ocrBreaker)   // the state gauge before the first change of state
/// ```
///
/// **One naming scheme.** The metrics, their types and dimensions are fixed: ``metrics`` lists them
/// and the "Metric names" article documents each. Names are dotted, like Polly's
/// `resilience.polly.strategy.events` and resilience4j's `resilience4j.retry.calls`; exporters that
/// need another form derive it (swift-prometheus: `resilience_calls`, `pipeline_name`). Every metric
/// always has the same dimensions in the same order, so one registry can hold every pipeline's and
/// strategy's series.
///
/// **Bounded dimensions.** A dimension's value is a name you gave (a pipeline, a strategy, a retry
/// budget) or comes from a fixed vocabulary (event kinds, error categories, stop and rejection
/// reasons, circuit states), plus, for failed attempts and calls, the error's *type* name: one value
/// per error type your code throws, never an error's message, a URL or an identifier. Give your
/// strategies fixed names, not per-request ones.
///
/// **Cost.** Each series' handler is made once, on first use, through the factory, and kept: an event
/// then looks up its pipeline and strategy under one lock and updates its handlers, without
/// allocating. The handlers are called under that lock, so they must not block (swift-metrics
/// backends update atomics or enqueue).
///
/// **Nothing global.** The observer records through `factory` only: it never bootstraps
/// `MetricsSystem` and never reads its factory, task-local or global, after you pass one.
///
/// Which events arrive depends on where the observer sits: give it to a `ResiliencePipeline` (every
/// strategy's events, and the end of each call: `resilience.calls` needs that) or to single
/// strategies.
public final class MetricsObserver: ResilienceObserver {
    /// The factory every metric is made through.
    public let factory: any MetricsFactory
    private let registry: AnnotatedMutex<MetricsRegistry>

    /// Creates an observer that makes its metrics through `factory`.
    ///
    /// - Parameter factory: The factory to make counters, timers and gauges with, such as a
    ///   `PrometheusMetricsFactory`, or `MetricsSystem.factory` for the one the application bootstrapped.
    public init(factory: any MetricsFactory) {
        self.factory = factory
        self.registry = AnnotatedMutex(MetricsRegistry(factory: factory))
    }

    /// Every metric the observer records, with its type and dimensions, in the order of the
    /// "Metric names" article.
    public static let metrics: [Metric] = MetricID.allCases.map(\.metric)

    /// Records the event.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        switch event.kind {
        case .attemptSucceeded:
            recordSuccessfulAttempt(event)
        case .callCompleted:
            recordCall(event)
        case .circuitStateChanged:
            recordEvent(event)
            if let transition = event.transition { record(transition, ofBreaker: event.strategy) }
        default:
            recordNotableEvent(event)
        }
    }

    /// Sets the state gauge of `breaker` to its current state: 1 for that state, 0 for the others.
    ///
    /// The observer otherwise learns a breaker's state from its changes of state; call this once when
    /// you set the breaker up so that the gauge exists (at its current state: `closed` for a new breaker)
    /// before the first change.
    ///
    /// - Parameter breaker: The circuit breaker.
    public func recordState<ClockType: Clock>(of breaker: CircuitBreaker<ClockType>) {
        recordState(breaker.state, ofBreaker: breaker.name)
    }

    /// Sets the state gauge of the breaker named `name` to `state`: 1 for that state, 0 for the others.
    ///
    /// - Parameters:
    ///   - state: The breaker's state.
    ///   - name: The breaker's name.
    public func recordState(_ state: CircuitState, ofBreaker name: String) {
        registry.withLock { registry in
            registry.update(ScopeKey(pipeline: DimensionValue.none, strategy: name)) { scope, makers in
                Self.setStateGauges(to: state, in: &scope, makers)
            }
        }
    }

    // MARK: - Success path

    private func recordSuccessfulAttempt(_ event: ResilienceEvent) {
        let pipeline = event.pipeline ?? DimensionValue.none
        let strategy = event.strategy
        let firstAttempt = (event.attempt ?? 1) <= 1
        let nanoseconds = event.duration?.timerNanoseconds
        registry.withLock { registry in
            registry.update(pipeline: pipeline, strategy: strategy) { scope in
                increment(&scope.attemptSucceededEvents, orMake: counter(.events, DimensionValue.attemptSucceeded, pipeline, strategy))
                increment(&scope.successfulAttempts, orMake: counter(.attempts, DimensionValue.success, pipeline, strategy))
                if let nanoseconds {
                    recordDuration(
                        nanoseconds, in: &scope.successfulAttemptDurations,
                        orMake: timer(.attemptDuration, DimensionValue.success, pipeline, strategy))
                }
                if firstAttempt {
                    increment(
                        &scope.successesWithoutRetry, orMake: counter(.retryCalls, DimensionValue.successWithoutRetry, pipeline, strategy))
                } else {
                    increment(&scope.successesWithRetry, orMake: counter(.retryCalls, DimensionValue.successWithRetry, pipeline, strategy))
                }
            }
        }
    }

    /// A counter of `metric` in the scope of `pipeline` and `strategy`, whose first value dimension is
    /// `value` and the others empty: made for a success path slot, on first use.
    private func counter(_ metric: MetricID, _ value: String, _ pipeline: String, _ strategy: String) -> any CounterHandler {
        let dimensions = metric.dimensions(in: ScopeKey(pipeline: pipeline, strategy: strategy), values: [value, "", ""])
        return factory.makeCounter(label: metric.name, dimensions: dimensions)
    }

    /// A timer of `metric`, made as ``counter(_:_:_:_:)`` makes counters.
    private func timer(_ metric: MetricID, _ value: String, _ pipeline: String, _ strategy: String) -> any TimerHandler {
        let dimensions = metric.dimensions(in: ScopeKey(pipeline: pipeline, strategy: strategy), values: [value, "", ""])
        return factory.makeTimer(label: metric.name, dimensions: dimensions)
    }

    /// A pipeline's call ended: its scope is the pipeline itself (`pipeline.name` and `strategy.name`
    /// both its name), wherever the pipeline runs.
    private func recordCall(_ event: ResilienceEvent) {
        let key = ScopeKey(pipeline: event.strategy, strategy: event.strategy)
        let nanoseconds = event.duration?.timerNanoseconds
        let category = event.classification?.category.name ?? DimensionValue.none
        guard let error = event.error else {
            let pipeline = event.strategy
            registry.withLock { registry in
                guard category.isEmpty else {
                    // A success with a classification: only a hand-made event can say that.
                    registry.update(key) { scope, makers in
                        makers.counter(SeriesKey(metric: .events, first: DimensionValue.callCompleted, second: category), in: &scope)
                            .increment(by: 1)
                    }
                    return
                }
                registry.update(pipeline: pipeline, strategy: pipeline) { scope in
                    increment(&scope.callCompletedEvents, orMake: counter(.events, DimensionValue.callCompleted, pipeline, pipeline))
                    increment(&scope.successfulCalls, orMake: counter(.calls, DimensionValue.success, pipeline, pipeline))
                    if let nanoseconds {
                        recordDuration(
                            nanoseconds, in: &scope.successfulCallDurations,
                            orMake: timer(.callDuration, DimensionValue.success, pipeline, pipeline))
                    }
                }
            }
            return
        }
        registry.withLock { registry in
            let type = registry.typeName(of: error)
            registry.update(key) { scope, makers in
                if category.isEmpty {
                    increment(
                        &scope.callCompletedEvents, orMake: counter(.events, DimensionValue.callCompleted, key.pipeline, key.strategy))
                } else {
                    makers.counter(SeriesKey(metric: .events, first: DimensionValue.callCompleted, second: category), in: &scope)
                        .increment(by: 1)
                }
                makers.counter(SeriesKey(metric: .calls, first: DimensionValue.failure, second: category, third: type), in: &scope)
                    .increment(by: 1)
                if let nanoseconds {
                    makers.timer(SeriesKey(metric: .callDuration, first: DimensionValue.failure), in: &scope).recordNanoseconds(nanoseconds)
                }
            }
        }
    }

    // MARK: - Everything else

    /// Counts the event in `resilience.events` only.
    private func recordEvent(_ event: ResilienceEvent) {
        let key = ScopeKey(pipeline: event.pipeline ?? DimensionValue.none, strategy: event.strategy)
        let category = event.classification?.category.name ?? DimensionValue.none
        registry.withLock { registry in
            registry.update(key) { scope, makers in
                makers.counter(SeriesKey(metric: .events, first: event.kind.name, second: category), in: &scope).increment(by: 1)
            }
        }
    }

    /// Counts the event in `resilience.events`, and in the metrics of its kind.
    private func recordNotableEvent(_ event: ResilienceEvent) {
        let key = ScopeKey(pipeline: event.pipeline ?? DimensionValue.none, strategy: event.strategy)
        let kind = event.kind
        let category = event.classification?.category.name ?? DimensionValue.none
        registry.withLock { registry in
            let type = event.error.map { registry.typeName(of: $0) } ?? DimensionValue.none
            registry.update(key) { scope, makers in
                makers.counter(SeriesKey(metric: .events, first: kind.name, second: category), in: &scope).increment(by: 1)
                switch kind {
                case .attemptFailed, .resultRejected:
                    makers.counter(SeriesKey(metric: .attempts, first: DimensionValue.failure, second: category, third: type), in: &scope)
                        .increment(by: 1)
                    if let nanoseconds = event.duration?.timerNanoseconds {
                        makers.timer(SeriesKey(metric: .attemptDuration, first: DimensionValue.failure), in: &scope)
                            .recordNanoseconds(nanoseconds)
                    }
                case .retryScheduled:
                    if let delay = event.delay {
                        makers.timer(SeriesKey(metric: .retryDelay, first: category), in: &scope).recordNanoseconds(delay.timerNanoseconds)
                    }
                case .retriesEnded:
                    let retried = (event.attempt ?? 1) > 1
                    let outcome = retried ? DimensionValue.failureWithRetry : DimensionValue.failureWithoutRetry
                    makers.counter(SeriesKey(metric: .retryCalls, first: outcome), in: &scope).increment(by: 1)
                    if let reason = event.stopReason {
                        makers.counter(SeriesKey(metric: .retryStops, first: reason.description), in: &scope).increment(by: 1)
                    }
                case .retryBudgetRefused:
                    makers.counter(SeriesKey(metric: .retryBudgetRefusals, first: event.budget ?? DimensionValue.none), in: &scope)
                        .increment(by: 1)
                case .callRejected:
                    if let state = event.circuitState {
                        makers.counter(SeriesKey(metric: .rejections, first: state.name), in: &scope).increment(by: 1)
                    }
                case .limitExceeded:
                    if let reason = event.limitReason {
                        makers.counter(SeriesKey(metric: .rejections, first: reason.name), in: &scope).increment(by: 1)
                    }
                default:
                    break
                }
            }
        }
    }

    /// A breaker's change of state: its own series, without a pipeline (a breaker shared by several
    /// pipelines has one state).
    private func record(_ transition: CircuitBreakerTransition, ofBreaker name: String) {
        registry.withLock { registry in
            registry.update(ScopeKey(pipeline: DimensionValue.none, strategy: name)) { scope, makers in
                let series = SeriesKey(
                    metric: .circuitTransitions, first: transition.from.name, second: transition.to.name,
                    third: transition.reason.description
                )
                makers.counter(series, in: &scope).increment(by: 1)
                Self.setStateGauges(to: transition.to, in: &scope, makers)
            }
        }
    }

    private static func setStateGauges(to current: CircuitState, in scope: inout Scope, _ makers: Makers) {
        for state in CircuitState.allCases {
            makers.gauge(SeriesKey(metric: .circuitState, first: state.name), in: &scope).record(state == current ? Int64(1) : Int64(0))
        }
    }
}

#endif
