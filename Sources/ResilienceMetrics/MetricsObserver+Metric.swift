#if Metrics

extension MetricsObserver {
    /// One metric a ``MetricsObserver`` records: its name (a swift-metrics label), its type, and its
    /// dimensions in the order they are given to the factory.
    ///
    /// ``MetricsObserver/metrics`` lists them all. Every metric has the same dimensions, in the same
    /// order, every time it is made, and at least one, so a registry that insists on that (such as
    /// swift-prometheus') accepts them all side by side.
    public struct Metric: Hashable, Sendable, CustomStringConvertible {
        /// The metric's name, such as `resilience.calls`: dotted, as swift-metrics labels are;
        /// exporters that need another form derive it (swift-prometheus: `resilience_calls`).
        public let name: String
        /// What kind of metric it is.
        public let type: MetricType
        /// The names of its dimensions, in order, such as `["pipeline.name", "outcome"]`.
        public let dimensions: [String]

        /// The metric's name, type and dimensions, such as `resilience.calls (counter: pipeline.name, …)`.
        public var description: String {
            "\(name) (\(type): \(dimensions.joined(separator: ", ")))"
        }
    }

    /// The kind of a ``Metric``: which swift-metrics type records it.
    ///
    /// A struct with static members rather than an enum, so types can be added without breaking code
    /// that switches over them.
    public struct MetricType: Hashable, Sendable, CustomStringConvertible {
        enum Storage: String, Hashable, Sendable {
            case counter, timer, gauge
        }

        let storage: Storage

        /// A `Counter`: a count that only goes up.
        public static let counter = MetricType(storage: .counter)
        /// A `Timer`: durations, in nanoseconds (a histogram in seconds, in Prometheus).
        public static let timer = MetricType(storage: .timer)
        /// A `Gauge` (a recorder that does not aggregate): a value that is set.
        public static let gauge = MetricType(storage: .gauge)

        /// The type's name: `counter`, `timer` or `gauge`.
        public var description: String { storage.rawValue }
    }

    /// The names of the metrics a ``MetricsObserver`` records, for configuring a backend by name (a
    /// histogram's buckets, say). ``metrics`` lists them with their types and dimensions.
    public enum MetricName {
        /// Counter: every event, by kind (Polly's `resilience.polly.strategy.events`).
        public static let events = "resilience.events"
        /// Counter: a pipeline's calls, by outcome.
        public static let calls = "resilience.calls"
        /// Timer: a pipeline's calls, by outcome.
        public static let callDuration = "resilience.call.duration"
        /// Counter: attempts, by outcome.
        public static let attempts = "resilience.attempts"
        /// Timer: attempts that were timed, by outcome.
        public static let attemptDuration = "resilience.attempt.duration"
        /// Counter: a retrying strategy's calls, by whether they succeeded and were retried
        /// (resilience4j's `resilience4j.retry.calls`).
        public static let retryCalls = "resilience.retry.calls"
        /// Counter: retrying that ended without a success, by why.
        public static let retryStops = "resilience.retry.stops"
        /// Timer: the waits before retries.
        public static let retryDelay = "resilience.retry.delay"
        /// Counter: retries a retry budget refused.
        public static let retryBudgetRefusals = "resilience.retry.budget.refusals"
        /// Counter: calls a circuit breaker or a limiter refused, by why.
        public static let rejections = "resilience.rejections"
        /// Gauge: 1 for a circuit breaker's current state, 0 for its other states
        /// (resilience4j's `resilience4j.circuitbreaker.state`).
        public static let circuitState = "resilience.circuit.state"
        /// Counter: a circuit breaker's changes of state.
        public static let circuitTransitions = "resilience.circuit.transitions"
    }

    /// The names of the dimensions of the metrics a ``MetricsObserver`` records. Their values are
    /// names you gave (pipelines, strategies, budgets) or come from fixed vocabularies; never error
    /// messages, URLs or identifiers.
    public enum Dimension {
        /// The pipeline's name; empty for a strategy used outside a pipeline.
        public static let pipeline = "pipeline.name"
        /// The strategy's name.
        public static let strategy = "strategy.name"
        /// The event's kind name, such as `retryScheduled`.
        public static let event = "event.name"
        /// `success` or `failure`.
        public static let outcome = "outcome"
        /// The failure's error category name, such as `timeout`; empty for a success.
        public static let errorCategory = "error.category"
        /// The error's type name, such as `Resilience.TimeoutError`; empty when there is no error.
        public static let errorType = "error.type"
        /// How a retrying strategy's call went: `successWithoutRetry`, `successWithRetry`,
        /// `failureWithoutRetry` or `failureWithRetry`.
        public static let retryKind = "kind"
        /// Why retrying stopped, why a call was refused, or why a circuit changed state.
        public static let reason = "reason"
        /// The retry budget's name.
        public static let budget = "budget.name"
        /// A circuit state's name, such as `halfOpen`.
        public static let state = "state"
        /// The state a circuit left.
        public static let fromState = "from.state"
        /// The state a circuit entered.
        public static let toState = "to.state"
    }
}

#endif
