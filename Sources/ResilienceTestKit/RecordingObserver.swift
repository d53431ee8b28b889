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

    /// The kinds of every event so far, in order.
    public var kinds: [ResilienceEvent.Kind] {
        events.map(\.kind)
    }

    /// The delays of every ``ResilienceEvent/Kind/retryScheduled`` event, in order.
    public var scheduledDelays: [Duration] {
        events.compactMap { $0.kind == .retryScheduled ? $0.delay : nil }
    }

    /// The reasons of every ``ResilienceEvent/Kind/retriesEnded`` event, in order.
    public var stopReasons: [RetryStopReason] {
        events.compactMap(\.stopReason)
    }

    /// The changes of state of every ``ResilienceEvent/Kind/circuitStateChanged`` event, in order.
    public var circuitTransitions: [CircuitBreakerTransition] {
        events.compactMap(\.transition)
    }

    /// The states that refused calls, one per ``ResilienceEvent/Kind/callRejected`` event, in order.
    public var rejectedStates: [CircuitState] {
        events.compactMap(\.circuitState)
    }

    /// The reasons of every ``ResilienceEvent/Kind/fallbackUsed`` event, in order.
    public var fallbackReasons: [FallbackReason] {
        events.compactMap(\.fallbackReason)
    }

    /// The events of one kind, in order.
    ///
    /// - Parameter kind: The kind.
    /// - Returns: The events of that kind.
    public func events(_ kind: ResilienceEvent.Kind) -> [ResilienceEvent] {
        events.filter { $0.kind == kind }
    }

    /// Forgets every event recorded so far.
    public func removeAll() {
        recorded.withLock { $0.removeAll() }
    }
}
