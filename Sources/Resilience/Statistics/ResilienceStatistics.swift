/// Counts what resilience strategies do, exactly, however many tasks call them at once: an observer to
/// give to pipelines and strategies, and a report to print after a batch.
///
/// ```swift
/// let statistics = ResilienceStatistics()
/// let ocr = ResiliencePipeline(name: "ocr", observer: statistics) {
///     Fallback { _ in try await localOCR.extract(receiptID) }
///     Retry(.aggressive)
///     ocrBreaker
/// }
/// statistics.register(ocrBreaker)   // its live state and window in the report
/// // ... a batch of calls, from any number of tasks ...
/// print(statistics.report())
/// ```
///
/// Counts are kept **per pipeline and per strategy name** (a strategy that runs on its own counts under its
/// name, with no pipeline), never globally: make one statistics value per scope you want to report on, and
/// pass it where it is needed.
///
/// - **Calls**: a pipeline's from its ``ResilienceEvent/Kind/callCompleted`` events (one per call, every
///   strategy included); a ``Retry``'s from its ``ResilienceEvent/Kind/attemptSucceeded`` and
///   ``ResilienceEvent/Kind/retriesEnded`` events: every call counts once, with its number of attempts,
///   including a first failure that is not retryable and a cancelled call. Failed calls are counted by
///   the category of their error (the pipeline's classification; for a retry's, this observer's
///   `classifier`).
/// - **Retries** scheduled and the **time waiting** (the sum of their delays); **attempt times** when the
///   retry timed its attempts (a ``Retry`` with an observer does).
/// - **Time-outs**, **rejections** (circuit breaker by state, limiter by reason, retry budget),
///   **fallbacks** (by the category of the error replaced), **hedges**, injected **faults**, and each
///   breaker's last reported **state**.
///
/// Every event is counted under one lock, in a value updated in place: `observe(_:)` takes the lock for
/// tens of nanoseconds and, for a strategy already seen, allocates nothing. ``snapshot()`` is a
/// consistent cut across every pipeline and strategy. Give the statistics to a pipeline *or* to the
/// strategies in it, not both: a strategy with its own observer inside a pipeline with one reports each
/// event to both.
public final class ResilienceStatistics: ResilienceObserver, CustomStringConvertible {
    /// A registered breaker: how to take its snapshot.
    private struct RegisteredBreaker: Sendable {
        let identity: ObjectIdentifier
        let name: String
        let snapshot: @Sendable () -> CircuitBreakerSnapshot
    }

    /// Classifies the error of a retry's failed call, for ``CallStatistics/failuresByCategory``.
    public let classifier: ErrorClassifier

    private let state = AnnotatedMutex(StatisticsState())
    private let registeredBreakers = AnnotatedMutex<[RegisteredBreaker]>([])

    /// Creates empty statistics.
    ///
    /// - Parameter classifier: Classifies the error that ends a retry's failed call (events of a retry
    ///   carry its error, not its category); use the retries' classifier. A pipeline's calls are counted
    ///   by the classification the pipeline reports.
    public init(classifier: ErrorClassifier = .default) {
        self.classifier = classifier
    }

    /// Counts the event.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        let category = failureCategory(of: event)
        state.withLock { $0.record(event, failureCategory: category) }
    }

    /// The category a failed call is counted under, classified before taking the lock (a classifier may
    /// run user code); `nil` for other events.
    private func failureCategory(of event: ResilienceEvent) -> ErrorCategory? {
        switch event.details {
        case .callCompleted(_, let error?, let classification):
            return classification?.category ?? classifier.classify(error).category
        case .retriesEnded(_, let reason, let error):
            // A call cancelled during a wait throws CancellationError, whatever the last attempt's error.
            if reason == .cancelled { return .cancellation }
            return error.map { classifier.classify($0).category }
        default:
            return nil
        }
    }

    /// Registers `breaker`, so that snapshots and reports show its live state and sliding window
    /// (``CircuitBreaker/snapshot()``), not only the changes of state it reported. Registering the same
    /// breaker again (or a pipeline's view of it) does nothing. The statistics keep the breaker alive.
    ///
    /// - Parameter breaker: The breaker.
    public func register<ClockType: Clock>(_ breaker: CircuitBreaker<ClockType>) {
        let registered = RegisteredBreaker(
            identity: ObjectIdentifier(breaker.storage), name: breaker.name, snapshot: { breaker.snapshot() }
        )
        registeredBreakers.withLock { breakers in
            guard !breakers.contains(where: { $0.identity == registered.identity }) else { return }
            breakers.append(registered)
        }
    }

    /// Everything counted so far, and the registered breakers' state, at one moment.
    ///
    /// - Returns: The snapshot.
    public func snapshot() -> ResilienceStatisticsSnapshot {
        let (pipelines, strategies) = state.withLock { $0.sorted() }
        // Each breaker takes its own lock: not while holding ours.
        let breakers = registeredBreakers.withLock { $0 }.map { registered in
            var snapshot = registered.snapshot()
            // Whole nanoseconds, as the rest of the snapshot and its JSON.
            snapshot.timeUntilHalfOpen = snapshot.timeUntilHalfOpen.map { .nanoseconds($0.saturatingNanoseconds) }
            return BreakerStatistics(name: registered.name, snapshot: snapshot)
        }
        return ResilienceStatisticsSnapshot(
            pipelines: pipelines,
            strategies: strategies,
            breakers: breakers.enumerated().sorted { lhs, rhs in
                lhs.element.name != rhs.element.name ? lhs.element.name < rhs.element.name : lhs.offset < rhs.offset
            }.map(\.element)
        )
    }

    /// The report of a ``snapshot()`` taken now (see ``ResilienceStatisticsSnapshot/report``).
    ///
    /// - Returns: The report, without a final newline.
    public func report() -> String {
        snapshot().report
    }

    /// Forgets every count. Registered breakers stay registered.
    public func reset() {
        state.withLock { $0.reset() }
    }

    /// The ``report()``.
    public var description: String { report() }
}
