import Resilience
import ResilienceTestKit
import Testing

@Suite("Retry budgets")
struct RetryBudgetTests {
    let outage = CategorizedError.timeout

    /// Runs `requests` calls that all fail, through 3-attempt retries sharing `budget`; returns attempts made.
    func attemptsUnderOutage(requests: Int, budget: RetryBudget?) async throws -> Int {
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
        let strategy = Retry(policy, clock: ManualClock(), budget: budget)
        let operation = ScriptedOperation<Int>([.fail(outage)])
        for _ in 0..<requests {
            await #expect(throws: CategorizedError.self) { try await strategy.execute { try await operation() } }
        }
        return operation.callCount
    }

    @Test("under a total outage a 10 % ratio budget keeps attempts per request at 1.1, against 3.0 without")
    func amplificationRatio() async throws {
        let without = try await attemptsUnderOutage(requests: 1_000, budget: nil)
        #expect(Double(without) / 1_000 == 3.0)
        let budget = try RetryBudget.ratio(0.1, window: .seconds(10), minimumRetries: 0, clock: ManualClock())
        let with = try await attemptsUnderOutage(requests: 1_000, budget: budget)
        #expect(Double(with) / 1_000 <= 1.1)
        #expect(with == 1_100)
    }

    @Test("under a total outage a token bucket of 100 allows 100 retries in all: 1.1 attempts per request")
    func amplificationTokenBucket() async throws {
        let budget = try RetryBudget.tokenBucket(capacity: 100, retryCost: 1, successRefill: 0.1)
        let attempts = try await attemptsUnderOutage(requests: 1_000, budget: budget)
        #expect(attempts == 1_100)
        #expect(budget.snapshot.tokens == 0)
    }

    @Test("a refused retry rethrows the original error, says why, and emits an event")
    func refusal() async throws {
        let recorder = RecordingObserver()
        let budget = try RetryBudget.tokenBucket(capacity: 1, retryCost: 1, name: "ocr-budget", observer: recorder)
        let policy = try RetryPolicy(maxAttempts: 5, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
        let original = IdentifiableError(.timeout)
        var calls = 0
        do {
            _ = try await Retry(policy, clock: ManualClock(), budget: budget, observer: recorder).execute {
                () async throws -> Int in
                calls += 1
                throw original
            }
            Issue.record("expected a throw")
        } catch let error as IdentifiableError {
            #expect(error === original)
        }
        #expect(calls == 2)  // one retry was affordable
        #expect(recorder.stopReasons == [.retryBudgetExhausted])
        let refusals = recorder.events.map(\.description).filter { $0.contains("refused a retry") }
        #expect(
            refusals == [
                "ocr-budget: ocr-budget refused a retry after attempt 2",  // the budget's own observer
                "retry: ocr-budget refused a retry after attempt 2",  // the retry whose retry was refused
            ])
    }

    @Test("a token bucket recovers as successes refill it")
    func tokenBucketRecovers() async throws {
        let budget = try RetryBudget.tokenBucket(capacity: 2, retryCost: 1, successRefill: 0.5)
        #expect(budget.tryAcquireRetry(afterAttempt: 1) && budget.tryAcquireRetry(afterAttempt: 1))
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))
        budget.recordSuccess()
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))  // 0.5 tokens: not enough
        budget.recordSuccess()
        #expect(budget.tryAcquireRetry(afterAttempt: 1))
        for _ in 0..<10 { budget.recordSuccess() }
        #expect(budget.snapshot.tokens == 2)  // never above capacity
    }

    @Test("a ratio budget allows retries as requests grow, and forgets both as the window slides")
    func ratioWindowSlides() async throws {
        let clock = ManualClock()
        let budget = try RetryBudget.ratio(0.1, window: .seconds(10), minimumRetries: 1, clock: clock)
        #expect(budget.tryAcquireRetry(afterAttempt: 1))  // the minimum allowance
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))
        for _ in 0..<10 { budget.recordRequest() }
        #expect(budget.tryAcquireRetry(afterAttempt: 1))  // 1 + 10 % of 10 = 2
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))
        #expect(budget.snapshot == RetryBudget.Snapshot(tokens: nil, requestsInWindow: 10, retriesInWindow: 2))
        clock.advance(by: .seconds(5))
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))  // still inside the window
        clock.advance(by: .seconds(6))
        #expect(budget.snapshot == RetryBudget.Snapshot(tokens: nil, requestsInWindow: 0, retriesInWindow: 0))
        #expect(budget.tryAcquireRetry(afterAttempt: 1))  // the old retries expired
    }

    @Test("requests and successes are counted by the retry loop")
    func retryLoopRecords() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let budget = try RetryBudget.ratio(0.5, window: .seconds(10), minimumRetries: 0, clock: clock)
        let policy = try RetryPolicy(maxAttempts: 2, backoff: .constant(.zero), jitter: .none, retryableCategories: [.timeout])
        for _ in 0..<4 {
            _ = try await retry(policy, clock: clock, budget: budget) { 1 }
        }
        #expect(budget.snapshot.requestsInWindow == 4)
        let flaky = ScriptedOperation(failures: 1, with: outage, thenReturning: 1)
        _ = try await retry(policy, clock: clock, budget: budget) { try await flaky() }
        #expect(budget.snapshot == RetryBudget.Snapshot(tokens: nil, requestsInWindow: 5, retriesInWindow: 1))
    }

    @Test("bad budget settings are rejected by name")
    func validation() {
        for (make, field) in [
            ({ try RetryBudget.tokenBucket(capacity: 0) }, "capacity"),
            ({ try RetryBudget.tokenBucket(capacity: .nan) }, "capacity"),
            ({ try RetryBudget.tokenBucket(retryCost: -1) }, "retryCost"),
            ({ try RetryBudget.tokenBucket(successRefill: -0.5) }, "successRefill"),
            ({ try RetryBudget.ratio(1.5, clock: ManualClock()) }, "ratio"),
            ({ try RetryBudget.ratio(0.1, window: .zero, clock: ManualClock()) }, "window"),
            ({ try RetryBudget.ratio(0.1, minimumRetries: -1, clock: ManualClock()) }, "minimumRetries"),
        ] as [(() throws -> RetryBudget, String)] {
            #expect {
                _ = try make()
            } throws: { error in
                (error as? ConfigurationError)?.field == field
            }
        }
    }
}
