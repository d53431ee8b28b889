import Resilience
import ResilienceTestKit
import Testing

@Suite("Statistics counting", .timeLimit(.minutes(1)))
struct StatisticsCountingTests {
    func policy(attempts: Int = 3, delay: Duration = .seconds(1)) throws -> RetryPolicy {
        try RetryPolicy(maxAttempts: attempts, backoff: .constant(delay), jitter: .none, retryableCategories: [.timeout])
    }

    @Test("pipelines sharing the statistics are counted apart, each strategy under its pipeline")
    func perPipeline() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let ocr = try ResiliencePipeline(name: "ocr", observer: statistics, clock: clock) { Retry(try policy(), clock: clock) }
        let vision = try ResiliencePipeline(name: "vision", observer: statistics, clock: clock) { Retry(try policy(), clock: clock) }
        for _ in 0..<3 { _ = try await ocr.execute { "text" } }
        let flaky = ScriptedOperation(failures: 1, with: CategorizedError.timeout, thenReturning: 1)
        _ = try await vision.execute { try await flaky() }

        let snapshot = statistics.snapshot()
        #expect(snapshot.pipelines.map(\.name) == ["ocr", "vision"])
        #expect(snapshot.pipeline(named: "ocr")?.calls.total == 3)
        #expect(snapshot.pipeline(named: "vision")?.calls.total == 1)
        #expect(snapshot.strategies.map(\.pipeline) == ["ocr", "vision"])
        #expect(snapshot.strategy(named: "retry", inPipeline: "ocr")?.calls.byAttempts == [1: 3])
        #expect(snapshot.strategy(named: "retry", inPipeline: "vision")?.calls.byAttempts == [2: 1])
        #expect(snapshot.strategy(named: "retry", inPipeline: "vision")?.retriesScheduled == 1)
        #expect(snapshot.strategy(named: "retry") == nil)  // no retry ran on its own
    }

    @Test("a pipeline nested in another is a strategy of the outer pipeline, and a pipeline of its own")
    func nestedPipeline() async throws {
        let outerStatistics = ResilienceStatistics()
        let innerStatistics = ResilienceStatistics()
        let clock = ManualClock()
        let inner = try ResiliencePipeline(name: "inner", observer: innerStatistics, clock: clock) { Retry(try policy(), clock: clock) }
        let outer = ResiliencePipeline(name: "outer", observer: outerStatistics, clock: clock) { inner }
        _ = try await outer.execute { 1 }

        let seenOutside = outerStatistics.snapshot()
        #expect(seenOutside.pipeline(named: "outer")?.calls.total == 1)
        #expect(seenOutside.pipeline(named: "inner") == nil)
        #expect(seenOutside.strategy(named: "inner", inPipeline: "outer")?.calls.successes == 1)
        #expect(seenOutside.strategy(named: "retry", inPipeline: "outer")?.calls.successes == 1)
        let seenInside = innerStatistics.snapshot()
        #expect(seenInside.pipelines.map(\.name) == ["inner"])
        #expect(seenInside.strategy(named: "retry", inPipeline: "inner")?.calls.successes == 1)
    }

    @Test("a retry without a pipeline is counted under its own name, as is the retry function")
    func standaloneRetry() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let ocrRetry = Retry(try policy(), name: "ocr-retry", clock: clock, observer: statistics)
        let flaky = ScriptedOperation(failures: 2, with: CategorizedError.timeout, thenReturning: "text")
        _ = try await ocrRetry.execute { try await flaky() }
        _ = try await retry(try policy(), name: "fetch", clock: clock, observer: statistics) { 1 }

        let snapshot = statistics.snapshot()
        #expect(snapshot.pipelines.isEmpty)
        #expect(snapshot.strategies.map(\.name) == ["fetch", "ocr-retry"])
        let counted = try #require(snapshot.strategy(named: "ocr-retry"))
        #expect(counted.pipeline == nil)
        #expect(counted.calls == CallStatistics(total: 1, successes: 1, byAttempts: [3: 1]))
        #expect(counted.retriesScheduled == 2 && counted.retryWait == .seconds(2))
        #expect(snapshot.strategy(named: "fetch")?.calls.byAttempts == [1: 1])
    }

    @Test("every failed call of a retry counts, a non-retryable first failure and a cancellation too")
    func everyFailureCounts() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock()
        let ocrRetry = Retry(try policy(), clock: clock, observer: statistics)
        await #expect(throws: CategorizedError.self) {
            try await ocrRetry.execute { () async throws -> Int in throw CategorizedError.permanent }
        }
        let waiting = Task { try await ocrRetry.execute { () async throws -> Int in throw CategorizedError.timeout } }
        await clock.waitForSleepers()
        waiting.cancel()  // during the wait after attempt 1
        await #expect(throws: CancellationError.self) { try await waiting.value }

        let calls = try #require(statistics.snapshot().strategy(named: "retry")?.calls)
        #expect(calls.total == 2 && calls.failures == 2 && calls.successes == 0)
        #expect(calls.failuresByCategory == [.permanent: 1, .cancellation: 1])
        #expect(calls.failuresByStopReason == [.notRetryable: 1, .cancelled: 1])
        #expect(calls.byAttempts == [1: 2])
        #expect(calls.failureRate == 1)
    }

    @Test("a retry that ends on a rejected result counts it as a failure without a category")
    func rejectedResult() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let status = try await retry(try policy(attempts: 2), clock: clock, observer: statistics, retryingWhen: { $0 == 503 }) { 503 }
        #expect(status == 503)
        let calls = try #require(statistics.snapshot().strategy(named: "retry")?.calls)
        #expect(
            calls
                == CallStatistics(
                    total: 1, failures: 1, rejectedResults: 1, failuresByStopReason: [.attemptsExhausted: 1], byAttempts: [2: 1]))
    }

    @Test("a retry's failures are categorised by the statistics' classifier; a pipeline's by its classification")
    func classifiers() {
        let statistics = ResilienceStatistics(classifier: ErrorClassifier(fallback: .rateLimited()))
        statistics.observe(.retriesEnded(strategy: "retry", attempts: 1, reason: .notRetryable, error: UnknownError()))
        statistics.observe(.callCompleted(strategy: "p", duration: nil, error: UnknownError(), classification: .transient))
        statistics.observe(.callCompleted(strategy: "q", duration: nil, error: UnknownError(), classification: nil))
        let snapshot = statistics.snapshot()
        #expect(snapshot.strategy(named: "retry")?.calls.failuresByCategory == [.rateLimited: 1])
        #expect(snapshot.pipeline(named: "p")?.calls.failuresByCategory == [.transient: 1])
        #expect(snapshot.pipeline(named: "q")?.calls.failuresByCategory == [.rateLimited: 1])
    }

    @Test("rejections of each kind: a breaker's by state, a limiter's by reason, a retry budget's")
    func rejections() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "ocr-breaker", clock: clock, observer: statistics)
        breaker.isolate()
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { 1 } }
        let budget = try RetryBudget.tokenBucket(capacity: 1, name: "ocr-budget")
        let limited = Retry(try policy(delay: .zero), name: "ocr-retry", clock: clock, budget: budget, observer: statistics)
        await #expect(throws: CategorizedError.self) {
            try await limited.execute { () async throws -> Int in throw CategorizedError.timeout }
        }
        var limit = ResilienceEvent.limitExceeded(strategy: "ocr-limiter", reason: .queueFull, retryAfter: nil)
        limit.pipeline = "ocr"
        statistics.observe(limit)
        statistics.observe(.limitExceeded(strategy: "ocr-limiter", reason: .rateExceeded, retryAfter: .milliseconds(250)))

        let snapshot = statistics.snapshot()
        let breakerCounts = try #require(snapshot.strategy(named: "ocr-breaker"))
        #expect(breakerCounts.rejections == RejectionStatistics(byCircuitState: [.isolated: 1]))
        #expect(breakerCounts.circuitState == .isolated && breakerCounts.circuitStateChanges == 1)
        let retryCounts = try #require(snapshot.strategy(named: "ocr-retry"))
        #expect(retryCounts.rejections == RejectionStatistics(retryBudget: 1))
        #expect(retryCounts.calls.failuresByStopReason == [.retryBudgetExhausted: 1])
        #expect(snapshot.strategy(named: "ocr-limiter", inPipeline: "ocr")?.rejections.byLimitReason == [.queueFull: 1])
        #expect(snapshot.strategy(named: "ocr-limiter")?.rejections.byLimitReason == [.rateExceeded: 1])
    }

    @Test("rejection totals add up the kinds")
    func rejectionTotals() {
        let rejections = RejectionStatistics(
            byCircuitState: [.open: 2, .halfOpen: 1], byLimitReason: [.queueFull: 2, .throttled: 1], retryBudget: 1
        )
        #expect(rejections.circuitBreaker == 3 && rejections.limiter == 3 && rejections.total == 7)
        #expect(RejectionStatistics(byCircuitState: [.open: .max, .isolated: 1]).total == .max)  // saturates, never traps
    }

    @Test("time-outs, fallbacks, hedges and faults are counted under their strategies")
    func otherStrategies() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock()
        let pipeline = ResiliencePipeline(name: "vision", observer: statistics, clock: clock) {
            Fallback(returning: 0, name: "vision-fallback", handling: [.timeout])
            Timeout(.seconds(2), name: "vision-timeout", clock: clock)
        }
        let call = Task {
            try await pipeline.execute { () async throws -> Int in
                try await clock.sleep(for: .seconds(10))
                return 1
            }
        }
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(2)))
        #expect(try await call.value == 0)
        statistics.observe(.hedgeStarted(strategy: "vision-hedge", attempt: 2, delay: .milliseconds(100)))
        statistics.observe(.faultInjected(strategy: "chaos", fault: "error"))

        let snapshot = statistics.snapshot()
        #expect(snapshot.strategy(named: "vision-timeout", inPipeline: "vision")?.timeouts == 1)
        #expect(snapshot.strategy(named: "vision-fallback", inPipeline: "vision")?.fallbacksByCategory == [.timeout: 1])
        #expect(snapshot.strategy(named: "vision-fallback", inPipeline: "vision")?.fallbacks == 1)
        #expect(
            snapshot.pipeline(named: "vision")?.calls == CallStatistics(total: 1, successes: 1, timedCalls: 1, totalDuration: .seconds(2)))
        #expect(snapshot.strategy(named: "vision-hedge")?.hedges == 1)
        #expect(snapshot.strategy(named: "chaos")?.faultsInjected == 1)
    }

    @Test("a breaker's state follows the changes it reports")
    func circuitState() {
        let statistics = ResilienceStatistics()
        for (from, to, reason) in [
            (CircuitState.closed, CircuitState.open, CircuitBreakerTransition.Reason.consecutiveFailures),
            (.open, .halfOpen, .breakElapsed),
            (.halfOpen, .closed, .probesSucceeded),
        ] {
            statistics.observe(
                .circuitStateChanged(strategy: "ocr", transition: CircuitBreakerTransition(from: from, to: to, reason: reason)))
        }
        #expect(statistics.snapshot().strategy(named: "ocr")?.circuitState == .closed)
        #expect(statistics.snapshot().strategy(named: "ocr")?.circuitStateChanges == 3)
    }

    @Test("a registered breaker is reported live, once however often it is registered")
    func registeredBreaker() async throws {
        let statistics = ResilienceStatistics()
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "ocr", configuration: .consecutiveFailures(1, breakDuration: .seconds(10)), clock: clock)
        let pipeline = ResiliencePipeline(name: "ocr", observer: statistics, clock: clock) { breaker }
        statistics.register(breaker)
        statistics.register(breaker)
        statistics.register(CircuitBreaker(name: "a-vision", clock: clock))
        await #expect(throws: CategorizedError.self) {
            try await pipeline.execute { () async throws -> Int in throw CategorizedError.timeout }
        }
        clock.advance(by: .seconds(4))

        let breakers = statistics.snapshot().breakers
        #expect(breakers.map(\.name) == ["a-vision", "ocr"])
        #expect(breakers.last?.snapshot == breaker.snapshot())
        #expect(breakers.last?.snapshot.timeUntilHalfOpen == .seconds(6))
    }

    @Test("reset forgets every count and keeps the registered breakers")
    func reset() async throws {
        let statistics = ResilienceStatistics()
        statistics.register(CircuitBreaker(name: "ocr", clock: ManualClock()))
        _ = try await retry(try policy(), clock: ManualClock(), observer: statistics) { 1 }
        #expect(statistics.snapshot().strategies.count == 1)
        statistics.reset()
        #expect(statistics.snapshot().strategies.isEmpty && statistics.snapshot().pipelines.isEmpty)
        #expect(statistics.snapshot().breakers.map(\.name) == ["ocr"])
        _ = try await retry(try policy(), clock: ManualClock(), observer: statistics) { 1 }
        #expect(statistics.snapshot().strategy(named: "retry")?.calls.total == 1)
    }

    @Test("nonsense in synthetic events is made total: no attempt below 1, no negative time, sums saturate")
    func nonsense() {
        let statistics = ResilienceStatistics()
        statistics.observe(.attemptSucceeded(strategy: "s", attempt: 0, duration: .seconds(-5)))
        statistics.observe(.retriesEnded(strategy: "s", attempts: .min, reason: .attemptsExhausted, error: UnknownError()))
        statistics.observe(.retryScheduled(strategy: "s", attempt: 1, delay: .seconds(-1), error: nil, classification: .transient))
        for _ in 0..<3 {
            statistics.observe(
                .retryScheduled(strategy: "s", attempt: 1, delay: .seconds(Int64.max), error: nil, classification: .transient))
        }
        let counted = statistics.snapshot().strategy(named: "s")
        #expect(counted?.calls.byAttempts == [1: 2])
        #expect(counted?.attemptTime == .zero && counted?.timedAttempts == 1)
        #expect(counted?.retryWait == .nanoseconds(Int64.max))
        #expect(counted?.calls.averageAttempts == 1)
    }

    @Test("events from many tasks at once are all counted, per strategy")
    func concurrentEvents() async {
        let statistics = ResilienceStatistics()
        let strategies = (0..<8).map { "strategy-\($0)" }
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<16 {
                group.addTask {
                    for index in 0..<2_000 {
                        let name = strategies[(task + index) % strategies.count]
                        statistics.observe(.attemptSucceeded(strategy: name, attempt: index % 3 + 1))
                        statistics.observe(
                            .retryScheduled(strategy: name, attempt: 1, delay: .milliseconds(1), error: nil, classification: .timeout))
                    }
                }
            }
        }
        let snapshot = statistics.snapshot()
        #expect(snapshot.strategies.map(\.name) == strategies)
        #expect(snapshot.strategies.allSatisfy { $0.calls.total == 4_000 && $0.retriesScheduled == 4_000 })
        #expect(snapshot.strategies.allSatisfy { $0.retryWait == .seconds(4) })
        #expect(snapshot.strategies.map { $0.calls.byAttempts.values.reduce(0, +) } == Array(repeating: 4_000, count: 8))
    }
}
