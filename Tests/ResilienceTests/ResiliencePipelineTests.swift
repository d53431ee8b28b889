import Resilience
import ResilienceTestKit
import Testing

@Suite("Pipelines", .timeLimit(.minutes(5)))
struct ResiliencePipelineTests {
    let timeoutError = CategorizedError.timeout

    func policy(attempts: Int, delay: Duration) throws -> RetryPolicy {
        try RetryPolicy(maxAttempts: attempts, backoff: .constant(delay), jitter: .none, retryableCategories: [.timeout])
    }

    @Test("a pipeline describes its strategies, outer to inner")
    func describesItself() throws {
        let clock = ManualClock()
        let pipeline = try ResiliencePipeline(name: "ocr") {
            Timeout(.seconds(30), clock: clock)
            Retry(try policy(attempts: 3, delay: .seconds(1)), name: "ocr-retry", clock: clock)
            Timeout(.seconds(5), name: "attempt-timeout", clock: clock)
        }
        #expect(
            pipeline.strategyDescriptions == [
                "timeout(30.0 s)",
                "retry(ocr-retry: 3 attempts, constant(1.0 s), jitter none)",
                "attempt-timeout(5.0 s)",
            ])
        #expect(
            pipeline.description
                == "ocr: timeout(30.0 s) → retry(ocr-retry: 3 attempts, constant(1.0 s), jitter none) → attempt-timeout(5.0 s)")
    }

    @Test("strategies left out by a condition disappear from the pipeline", arguments: [true, false])
    func conditional(withTimeout: Bool) throws {
        let clock = ManualClock()
        let pipeline = ResiliencePipeline(name: "p") {
            Retry(.default, clock: clock)
            if withTimeout {
                Timeout(.seconds(5), clock: clock)
            }
        }
        #expect(pipeline.strategyDescriptions.count == (withTimeout ? 2 : 1))
    }

    @Test("order matters: a timeout outside the retry bounds the whole call, inside it bounds each attempt")
    func orderMatters() async throws {
        // Each attempt takes `length` and fails with a timeout-category error; retries wait 1 s.
        func operation(_ clock: ManualClock, length: Duration, calls: Counter) async throws -> Int {
            calls.increment()
            try await clock.sleep(for: length)
            throw timeoutError
        }

        let outsideClock = ManualClock()
        let outsideCalls = Counter()
        let outside = try ResiliencePipeline(name: "outside") {
            Timeout(.seconds(7), clock: outsideClock)
            Retry(try policy(attempts: 3, delay: .seconds(1)), clock: outsideClock)
        }
        let outsideCall = Task {
            try await outside.execute { try await operation(outsideClock, length: .seconds(4), calls: outsideCalls) }
        }
        // Attempt 1 ends at 4, the wait at 5, attempt 2 would end at 9, but the whole-call timer fires at 7.
        for wakeUp in [4, 5, 7] { await outsideClock.advance(toSleeperDeadline: .init(offset: .seconds(wakeUp))) }
        await #expect(throws: TimeoutError(timeout: .seconds(7))) { try await outsideCall.value }
        #expect(outsideClock.now.offset == .seconds(7))
        #expect(outsideCalls.value == 2)

        let insideClock = ManualClock()
        let insideCalls = Counter()
        let inside = try ResiliencePipeline(name: "inside") {
            Retry(try policy(attempts: 3, delay: .seconds(1)), clock: insideClock)
            Timeout(.seconds(3), clock: insideClock)
        }
        let insideCall = Task {
            try await inside.execute { try await operation(insideClock, length: .seconds(100), calls: insideCalls) }
        }
        // Each attempt's timer fires after 3 s, then the retry waits 1 s: 3, 4, 7, 8, 11.
        for wakeUp in [3, 4, 7, 8, 11] { await insideClock.advance(toSleeperDeadline: .init(offset: .seconds(wakeUp))) }
        await #expect(throws: TimeoutError(timeout: .seconds(3))) { try await insideCall.value }
        #expect(insideClock.now.offset == .seconds(11))
        #expect(insideCalls.value == 3)
    }

    @Test("every strategy's events carry the pipeline's name and reach the pipeline's observer")
    func events() async throws {
        let clock = ManualClock()
        let pipelineRecorder = RecordingObserver()
        let retryRecorder = RecordingObserver()
        let pipeline = try ResiliencePipeline(name: "vision", observer: pipelineRecorder, clock: clock) {
            Retry(try policy(attempts: 2, delay: .seconds(1)), name: "vision-retry", clock: clock, observer: retryRecorder)
            Timeout(.seconds(2), clock: clock)
        }
        let call = Task {
            try await pipeline.execute { () async throws -> Int in
                try await clock.sleep(for: .seconds(100))
                return 1
            }
        }
        // The first attempt's timer at 2 s, the wait until 3 s, the second attempt's timer at 5 s.
        for wakeUp in [2, 3, 5] { await clock.advance(toSleeperDeadline: .init(offset: .seconds(wakeUp))) }
        await #expect(throws: TimeoutError.self) { try await call.value }
        #expect(
            pipelineRecorder.events.map(\.description) == [
                "vision/timeout: timed out after 2.0 s",
                "vision/vision-retry: attempt 1 failed (timeout): timed out after 2.0 seconds",
                "vision/vision-retry: retrying after attempt 1 (timeout) in 1.0 s",
                "vision/timeout: timed out after 2.0 s",
                "vision/vision-retry: attempt 2 failed (timeout): timed out after 2.0 seconds",
                "vision/vision-retry: gave up after 2 attempts (attemptsExhausted): timed out after 2.0 seconds",
                "vision/vision: call failed (timeout): timed out after 2.0 seconds",
            ])
        // The pipeline timed the whole call on its clock: two attempts of 2 s and a wait of 1 s.
        #expect(pipelineRecorder.events(.callCompleted).map(\.duration) == [.seconds(5)])
        #expect(retryRecorder.events.count == 4)  // the retry's own observer sees its own events, stamped
        #expect(retryRecorder.events.allSatisfy { $0.pipeline == "vision" })
    }

    @Test("a budget's refusal is reported by the retry, naming the pipeline, the retry and the budget")
    func budgetRefusalEvent() async throws {
        let recorder = RecordingObserver()
        let budget = try RetryBudget.tokenBucket(capacity: 1, name: "vision-budget")
        let pipeline = try ResiliencePipeline(name: "vision", observer: recorder) {
            Retry(try policy(attempts: 3, delay: .zero), name: "vision-retry", clock: ManualClock(), budget: budget)
        }
        let operation = ScriptedOperation<Int>([.fail(timeoutError)])
        await #expect(throws: CategorizedError.self) { try await pipeline.execute { try await operation() } }
        let refusal = try #require(recorder.events.first { if case .retryBudgetRefused = $0.kind { true } else { false } })
        #expect(refusal.description == "vision/vision-retry: vision-budget refused a retry after attempt 2")
        #expect(operation.callCount == 2)
    }

    @Test("cancelling the caller cancels everything inside the pipeline")
    func cancellation() async throws {
        let clock = ManualClock()
        let calls = Counter()
        let pipeline = try ResiliencePipeline(name: "p") {
            Timeout(.seconds(60), clock: clock)
            Retry(try policy(attempts: 5, delay: .seconds(1)), clock: clock)
            Timeout(.seconds(30), clock: clock)
        }
        let call = Task {
            try await pipeline.execute { () async throws -> Int in
                calls.increment()
                try await clock.sleep(for: .seconds(10))
                return 1
            }
        }
        await clock.waitForSleepers(count: 3)  // both timers and the operation
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(clock.sleeperCount == 0)
        #expect(calls.value == 1)
    }

    @Test("a random initial delay spreads the first call, then runs it")
    func initialDelay() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let pipeline = ResiliencePipeline(name: "sync", observer: recorder) {
            RandomInitialDelay(upTo: .seconds(5), clock: clock, random: .seeded(42))
            Retry(.default, clock: clock)
        }
        #expect(try await pipeline.execute { 7 } == 7)
        // Seed 42's first draw, mapped to 0..<5 s (computed independently, as in JitterTests).
        #expect(clock.requestedSleeps == [.nanoseconds(3_707_824_393)])
        #expect(recorder.events.first?.description == "sync/initial-delay: delaying the first call by 3.707824393 s")
    }

    @Test("cancellation during the initial delay ends the call before the first attempt")
    func initialDelayCancelled() async throws {
        let clock = ManualClock()
        let calls = Counter()
        let delay = RandomInitialDelay(upTo: .seconds(5), clock: clock, random: .seeded(42))
        let call = Task { try await delay.execute { calls.increment() } }
        await clock.waitForSleepers()
        call.cancel()
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(calls.value == 0)
        #expect(throws: ConfigurationError.self) { try RandomInitialDelay(upTo: .seconds(-1), clock: clock).validate() }
    }

    @Test("one pipeline of fallback, retry, breaker and timeout serves 1,000 concurrent tasks, counts exact")
    func concurrentUse() async throws {
        let policy = try policy(attempts: 2, delay: .zero)
        let breaker = CircuitBreaker(
            name: "shared-breaker",
            configuration: try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 5, failureRateThreshold: 0.5, slidingWindow: .count(2_000), minimumThroughput: 100
            ),
            clock: ManualClock()
        )
        let pipeline = ResiliencePipeline(name: "shared") {
            Fallback(returning: -1)
            Retry(policy, clock: ManualClock())
            breaker
            Timeout(.seconds(60))
        }
        let flaky = ScriptedOperation([.fail(timeoutError), .succeed(1)])  // only the very first call fails
        let total = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<1_000 {
                group.addTask { (try? await pipeline.execute { try await flaky() }) ?? 0 }
            }
            return await group.reduce(0, +)
        }
        #expect(total == 1_000)  // every call succeeded, the failed first attempt retried
        #expect(flaky.callCount == 1_001)
        let snapshot = breaker.snapshot()
        #expect(snapshot.calls == 1_001 && snapshot.failures == 1 && snapshot.state == .closed)
    }
}

