import Foundation
import Resilience
import ResilienceTestKit
import Testing

@Suite("Circuit breaker inside a retry loop", .timeLimit(.minutes(5)))
struct CircuitBreakerRetryTests {
    @Test("each attempt is a call the breaker counts; once it opens, the rejection is not retried")
    func rejectionNotRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let breaker = try makeBreaker(name: "ocr", failures: 3, breakSeconds: 60, clock: clock)
        let policy = try RetryPolicy(maxAttempts: 10, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
        var calls = 0
        do {
            _ = try await retry(policy, clock: clock, observer: recorder) {
                try await breaker.execute { () async throws -> Int in
                    calls += 1
                    throw CategorizedError.timeout
                }
            }
            Issue.record("expected a throw")
        } catch let error as CircuitOpenError {
            #expect(error.breakerName == "ocr")
            // Opened by the third attempt; rejected one (virtual) second later.
            #expect(error.retryAfter == .seconds(59))
        }
        #expect(calls == 3)
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(1), .seconds(1)])
        #expect(recorder.stopReasons == [.notRetryable])
    }

    @Test("no preset retries a rejection")
    func presetsDoNotRetryRejections() {
        for (name, policy) in RetryPolicy.presets {
            #expect(!policy.retries(.rejected), "\(name)")
        }
    }

    @Test("a policy that opts in to rejected waits until the circuit may half-open, then the probe succeeds")
    func optInWaitsForHalfOpen() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let breaker = try makeBreaker(name: "ocr", failures: 2, breakSeconds: 30, clock: clock)
        let policy = try RetryPolicy(
            maxAttempts: 5, backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60)),
            jitter: .none, retryableCategories: [.timeout, .rejected])
        let remote = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "text")
        let text = try await retry(policy, clock: clock) {
            try await breaker.execute { try await remote() }
        }
        #expect(text == "text")
        #expect(remote.callCount == 3)
        // 1 s after the first failure; the second (at 1 s) opens the breaker until 31 s; the third
        // attempt (at 3 s) is rejected, and the rejection's hint, 28 s until half-open, beats the
        // schedule's 4 s: the fourth attempt is the probe, at 31 s.
        #expect(clock.requestedSleeps == [.seconds(1), .seconds(2), .seconds(28)])
        #expect(clock.now.offset == .seconds(31))
        #expect(breaker.state == .closed)
    }

    @Test("a hint beyond the schedule's cap ends an opted-in retry at once")
    func hintBeyondCap() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let breaker = try makeBreaker(failures: 1, breakSeconds: 600, clock: clock)
        let policy = try RetryPolicy(
            maxAttempts: 5, backoff: .exponential(initial: .seconds(1), maxDelay: .seconds(60)), jitter: .none,
            retryableCategories: [.timeout, .rejected])
        await #expect(throws: CircuitOpenError.self) {
            try await retry(policy, clock: clock, observer: recorder) {
                try await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
            }
        }
        #expect(recorder.stopReasons == [.retryAfterExceedsMaxDelay])
    }

    @Test("the recommended order, fallback outermost and retry outside the breaker, serves the receipt pipeline")
    func recommendedOrder() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let ocr = try makeBreaker(name: "ocr", failures: 5, breakSeconds: 60, clock: clock, observer: recorder)
        let ocrRetry = Retry(.aggressive, name: "ocr-retry", clock: clock, random: .seeded(1), observer: recorder)
        let localOCR = Fallback<String>(name: "ocr-fallback", observer: recorder) { _ in "local" }
        let down = ScriptedOperation<String>([.fail(CategorizedError.connection)])

        // Receipt 1: five attempts fail, the fifth opens the breaker; retries exhausted, the error surfaces.
        await #expect(throws: CategorizedError.connection) {
            try await localOCR.execute { try await ocrRetry.execute { try await ocr.execute { try await down() } } }
        }
        // Receipt 2: rejected at once, not retried, served by the fallback without touching the service.
        let text = try await localOCR.execute { try await ocrRetry.execute { try await ocr.execute { try await down() } } }
        #expect(text == "local")
        #expect(down.callCount == 5)
        #expect(recorder.circuitTransitions == [change(.closed, .open, .consecutiveFailures)])
        #expect(recorder.rejectedStates == [.open])
        #expect(recorder.stopReasons == [.attemptsExhausted, .notRetryable])
        #expect(recorder.fallbackReasons.count == 1)
    }
}
