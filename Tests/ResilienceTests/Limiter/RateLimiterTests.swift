import Resilience
import ResilienceTestKit
import Testing

@Suite("Rate limiter", .timeLimit(.minutes(5)))
struct RateLimiterTests {
    /// The instant `seconds` after the manual clock's start.
    func instant(_ seconds: Double) -> ManualClock.Instant {
        ManualClock.Instant(offset: .nanoseconds(Int64((seconds * 1e9).rounded())))
    }

    @Test("token bucket: a burst of its capacity runs at once, then waiters sleep until their reserved permits")
    func tokenBucketReservations() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(
            configuration: try .tokenBucket(capacity: 2, tokensPerPeriod: 1, period: .seconds(1), maxWait: .seconds(3)),
            clock: clock
        )
        #expect(try await limiter.execute { 1 } == 1)
        #expect(try await limiter.execute { 2 } == 2)
        let started = Log<Int>()
        let waiters = (3...5).map { index in
            Task.immediate {
                try await limiter.execute {
                    started.append(index)
                    return clock.now
                }
            }
        }
        #expect(clock.pendingDeadlines == [instant(1), instant(2), instant(3)])
        #expect(limiter.snapshot() == RateLimiterSnapshot(availablePermits: 0, waitingCalls: 3, admittedCalls: 5))
        // The next permit is at 4 s, past the 3 s allowed.
        let error = await #expect(throws: LimitExceededError.self) { try await limiter.execute {} }
        #expect(error?.reason == .rateExceeded)
        #expect(error?.retryAfter == .seconds(4))

