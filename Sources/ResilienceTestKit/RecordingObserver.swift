import Resilience

/// An observer that keeps every event, for assertions in tests.
///
/// ```swift
/// let recorder = RecordingObserver()
/// _ = try await retry(policy, clock: clock, observer: recorder) { try await flaky() }
/// #expect(recorder.scheduledDelays == [.seconds(1), .seconds(2)])
/// ```
public final class RecordingObserver: ResilienceObserver {
    private let recorded = AnnotatedMutex<[ResilienceEvent]>([])

    /// Creates an empty recorder.
    public init() {}

    /// Records the event.
    ///
    /// - Parameter event: What happened.
    public func observe(_ event: ResilienceEvent) {
        recorded.withLock { $0.append(event) }
    }

    /// Every event so far, in the order observed.
    public var events: [ResilienceEvent] {
        recorded.withLock { $0 }
    }

    /// The delays of every ``ResilienceEvent/Kind/retryScheduled(attempt:delay:error:classification:)`` event, in order.
    public var scheduledDelays: [Duration] {
        events.compactMap { event in
            if case .retryScheduled(_, let delay, _, _) = event.kind { return delay }
            return nil
        }
    }

    /// The reasons of every ``ResilienceEvent/Kind/retriesEnded(attempts:reason:error:)`` event, in order.
    public var stopReasons: [RetryStopReason] {
        events.compactMap { event in
            if case .retriesEnded(_, let reason, _) = event.kind { return reason }
            return nil
        }
    }

    /// The changes of state of every ``ResilienceEvent/Kind/circuitStateChanged(from:to:reason:)`` event, in order.
    public var circuitTransitions: [CircuitBreakerTransition] {
        events.compactMap { event in
            if case .circuitStateChanged(let from, let to, let reason) = event.kind {
                return CircuitBreakerTransition(from: from, to: to, reason: reason)
            }
            return nil
        }
    }

    /// The states that refused calls, one per ``ResilienceEvent/Kind/callRejected(state:retryAfter:)`` event, in order.
    public var rejectedStates: [CircuitState] {
        events.compactMap { event in
            if case .callRejected(let state, _) = event.kind { return state }
            return nil
        }
    }

    /// The reasons of every ``ResilienceEvent/Kind/fallbackUsed(reason:)`` event, in order.
    public var fallbackReasons: [FallbackReason] {
        events.compactMap { event in
            if case .fallbackUsed(let reason) = event.kind { return reason }
            return nil
        }
    }

    /// Forgets every event recorded so far.
    public func removeAll() {
        recorded.withLock { $0.removeAll() }
    }
}
