import Logging
import Resilience
import ResilienceTestKit
import Testing

@Suite("Logging circuit breakers and fallbacks")
struct CircuitBreakerLoggingTests {
    @Test("a circuit opening is a warning, recovering a notice; rejections are quiet unless asked for")
    func stateChangesLogged() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let clock = ManualClock()
        let breaker = try makeBreaker(name: "ocr", failures: 1, breakSeconds: 5, clock: clock, observer: LoggingObserver(logger: logger))
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        _ = try? await breaker.execute { 1 }
        clock.advance(by: .seconds(5))
        _ = try await breaker.execute { 1 }
        breaker.isolate()
        breaker.disable()
        let entries = handler.entries
        #expect(entries.map(\.level) == [.warning, .notice, .notice, .warning, .notice])
        #expect(
            entries.map(\.message) == [
                "Circuit open (was closed): consecutiveFailures",
                "Circuit halfOpen (was open): breakElapsed",
                "Circuit closed (was halfOpen): probesSucceeded",
                "Circuit isolated (was closed): isolated",
                "Circuit disabled (was isolated): disabled",
            ]
        )
        #expect(entries[0].metadata["resilience.strategy"] == "ocr")
        #expect(entries[0].metadata["resilience.from_state"] == "closed")
        #expect(entries[0].metadata["resilience.to_state"] == "open")
        #expect(entries[0].metadata["resilience.reason"] == "consecutiveFailures")
    }

    @Test("rejections and fallbacks are logged at the chosen levels")
    func rejectionsAndFallbacks() async throws {
        let handler = CapturingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let observer = LoggingObserver(logger: logger, circuitOpenedLevel: .error, callRejectedLevel: .debug, fallbackUsedLevel: .warning)
        let breaker = try makeBreaker(name: "vision", failures: 1, breakSeconds: 120, observer: observer)
        let fallback = Fallback(returning: 0, name: "vision-fallback", observer: observer)
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.connection }
        #expect(try await fallback.execute { try await breaker.execute { 1 } } == 0)
        let entries = handler.entries
        #expect(entries.map(\.level) == [.error, .debug, .warning])
        #expect(
            entries.map(\.message) == [
                "Circuit open (was closed): consecutiveFailures", "Call rejected: circuit open", "Using fallback after rejected",
            ])
        #expect(entries[1].metadata["resilience.retry_after_seconds"] == "120.0")
        #expect(entries[2].metadata["resilience.strategy"] == "vision-fallback")
        #expect(entries[2].metadata["resilience.error"] == #"circuit breaker "vision" is open; it may half-open in 120.0 s"#)
    }
}