/// A call counter shared with operations running in other tasks.
final class Counter: Sendable {
    private let count = AnnotatedMutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

@Suite("Pipeline call events")
struct PipelineCallEventTests {
    @Test("with an observer, a pipeline reports each call's end: duration on its clock, error and category")
    func callCompleted() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let recorder = RecordingObserver()
        let pipeline = try ResiliencePipeline(name: "ocr", observer: recorder, clock: clock) {
            Retry(try RetryPolicy(maxAttempts: 2, backoff: .constant(.seconds(3)), jitter: .none), clock: clock)
        }
        #expect(try await pipeline.execute { 1 } == 1)
        await #expect(throws: CategorizedError.timeout) {
            try await pipeline.execute { () async throws -> Int in throw CategorizedError.timeout }
        }
        let ends = recorder.events(.callCompleted)
        #expect(ends.map(\.strategy) == ["ocr", "ocr"])
        #expect(ends.map(\.pipeline) == ["ocr", "ocr"])
        #expect(ends.map(\.duration) == [.zero, .seconds(3)])
        #expect(ends[0].error == nil && ends[0].classification == nil)
        #expect(ends[1].error as? CategorizedError == .timeout && ends[1].classification == .timeout)
        #expect(ends.map(\.description) == ["ocr/ocr: call succeeded", "ocr/ocr: call failed (timeout): CategorizedError(timeout, id: 0)"])
    }

    @Test("a nested pipeline's call ends reach the outer pipeline's observer too")
    func nested() async throws {
        let outerRecorder = RecordingObserver()
        let innerRecorder = RecordingObserver()
        let inner = ResiliencePipeline(name: "inner", observer: innerRecorder) { Retry(.default) }
        let outer = ResiliencePipeline(name: "outer", observer: outerRecorder) { inner }
        _ = try await outer.execute { 1 }
        #expect(innerRecorder.events(.callCompleted).map(\.strategy) == ["inner"])
        #expect(Set(outerRecorder.events(.callCompleted).map(\.strategy)) == ["inner", "outer"])
    }
}
