import Foundation
import Resilience
import ResilienceTestKit
import Testing

@Suite("The retry loop", .timeLimit(.minutes(5)))
struct RetryTests {
    let timeout = CategorizedError.timeout

    @Test("the guide's check: a call failing twice with a timeout then succeeding returns after exactly 3 calls")
    func guideVerification() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let flaky = ScriptedOperation(failures: 2, with: TimeoutError(timeout: .seconds(5)), thenReturning: "success")
        let result = try await retry(.default, clock: clock, random: .seeded(42)) { try await flaky() }
        #expect(result == "success")
        #expect(flaky.callCount == 3)
        // The default policy: 1 s then 2 s, each plus up to 50 % jitter (seed 42; see JitterTests).
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
        #expect(clock.now.offset == .nanoseconds(1_370_782_439 + 2_159_910_392))
    }

    @Test("a success on the first attempt returns at once, without sleeping or drawing")
    func firstAttemptSucceeds() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let value = try await retry(.default, clock: clock, observer: recorder) { 42 }
        #expect(value == 42)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.events.map(\.description) == ["retry: attempt 1 succeeded"])
    }

    @Test("when attempts run out the original error is rethrown unchanged")
    func rethrowsOriginalError() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let original = IdentifiableError(.timeout)
        var calls = 0
        do {
            _ = try await retry(.default, clock: clock) { () async throws -> Int in
                calls += 1
                throw original
            }
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === original)
        }
        #expect(calls == 3)

        // A Foundation error keeps its type, so `catch let error as URLError` works.
        await #expect(throws: URLError(.timedOut)) {
            try await retry(.default, clock: clock) { () async throws -> Int in throw URLError(.timedOut) }
        }
    }

    @Test("max attempts counts the first call", arguments: [1, 2, 5])
    func maxAttempts(attempts: Int) async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let policy = try RetryPolicy(maxAttempts: attempts, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
        let operation = ScriptedOperation<Int>([.fail(timeout)])
        await #expect(throws: timeout) {
            try await retry(policy, clock: clock, observer: recorder) { try await operation() }
        }
        #expect(operation.callCount == attempts)
        #expect(clock.requestedSleeps == Array(repeating: .seconds(1), count: attempts - 1))
        #expect(recorder.stopReasons == [.attemptsExhausted])
    }

    @Test("a permanent error is not retried")
    func permanentNotRetried() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let operation = ScriptedOperation<Int>([.fail(CategorizedError.permanent)])
        await #expect(throws: CategorizedError.permanent) {
            try await retry(.aggressive, clock: clock, observer: recorder) { try await operation() }
        }
        #expect(operation.callCount == 1)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.stopReasons == [.notRetryable])
    }

    @Test("only the policy's categories are retried: the conservative preset does not retry connection failures")
    func categoriesDecide() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let refused = ScriptedOperation<Int>([.fail(POSIXError(.ECONNREFUSED))])
        await #expect(throws: POSIXError(.ECONNREFUSED)) {
            try await retry(.conservative, clock: clock) { try await refused() }
        }
        #expect(refused.callCount == 1)
        let timedOut = ScriptedOperation<Int>([.fail(POSIXError(.ETIMEDOUT))])
        await #expect(throws: POSIXError(.ETIMEDOUT)) {
            try await retry(.conservative, clock: clock) { try await timedOut() }
        }
        #expect(timedOut.callCount == 2)
    }

    @Test("each category waits on its own schedule, indexed by the overall retry number (the guide's step 6)")
    func perCategorySchedules() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let transient = CategorizedError(category: .transient)
        let transientOnly = ScriptedOperation(failures: 4, with: transient, thenReturning: "ok")
        _ = try await retry(.adaptive, clock: clock) { try await transientOnly() }
        #expect(clock.requestedSleeps == [1, 2, 4, 8].map(Duration.seconds))

        let rateLimitClock = ManualClock(advancesAutomatically: true)
        let rateLimited = ScriptedOperation(failures: 4, with: CategorizedError.rateLimited(), thenReturning: "ok")
        _ = try await retry(.adaptive, clock: rateLimitClock) { try await rateLimited() }
        #expect(rateLimitClock.requestedSleeps == [4, 8, 16, 32].map(Duration.seconds))

        let mixedClock = ManualClock(advancesAutomatically: true)
        let mixed = ScriptedOperation([.fail(transient), .fail(CategorizedError.rateLimited()), .fail(transient), .succeed("ok")])
        _ = try await retry(.adaptive, clock: mixedClock) { try await mixed() }
        #expect(mixedClock.requestedSleeps == [1, 8, 4].map(Duration.seconds))
    }

    @Test("the elapsed budget is respected: no wait starts that would end past it")
    func elapsedBudget() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let policy = try RetryPolicy(
            maxAttempts: 10, backoff: .constant(.seconds(4)), jitter: .none,
            maxElapsedTime: .seconds(10), retryableCategories: [.timeout]
        )
        var calls = 0
        await #expect(throws: timeout) {
            try await retry(policy, clock: clock, observer: recorder) { () async throws -> Int in
                calls += 1
                try await clock.sleep(for: .seconds(1))  // each attempt takes 1 s of virtual time
                throw timeout
            }
        }
        // 0–1 attempt, 1–5 wait, 5–6 attempt, 6–10 wait (ends exactly at the budget), 10–11 attempt;
        // a further 4 s wait would end at 15 s > 10 s, so the loop stops at once.
        #expect(calls == 3)
        #expect(clock.now.offset == .seconds(11))
        #expect(recorder.scheduledDelays == [.seconds(4), .seconds(4)])
        #expect(recorder.stopReasons == [.elapsedTimeExhausted])
    }

    @Test("cancellation during a wait ends the loop at once, with no further attempt")
    func cancellationDuringWait() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let operation = ScriptedOperation<Int>([.fail(timeout)])
        let call = Task {
            try await retry(.default, clock: clock, observer: recorder) { try await operation() }
        }
        await clock.waitForSleepers()
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(operation.callCount == 1)
        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .zero)
        #expect(recorder.stopReasons == [.cancelled])
    }

    @Test("a failure while the task is cancelled is not retried; its error comes back unchanged")
    func failureAfterCancellation() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        var calls = 0
        await #expect(throws: timeout) {
            try await retry(.rateLimit, clock: clock, observer: recorder) { () async throws -> Int in
                calls += 1
                withUnsafeCurrentTask { $0?.cancel() }
                throw timeout
            }
        }
        #expect(calls == 1)
        #expect(recorder.stopReasons == [.cancelled])
    }

    @Test("CancellationError is never retried, even wrapped, even by a policy retrying every failure")
    func wrappedCancellationNotRetried() async throws {
        enum WrappedError: Error { case failed(any Error) }
        let clock = ManualClock(advancesAutomatically: true)
        for error: any Error in [CancellationError(), WrappedError.failed(CancellationError())] {
            var calls = 0
            await #expect(throws: (any Error).self) {
                try await retry(.rateLimit, clock: clock, classifier: .init(fallback: .transient)) { () async throws -> Int in
                    calls += 1
                    throw error
                }
            }
            #expect(calls == 1)
        }
    }

    @Test("a zero delay never sleeps")
    func zeroDelayDoesNotSleep() async throws {
        let clock = ManualClock()  // a real sleep would hang here: nobody advances this clock
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.zero), jitter: .full, retryableCategories: [.timeout])
        let operation = ScriptedOperation(failures: 2, with: timeout, thenReturning: 7)
        #expect(try await retry(policy, clock: clock) { try await operation() } == 7)
        #expect(operation.callCount == 3)
        #expect(clock.requestedSleeps.isEmpty)
    }

    @Test("a zero delay still honours cancellation")
    func zeroDelayHonoursCancellation() async throws {
        let clock = ManualClock()
        let policy = try RetryPolicy(maxAttempts: 5, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
        // Cancels the task after the retry is scheduled, before the (zero) wait.
        let cancelOnSchedule = ClosureObserver { event in
            if case .retryScheduled = event.kind { withUnsafeCurrentTask { $0?.cancel() } }
        }
        let operation = ScriptedOperation<Int>([.fail(timeout)])
        await #expect(throws: CancellationError.self) {
            try await retry(policy, clock: clock, observer: cancelOnSchedule) { try await operation() }
        }
        #expect(operation.callCount == 1)
    }

    @Test("a server's retry-after hint is honoured: never retry earlier than it")
    func hintHonoured() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(
            maxAttempts: 3, backoff: .exponential(initial: .seconds(1), maxDelay: .seconds(60)), jitter: .none,
            retryableCategories: [.rateLimited]
        )
        let operation = ScriptedOperation(
            [
                .fail(CategorizedError.rateLimited(retryAfter: .seconds(7))),
                .fail(CategorizedError.rateLimited(retryAfter: .milliseconds(500))), .succeed(1),
            ]
        )
        _ = try await retry(policy, clock: clock) { try await operation() }
        // 7 s (hint above the 1 s schedule); then the 2 s schedule (hint below it).
        #expect(clock.requestedSleeps == [.seconds(7), .seconds(2)])
    }

    @Test("a server hint of Int64.max seconds on a real clock neither traps nor hangs a cancelled caller")
    func hugeHintOnContinuousClock() async throws {
        let policy = try RetryPolicy(maxAttempts: 2, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.rateLimited])
        var hinted = CategorizedError.rateLimited()
        hinted.retryAfter = .seconds(Int64.max)  // what `Retry-After: 9223372036854775807` would say
        // Cancels the task once the (292-year) wait is scheduled, so the test ends at once.
        let cancelOnSchedule = ClosureObserver { event in
            if case .retryScheduled = event.kind { withUnsafeCurrentTask { $0?.cancel() } }
        }
        let operation = ScriptedOperation<Int>([.fail(hinted)])
        await #expect(throws: CancellationError.self) {
            try await retry(policy, observer: cancelOnSchedule) { try await operation() }
        }
        #expect(operation.callCount == 1)
    }

    @Test("a hint longer than the schedule's cap fails fast instead of waiting")
    func hintBeyondCap() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        // The rate-limit preset caps at 120 s, the adaptive one's rate-limit schedule at 32 s.
        let hinted = CategorizedError.rateLimited(retryAfter: .seconds(121))
        let operation = ScriptedOperation<Int>([.fail(hinted)])
        await #expect(throws: hinted) {
            try await retry(.rateLimit, clock: clock, observer: recorder) { try await operation() }
        }
        let adaptive = ScriptedOperation<Int>([.fail(CategorizedError.rateLimited(retryAfter: .seconds(33)))])
        await #expect(throws: CategorizedError.self) {
            try await retry(.adaptive, clock: clock, observer: recorder) { try await adaptive() }
        }
        #expect(operation.callCount == 1 && adaptive.callCount == 1)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.stopReasons == [.retryAfterExceedsMaxDelay, .retryAfterExceedsMaxDelay])
    }

    @Test("a hint longer than the remaining budget fails fast with the error instead of sleeping")
    func hintBeyondBudget() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let policy = try RetryPolicy(
            maxAttempts: 5, backoff: .exponential(initial: .seconds(1), maxDelay: .seconds(120)), jitter: .none,
            maxElapsedTime: .seconds(30), retryableCategories: [.rateLimited]
        )
        let hinted = CategorizedError.rateLimited(retryAfter: .seconds(45))
        let operation = ScriptedOperation<Int>([.fail(hinted)])
        await #expect(throws: hinted) {
            try await retry(policy, clock: clock, observer: recorder) { try await operation() }
        }
        #expect(operation.callCount == 1)
        #expect(clock.requestedSleeps.isEmpty)
        #expect(recorder.stopReasons == [.elapsedTimeExhausted])
    }

    @Test("retry on result: retried while the status is 429 or 5xx, whatever the policy's categories")
    func retryOnResult() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let retryable: Set = [429, 500, 502, 503, 504]
        let statuses = ScriptedOperation([.succeed(503), .succeed(429), .succeed(200)])
        let status = try await retry(.default, clock: clock, random: .seeded(42), retryingWhen: { retryable.contains($0) }) {
            try await statuses()
        }
        #expect(status == 200)
        #expect(statuses.callCount == 3)
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
    }

    @Test("retry on result: when attempts run out the last value is returned")
    func retryOnResultReturnsLastValue() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let statuses = ScriptedOperation([.succeed(503), .succeed(502), .succeed(500)])
        let status = try await retry(.default, clock: clock, observer: recorder, retryingWhen: { $0 >= 500 }) {
            try await statuses()
        }
        #expect(status == 500)
        #expect(statuses.callCount == 3)
        #expect(recorder.stopReasons == [.attemptsExhausted])
    }

    @Test("a classified result follows the policy like an error, hint included")
    func classifiedResult() async throws {
        struct Response: Equatable {
            var status: Int
            var retryAfter: Duration?
        }
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.rateLimited])
        let responses = ScriptedOperation([.succeed(Response(status: 429, retryAfter: .seconds(12))), .succeed(Response(status: 200))])
        let strategy = Retry(policy, clock: clock)
        let classify: (Response) -> ErrorClassification? = { response in
            switch response.status {
            case 429: .rateLimited(retryAfter: response.retryAfter)
            case 500...: .transient
            default: nil
            }
        }
        #expect(try await strategy.execute(classifyingResult: classify) { try await responses() } == Response(status: 200))
        #expect(clock.requestedSleeps == [.seconds(12)])

        // A 503 is transient, which this policy does not retry: returned at once.
        let unavailable = ScriptedOperation([.succeed(Response(status: 503))])
        #expect(try await strategy.execute(classifyingResult: classify) { try await unavailable() }.status == 503)
        #expect(unavailable.callCount == 1)
    }

    @Test("the observer sees every attempt outcome and every scheduled retry, in order")
    func events() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none, retryableCategories: [.timeout])
        let operation = ScriptedOperation(failures: 2, with: timeout, thenReturning: "ok")
        _ = try await Retry(policy, name: "ocr", clock: clock, observer: recorder).execute { try await operation() }
        #expect(
            recorder.events.map(\.description) == [
                "ocr: attempt 1 failed (timeout): CategorizedError(timeout, id: 0)",
                "ocr: retrying after attempt 1 (timeout) in 1.0 s",
                "ocr: attempt 2 failed (timeout): CategorizedError(timeout, id: 0)",
                "ocr: retrying after attempt 2 (timeout) in 1.0 s",
                "ocr: attempt 3 succeeded",
            ])
    }

    @Test("the operation runs in the caller's isolation")
    @MainActor
    func callerIsolation() async throws {
        final class Counter { var value = 0 }  // not Sendable: usable only because no hop happens
        let counter = Counter()
        let clock = ManualClock(advancesAutomatically: true)
        let result = try await retry(.default, clock: clock) { () async throws -> Int in
            MainActor.assertIsolated()
            counter.value += 1
            if counter.value < 3 { throw TimeoutError(timeout: .seconds(1)) }
            return counter.value
        }
        #expect(result == 3)
    }

    @Test("one Retry value serves many concurrent tasks")
    func concurrentUse() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .full, retryableCategories: [.timeout])
        let strategy = Retry(policy, clock: clock, random: .seeded(1))
        let operation = ScriptedOperation<Int>([.fail(timeout)])
        let failures = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { (try? await strategy.execute { try await operation() }) == nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(failures == 200)
        #expect(operation.callCount == 600)
    }
}
