import Logging
import Resilience
import ResilienceTestKit
import Testing

/// One line per notable event, at its documented level, with its documented keys; successes silent.
@Suite("Logging observer: what each notable event logs")
struct LoggingObserverCoverageTests {
    /// The lines `observer` logs for `event`, through a logger that passes every level.
    private func lines(
        for event: ResilienceEvent,
        _ configure: (inout LoggingObserver) -> Void = { _ in }
    ) -> [CapturingLogHandler.Entry] {
        let handler = CapturingLogHandler()
        var observer = LoggingObserver(logger: Logger(label: "test") { _ in handler })
        configure(&observer)
        observer.observe(event)
        return handler.entries
    }

    struct Expectation: Sendable, CustomTestStringConvertible {
        var event: ResilienceEvent
        var level: Logger.Level
        var metadata: [String: String]

        var testDescription: String { event.kind.name }
    }

    static let transition = CircuitBreakerTransition(from: .closed, to: .open, reason: .failureRate)
    static let recovery = CircuitBreakerTransition(from: .halfOpen, to: .closed, reason: .probesSucceeded)

    static let defaults: [Expectation] = [
        Expectation(
            event: .retryScheduled(
                strategy: "ocr-retry", attempt: 2, delay: .milliseconds(1500), error: TimeoutError(timeout: .seconds(5)),
                classification: .timeout),
            level: .warning,
            metadata: [
                "resilience.attempt": "2", "resilience.delay_seconds": "1.5", "resilience.category": "timeout",
                "resilience.error_type": "Resilience.TimeoutError",
            ]),
        Expectation(
            event: .circuitStateChanged(strategy: "ocr-breaker", transition: transition),
            level: .warning,
            metadata: ["resilience.from_state": "closed", "resilience.to_state": "open", "resilience.reason": "failureRate"]),
        Expectation(
            event: .circuitStateChanged(strategy: "ocr-breaker", transition: recovery),
            level: .notice,
            metadata: ["resilience.from_state": "halfOpen", "resilience.to_state": "closed", "resilience.reason": "probesSucceeded"]),
        Expectation(
            event: .fallbackUsed(
                strategy: "ocr-fallback",
                reason: FallbackReason(
                    error: CircuitOpenError(breakerName: "ocr-breaker", state: .open, retryAfter: .seconds(20)),
                    classification: .rejected)),
            level: .info,
            metadata: ["resilience.category": "rejected", "resilience.error_type": "Resilience.CircuitOpenError"]),
        Expectation(
            event: .retryBudgetRefused(strategy: "ocr-retry", budget: "ocr-budget", attempt: 3),
            level: .warning,
            metadata: ["resilience.budget": "ocr-budget", "resilience.attempt": "3"]),
        Expectation(
            event: .timedOut(strategy: "ocr-timeout", after: .seconds(5)),
            level: .warning,
            metadata: ["resilience.timeout_seconds": "5.0"]),
        Expectation(
            event: .hedgeStarted(strategy: "llm-hedging", attempt: 2, delay: .milliseconds(250)),
            level: .debug,
            metadata: ["resilience.attempt": "2", "resilience.delay_seconds": "0.25"]),
    ]

    @Test("each notable event is one line at its default level, with the event, strategy and its own keys", arguments: defaults)
    func defaultLines(_ expectation: Expectation) throws {
        let entries = lines(for: expectation.event)
        let entry = try #require(entries.first)
        #expect(entries.count == 1)
        #expect(entry.level == expectation.level)
        #expect(entry.metadata["resilience.event"] == "\(expectation.event.kind.name)")
        #expect(entry.metadata["resilience.strategy"] == "\(expectation.event.strategy)")
        for (key, value) in expectation.metadata {
            #expect(entry.metadata[key] == "\(value)", "\(key)")
        }
    }

    @Test("rejections are off by default (one line per refused call would flood an outage's logs), and carry their keys when on")
    func rejections() throws {
        let rejected = ResilienceEvent.callRejected(strategy: "ocr-breaker", state: .open, retryAfter: .seconds(20))
        let refused = ResilienceEvent.limitExceeded(strategy: "llm-limiter", reason: .rateExceeded, retryAfter: .milliseconds(500))
        #expect(lines(for: rejected).isEmpty)
        #expect(lines(for: refused).isEmpty)

        let rejection = try #require(lines(for: rejected) { $0.callRejectedLevel = .notice }.first)
        #expect(rejection.level == .notice)
        #expect(rejection.message == "Call rejected: circuit open")
        #expect(rejection.metadata["resilience.state"] == "open")
        #expect(rejection.metadata["resilience.retry_after_seconds"] == "20.0")

        let refusal = try #require(lines(for: refused) { $0.limitExceededLevel = .info }.first)
        #expect(refusal.level == .info)
        #expect(refusal.metadata["resilience.limit_reason"] == "rateExceeded")
        #expect(refusal.metadata["resilience.retry_after_seconds"] == "0.5")
    }

    @Test("successes are silent: a successful attempt is never logged, a successful call only when asked")
    func successesAreSilent() {
        let attempt = ResilienceEvent.attemptSucceeded(strategy: "ocr-retry", attempt: 1, duration: .milliseconds(20))
        let call = ResilienceEvent.callCompleted(strategy: "ocr", duration: .milliseconds(25), error: nil, classification: nil)
        #expect(lines(for: attempt).isEmpty)
        #expect(lines(for: call).isEmpty)
        let everythingOn = lines(for: attempt) { observer in
            observer.callCompletedLevel = .debug
            observer.attemptFailedLevel = .debug
        }
        #expect(everythingOn.isEmpty)
        let logged = lines(for: call) { $0.callCompletedLevel = .debug }
        #expect(logged.map(\.level) == [.debug])
        #expect(logged.first?.message == "Call succeeded")
        #expect(logged.first?.metadata["resilience.duration_seconds"] == "0.025")
    }
}
