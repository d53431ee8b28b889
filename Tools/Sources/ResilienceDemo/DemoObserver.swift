import Resilience
import ResilienceCommands

/// The observer every strategy of the demo reports to: it passes each event on to the statistics
/// (and the metrics, when they are served), and records each breaker transition, telling
/// `onTransition` as it happens.
final class DemoObserver: ResilienceObserver, Sendable {
    let statistics: ResilienceStatistics
    let others: [any ResilienceObserver]
    private let transitions = LockedState<[BreakerTransitionRecord]>([])
    private let elapsed: @Sendable () -> Duration
    private let onTransition: @Sendable (BreakerTransitionRecord) -> Void

    init(
        statistics: ResilienceStatistics,
        others: [any ResilienceObserver] = [],
        elapsed: @escaping @Sendable () -> Duration,
        onTransition: @escaping @Sendable (BreakerTransitionRecord) -> Void = { _ in }
    ) {
        self.statistics = statistics
        self.others = others
        self.elapsed = elapsed
        self.onTransition = onTransition
    }

    func observe(_ event: ResilienceEvent) {
        statistics.observe(event)
        for other in others { other.observe(event) }
        guard event.kind == .circuitStateChanged, let transition = event.transition else { return }
        let record = BreakerTransitionRecord(
            breaker: event.strategy, from: transition.from.name, to: transition.to.name, reason: transition.reason.description,
            seconds: elapsed().asSeconds
        )
        transitions.withLock { $0.append(record) }
        onTransition(record)
    }

    /// Every transition so far, in order.
    var recordedTransitions: [BreakerTransitionRecord] { transitions.withLock { $0 } }
}

extension Duration {
    /// The duration in seconds, as a `Double`.
    var asSeconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
