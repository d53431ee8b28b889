import Resilience
import ResilienceTestKit
import Testing

@Suite("Retry options: adjusted presets, predicates, computed delays, floors, symmetric jitter", .timeLimit(.minutes(5)))
struct RetryOptionsTests {
    let clock = ManualClock(advancesAutomatically: true)

    @Test("a preset is adjusted with `with`, checked, and named in the error when wrong")
    func adjustingPresets() throws {
        let seven = try RetryPolicy.aggressive.with { $0.maxAttempts = 7 }
        #expect(seven.maxAttempts == 7)
        #expect(seven.backoff == RetryPolicy.aggressive.backoff)
        #expect(RetryPolicy.aggressive.maxAttempts == 5)

        #expect {
            try RetryPolicy.aggressive.with { $0.maxAttempts = 0 }
        } throws: { ($0 as? ConfigurationError)?.field == "maxAttempts" }
        #expect {
            try RetryPolicy.default.with { $0.jitter = .symmetric(1.5) }
        } throws: { ($0 as? ConfigurationError)?.field == "jitter.fraction" }
        #expect {
            try RetryPolicy.default.with { $0.retryableCategories.insert(.cancellation) }
        } throws: { ($0 as? ConfigurationError)?.field == "retryableCategories" }
    }

    @Test("fields can be set directly and checked with validate(); an unchecked policy never crashes the loop")
    func settingFields() async throws {
        var policy = RetryPolicy.default
        policy.maxAttempts = 4
        policy.retryableCategories = [.rateLimited]
        policy.backoffByCategory = [.rateLimited: .constant(.seconds(2))]
        try policy.validate()
        #expect(policy.retries(.rateLimited) && !policy.retries(.timeout))
        #expect(policy.backoff(for: .rateLimited) == .constant(.seconds(2)))

        policy.maxAttempts = -3
        #expect(throws: ConfigurationError.self) { try policy.validate() }
        // Used anyway, a count below one makes one attempt.
        let calls = Counter()
        await #expect(throws: CategorizedError.rateLimited()) {
            try await retry(policy, clock: clock) { () async throws -> Int in
                calls.increment()
                throw CategorizedError.rateLimited()
            }
        }
        #expect(calls.value == 1)
    }

    @Test("retryIf decides instead of the categories; cancellation is never retried whatever it says")
    func retryIf() async throws {
        let recorder = RecordingObserver()
        let permanent = ScriptedOperation(failures: 2, with: CategorizedError.permanent, thenReturning: "ok")
        let value = try await retry(.default, clock: clock, observer: recorder, retryIf: { $0 is CategorizedError }) {
            try await permanent()
        }
        #expect(value == "ok" && permanent.callCount == 3)

        let timeouts = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "ok")
        await #expect(throws: CategorizedError.timeout) {
            try await Retry(.default, clock: clock, retryIf: { _ in false }).execute { try await timeouts() }
        }
        #expect(timeouts.callCount == 1)

        let cancelled = ScriptedOperation(failures: 2, with: CancellationError(), thenReturning: "ok")
        await #expect(throws: CancellationError.self) {
            try await retry(.default, clock: clock, retryIf: { _ in true }) { try await cancelled() }
        }
        #expect(cancelled.callCount == 1)
    }

    @Test("a delay generator replaces the schedule's delay; nil keeps it; the cap and the server's hint still hold")
    func delayGenerator() async throws {
        let policy = try RetryPolicy(
            maxAttempts: 5, backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(10)),
            jitter: .none, retryableCategories: [.timeout, .rateLimited])
        let seen = AnnotatedMutex<[RetryDelayContext]>([])
        let clock = ManualClock(advancesAutomatically: true)
        let operation = ScriptedOperation<Int>([
            .fail(CategorizedError.timeout), .fail(CategorizedError.timeout), .fail(CategorizedError.timeout),
            .fail(CategorizedError.rateLimited(retryAfter: .seconds(7))), .succeed(1),
        ])
        let value = try await retry(
            policy, clock: clock,
            delay: { context in
                seen.withLock { $0.append(context) }
                switch context.attempt {
                case 1: return .milliseconds(300)  // shorter than the schedule's 1 s
                case 2: return nil  // the schedule's 2 s
                case 3: return .seconds(60)  // past the cap: 10 s
                default: return .seconds(1)  // under the server's 7 s hint: the hint wins
                }
            }
        ) { try await operation() }
        #expect(value == 1)
        #expect(clock.requestedSleeps == [.milliseconds(300), .seconds(2), .seconds(10), .seconds(7)])
        let contexts = seen.withLock { $0 }
        #expect(contexts.map(\.attempt) == [1, 2, 3, 4])
        #expect(contexts.map(\.scheduledDelay) == [.seconds(1), .seconds(2), .seconds(4), .seconds(8)])
        #expect(contexts.map(\.previousDelay) == [nil, .milliseconds(300), .seconds(2), .seconds(10)])
        #expect(contexts[3].classification == .rateLimited(retryAfter: .seconds(7)))
        #expect(contexts[0].error as? CategorizedError == .timeout)
    }

    @Test("an exponential schedule's floor holds before and after jitter (tenacity's wait_exponential(min=))")
    func floor() throws {
        let schedule = Backoff.exponential(
            initial: .milliseconds(100), multiplier: 2, maxDelay: .seconds(10), minDelay: .seconds(1))
        #expect((1...7).map(schedule.delay(forRetry:)) == [1_000, 1_000, 1_000, 1_000, 1_600, 3_200, 6_400].map(Duration.milliseconds))
        #expect(schedule.minDelay == .seconds(1))
        // Full jitter never goes under the floor. Computed independently (SplitMix64, seed 42, in Python).
        #expect(
            JitterTests.delays(.full, schedule: schedule)
                == [1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000, 1_000_000_000, 2_778_329_844]
                .map(Duration.nanoseconds))
        #expect(schedule.description == "exponential(0.1 s × 2.0, min 1.0 s, max 10.0 s)")
        #expect(throws: ConfigurationError.self) {
            try Backoff.exponential(initial: .seconds(1), maxDelay: .seconds(2), minDelay: .seconds(3)).validate()
        }
    }

    @Test("symmetric jitter spreads a delay either way by its fraction, within the cap")
    func symmetricJitter() {
        // Computed independently (SplitMix64, seed 42, the documented formula, in Python).
        #expect(
            JitterTests.delays(.symmetric(0.25))
                == [1_120_782_439, 1_659_910_392, 3_557_202_260, 7_376_762_866, 12_304_241_348, 37_891_649_224]
                .map(Duration.nanoseconds))
        let cap = Backoff.exponential(initial: .seconds(8), multiplier: 2, maxDelay: .seconds(9))
        for seed in UInt64(0)..<2_000 {
            var generator = SeededRandomNumberGenerator(seed: seed)
            let delay = Jitter.symmetric(0.25).apply(to: .seconds(8), previousDelay: nil, backoff: cap, using: &generator)
            #expect(delay >= .seconds(6) && delay <= .seconds(9))
        }
        #expect(Jitter.symmetric(0.25).description == "symmetric(0.25)")
    }

    @Test("the free function takes the strategy's options: its name reaches the events")
    func freeFunctionOptions() async throws {
        let recorder = RecordingObserver()
        let flaky = ScriptedOperation(failures: 1, with: CategorizedError.timeout, thenReturning: 5)
        _ = try await retry(.default, name: "ocr-retry", clock: clock, random: .seeded(1), observer: recorder) {
            try await flaky()
        }
        #expect(Set(recorder.events.map(\.strategy)) == ["ocr-retry"])

        struct Response { var status: Int }
        let responses = ScriptedOperation([.succeed(Response(status: 429)), .succeed(Response(status: 200))])
        let response = try await retry(
            .rateLimit, clock: clock, classifyingResult: { $0.status == 429 ? .rateLimited(retryAfter: .seconds(3)) : nil }
        ) { try await responses() }
        #expect(response.status == 200)
        #expect(clock.requestedSleeps.last == .seconds(3))
    }

    @Test("a caller already cancelled gets CancellationError and the operation never runs")
    func alreadyCancelled() async throws {
        let calls = Counter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await retry(.default, clock: clock) { calls.increment() }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(calls.value == 0)
    }
}
