import Resilience
import ResilienceTestKit
import Testing

@Suite("Statistics under concurrency", .timeLimit(.minutes(2)))
struct StatisticsConcurrencyTests {
    /// What call `index` of the first phase does, by `index % 8`: 0-3 succeed at once, 4 after one
    /// time-out, 5 after two, 6 fails with a permanent error, 7 times out three times.
    static func steps(forCall index: Int) -> [ScriptedOperation<Int>.Step] {
        let timeout = ScriptedOperation<Int>.Step.fail(CategorizedError.timeout)
        switch index % 8 {
        case 4: return [timeout, .succeed(index)]
        case 5: return [timeout, timeout, .succeed(index)]
        case 6: return [.fail(CategorizedError.permanent)]
        case 7: return [timeout, timeout, timeout]
        default: return [.succeed(index)]
        }
    }

    @Test("10,000 concurrent calls through a fallback, a retry and a breaker are counted exactly")
    func tenThousandCalls() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let breaker = CircuitBreaker(name: "breaker", clock: clock)
        breaker.disable()  // counts but never trips: the outcomes do not depend on the order of the calls
        statistics.register(breaker)
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.milliseconds(10)), jitter: .none, retryableCategories: [.timeout])
        let pipeline = ResiliencePipeline(name: "batch", observer: statistics, clock: clock) {
            Fallback(returning: -1, name: "fallback")
            Retry(policy, name: "retry", clock: clock)
            breaker
        }
        // Phase 1: 8,000 calls at once, with the breaker letting everything through.
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<8_000 {
                group.addTask {
                    let operation = ScriptedOperation(Self.steps(forCall: index))
                    _ = try? await pipeline.execute { try await operation() }
                }
            }
        }
        // Phase 2: 2,000 calls at once, all rejected by the isolated breaker and answered by the fallback.
        breaker.isolate()
        let answers = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<2_000 {
                group.addTask { try? await pipeline.execute { index } }
            }
            return await group.reduce(into: [Int?]()) { $0.append($1) }
        }
        #expect(answers.allSatisfy { $0 == -1 })

        let snapshot = statistics.snapshot()
        let calls = try #require(snapshot.pipeline(named: "batch")?.calls)
        #expect(calls.total == 10_000 && calls.successes == 8_000 && calls.failures == 2_000)
        #expect(calls.failuresByCategory == [.permanent: 1_000, .timeout: 1_000])
        #expect(calls.timedCalls == 10_000)
        #expect(calls.successRate == 0.8)

        let retry = try #require(snapshot.strategy(named: "retry", inPipeline: "batch"))
        #expect(
            retry.calls
                == CallStatistics(
                    total: 10_000, successes: 6_000, failures: 4_000,
                    failuresByCategory: [.permanent: 1_000, .timeout: 1_000, .rejected: 2_000],
                    failuresByStopReason: [.notRetryable: 3_000, .attemptsExhausted: 1_000],
                    byAttempts: [1: 7_000, 2: 1_000, 3: 2_000]
                ))
        #expect(retry.calls.averageAttempts == 1.5)
        #expect(retry.retriesScheduled == 5_000 && retry.retryWait == .seconds(50))
        #expect(retry.timedAttempts == 15_000)

        #expect(snapshot.strategy(named: "fallback", inPipeline: "batch")?.fallbacksByCategory == [.rejected: 2_000])
        #expect(
            snapshot.strategy(named: "breaker", inPipeline: "batch")?.rejections == RejectionStatistics(byCircuitState: [.isolated: 2_000]))
        let live = try #require(snapshot.breaker(named: "breaker")?.snapshot)
        #expect(live.state == .isolated && live.rejectedCalls == 2_000)
        #expect(snapshot.strategies.map(\.name) == ["breaker", "fallback", "retry"])
    }
}