        for second in 1...3 {
            await clock.advance(toSleeperDeadline: instant(Double(second)))
            #expect(try await waiters[second - 1].value == instant(Double(second)))
        }
        #expect(started.elements == [3, 4, 5])
        #expect(limiter.snapshot() == RateLimiterSnapshot(availablePermits: 0, admittedCalls: 5, rejectedCalls: 1))
        clock.advance(by: .seconds(10))
        #expect(limiter.snapshot().availablePermits == 2)
    }

    @Test("token bucket: a cancelled waiter gives its reservation back, and the next caller gets that permit")
    func cancelledReservationGivenBack() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(
            configuration: try .tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(1), maxWait: .seconds(10)),
            clock: clock
        )
        try await limiter.execute {}
        let first = Task.immediate { await outcome(of: limiter) { Issue.record("the operation must not run") } }
        let second = Task.immediate { try await limiter.execute { clock.now } }
        #expect(clock.pendingDeadlines == [instant(1), instant(2)])
        first.cancel()
        #expect(await first.value == .cancelled)
        #expect(clock.pendingDeadlines == [instant(2)])
        #expect(limiter.snapshot().waitingCalls == 1)
        // The 1 s permit is free again.
        let third = Task.immediate { try await limiter.execute { clock.now } }
        #expect(clock.pendingDeadlines == [instant(1), instant(2)])
        await clock.advance(toSleeperDeadline: instant(1))
        #expect(try await third.value == instant(1))
        await clock.advance(toSleeperDeadline: instant(2))
        #expect(try await second.value == instant(2))
        #expect(limiter.snapshot() == RateLimiterSnapshot(availablePermits: 0, admittedCalls: 3))
    }

    @Test("sliding window: at most the limit in any window; waiters wake as segments leave the window")
    func slidingWindowReservations() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(
            configuration: try .slidingWindow(limit: 3, window: .seconds(3), segments: 3, maxWait: .seconds(4)),
            clock: clock
        )
        try await limiter.execute {}
        clock.advance(by: .seconds(1.5))
        try await limiter.execute {}
        try await limiter.execute {}
        // Full until 3 s (segment 0 leaves: 1 permit), then 4 s (segment 1 leaves: 2 permits).
        let waiters = (0..<3).map { _ in Task.immediate { try await limiter.execute { clock.now } } }
        #expect(clock.pendingDeadlines == [instant(3), instant(4), instant(4)])
        let error = await #expect(throws: LimitExceededError.self) { try await limiter.execute {} }
        #expect(error?.retryAfter == .seconds(4.5))  // the next permit: 6 s, past the 4 s allowed
        await clock.advance(toSleeperDeadline: instant(3))
        #expect(try await waiters[0].value == instant(3))
        await clock.advance(toSleeperDeadline: instant(4))
        #expect(try await waiters[1].value == instant(4))
        #expect(try await waiters[2].value == instant(4))
        #expect(limiter.snapshot() == RateLimiterSnapshot(availablePermits: 0, admittedCalls: 6, rejectedCalls: 1))
    }

    @Test("without a maximum wait a call finding no permit is refused at once, with retryAfter and an event")
    func refusalIsTypedAndReported() async throws {
        let clock = ManualClock()
        let observer = RecordingObserver()
        let limiter = RateLimiter(
            name: "openai",
            configuration: try .tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(20)),
            clock: clock,
            observer: observer
        )
        try await limiter.execute {}
        clock.advance(by: .seconds(5))
        let error = await #expect(throws: LimitExceededError.self) {
            try await limiter.execute { Issue.record("the operation must not run") }
        }
        #expect(error == LimitExceededError(limiterName: "openai", reason: .rateExceeded, retryAfter: .seconds(15)))
        #expect(error?.resilienceClassification == ErrorClassification(.rejected, retryAfter: .seconds(15)))
        let event = try #require(observer.events.first)
        #expect(observer.events.count == 1)
        #expect(event.kind == .limitExceeded)
        #expect(event.strategy == "openai")
        #expect(event.limitReason == .rateExceeded)
        #expect(event.retryAfter == .seconds(15))
        #expect(clock.sleeperCount == 0)
    }

    @Test("a retry that lists .rejected waits the refusal's retryAfter, like a server's Retry-After")
    func retryHonoursRetryAfter() async throws {
        let clock = ManualClock(advancesAutomatically: true)
        let observer = RecordingObserver()
        let policy = try RetryPolicy(
            maxAttempts: 3, backoff: .constant(.milliseconds(100)), jitter: .none, retryableCategories: [.rejected])
        let limiter = RateLimiter(
            name: "api", configuration: try .tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(10)), clock: clock)
        let pipeline = ResiliencePipeline(name: "calls", observer: observer) {
            Retry(policy, clock: clock)
            limiter
        }
        #expect(try await pipeline.execute { clock.now } == instant(0))
        clock.advance(by: .seconds(2))
        #expect(try await pipeline.execute { clock.now } == instant(10))
        #expect(observer.scheduledDelays == [.seconds(8)])
        #expect(observer.events(.limitExceeded).map(\.retryAfter) == [.seconds(8)])
    }

    @Test("in a pipeline, a fallback takes the refusal; the default retry does not retry it")
    func pipelineFallback() async throws {
        let observer = RecordingObserver()
        let clock = ManualClock()
        let limiter = RateLimiter(
            name: "ocr", configuration: try .slidingWindow(limit: 1, window: .seconds(60), segments: 6), clock: clock)
        let pipeline = ResiliencePipeline(name: "receipts", observer: observer) {
            Fallback(returning: "local OCR")
            Retry(.default, clock: clock)
            limiter
        }
        #expect(try await pipeline.execute { "remote OCR" } == "remote OCR")
        #expect(try await pipeline.execute { "remote OCR" } == "local OCR")
        let refusal = try #require(observer.events(.limitExceeded).first)
        #expect(refusal.pipeline == "receipts")
        #expect(refusal.retryAfter == .seconds(60))
        #expect(observer.stopReasons == [.notRetryable])
        #expect(
            observer.fallbackReasons.first?.error as? LimitExceededError
                == LimitExceededError(
                    limiterName: "ocr", reason: .rateExceeded, retryAfter: .seconds(60)))
        // The pipeline's view shares the limiter's permits.
        #expect(limiter.snapshot().rejectedCalls == 1)
        #expect(pipeline.description.hasSuffix("rate-limiter(ocr: sliding window of 1 per 60.0 s in 6 segments)"))
    }

    @Test("a caller already cancelled gets CancellationError, takes no permit, and the operation never runs")
    func alreadyCancelledCaller() async throws {
        let limiter = RateLimiter(
            configuration: try .tokenBucket(capacity: 1, tokensPerPeriod: 1, period: .seconds(1)), clock: ManualClock())
        let result = await alreadyCancelled { try await limiter.execute { Issue.record("the operation must not run") } }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(limiter.snapshot() == RateLimiterSnapshot(availablePermits: 1))
    }

    @Test("the operation's error is rethrown unchanged; its permit stays spent")
    func errorsPassThrough() async throws {
        let limiter = RateLimiter(
            configuration: try .tokenBucket(capacity: 2, tokensPerPeriod: 1, period: .seconds(1)), clock: ManualClock())
        let thrown = IdentifiableError()
        do {
            try await limiter.execute { throw thrown }
            Issue.record("expected an error")
        } catch let error as IdentifiableError {
            #expect(error === thrown)
        }
        #expect(limiter.snapshot().availablePermits == 1)
    }
}
