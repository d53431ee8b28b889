import Resilience
import ResilienceTestKit
import Testing

@Suite("Events")
struct ResilienceEventTests {
    @Test("each kind reports its payload through the accessors, and nothing else")
    func accessors() {
        let error = CategorizedError.timeout
        let scheduled = ResilienceEvent.retryScheduled(
            strategy: "r", attempt: 2, delay: .seconds(3), error: error, classification: .timeout)
        #expect(scheduled.kind == .retryScheduled)
        #expect(scheduled.attempt == 2)
        #expect(scheduled.delay == .seconds(3))
        #expect(scheduled.error as? CategorizedError == error)
        #expect(scheduled.classification == .timeout)
        #expect(scheduled.stopReason == nil && scheduled.transition == nil && scheduled.fallbackReason == nil)

        let ended = ResilienceEvent.retriesEnded(strategy: "r", attempts: 3, reason: .attemptsExhausted, error: nil)
        #expect(ended.attempt == 3 && ended.stopReason == .attemptsExhausted && ended.error == nil)

        let transition = CircuitBreakerTransition(from: .closed, to: .open, reason: .consecutiveFailures)
        let changed = ResilienceEvent.circuitStateChanged(strategy: "ocr", transition: transition)
        #expect(changed.transition == transition && changed.attempt == nil)

        let rejected = ResilienceEvent.callRejected(strategy: "ocr", state: .open, retryAfter: .seconds(5))
        #expect(rejected.circuitState == .open && rejected.retryAfter == .seconds(5))

        let reason = FallbackReason(error: error, classification: .timeout)
        let fallback = ResilienceEvent.fallbackUsed(strategy: "f", reason: reason)
        #expect(fallback.fallbackReason?.classification == .timeout && fallback.error as? CategorizedError == error)
        #expect(fallback.classification == .timeout)

        #expect(ResilienceEvent.timedOut(strategy: "t", after: .seconds(5)).timeout == .seconds(5))
        #expect(ResilienceEvent.initialDelay(strategy: "d", delay: .seconds(1)).delay == .seconds(1))
        #expect(ResilienceEvent.retryBudgetRefused(strategy: "r", budget: "b", attempt: 1).budget == "b")
    }

    @Test("observers switch over kinds with a default, so new kinds break nobody")
    func switchingWithDefault() async throws {
        let counts = AnnotatedMutex<[String: Int]>([:])
        let observer = ClosureObserver { event in
            let key: String
            switch event.kind {
            case .attemptFailed: key = "failed"
            case .retryScheduled: key = "scheduled"
            case .retriesEnded: key = "ended"
            default: key = "other"
            }
            counts.withLock { $0[key, default: 0] += 1 }
        }
        await #expect(throws: CategorizedError.timeout) {
            try await retry(.default, clock: ManualClock(advancesAutomatically: true), observer: observer) { () async throws -> Int in
                throw CategorizedError.timeout
            }
        }
        #expect(counts.withLock { $0 } == ["failed": 3, "scheduled": 2, "ended": 1])
    }

    @Test("kinds have stable names for logs and metrics")
    func names() {
        #expect(ResilienceEvent.Kind.retryScheduled.name == "retryScheduled")
        #expect(ResilienceEvent.Kind.circuitStateChanged.description == "circuitStateChanged")
        #expect(Set([ResilienceEvent.Kind.attemptFailed, .attemptFailed, .fallbackUsed]).count == 2)
    }

    @Test("an event describes itself in one line, with the pipeline's name when it has one")
    func description() {
        var event = ResilienceEvent.attemptSucceeded(strategy: "retry", attempt: 1)
        #expect(event.description == "retry: attempt 1 succeeded")
        event.pipeline = "ocr"
        #expect(event.description == "ocr/retry: attempt 1 succeeded")
    }
}
