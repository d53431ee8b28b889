import Resilience
import ResilienceTestKit
import Testing

/// The caller's context, as a service would keep it: bound around each request.
enum RequestContext {
    @TaskLocal static var tenant = "anonymous"
}

@Suite("Partitioned rate limiter", .timeLimit(.minutes(5)))
struct PartitionedRateLimiterTests {
    /// A bucket of `capacity` refilled by one token every `seconds`.
    func bucket(_ capacity: Int, every seconds: Int64, maxWait: Duration = .zero) throws -> RateLimiterConfiguration {
        try .tokenBucket(capacity: capacity, tokensPerPeriod: 1, period: .seconds(seconds), maxWait: maxWait)
    }

    @Test("each key has a bucket of its own, configured by the key")
    func partitionsAreIndependent() async throws {
        let clock = ManualClock()
        let asked = Log<String>()
        let (premium, basic) = (try bucket(3, every: 10), try bucket(1, every: 10))
        let limiter = PartitionedRateLimiter(clock: clock, keyedBy: { RequestContext.tenant }) { tenant in
            asked.append(tenant)
            return tenant == "premium" ? premium : basic
        }
        for _ in 0..<3 { try await limiter.execute(key: "premium") {} }
        try await limiter.execute(key: "basic") {}
        #expect(await outcome(of: limiter) {} == .succeeded)  // the key source's "anonymous"
        let refused = await #expect(throws: LimitExceededError.self) { try await limiter.execute(key: "premium") {} }
        #expect(refused?.reason == .rateExceeded)
        #expect(refused?.retryAfter == .seconds(10))
        #expect(await outcome(of: limiter) {} == .refused(.rateExceeded))
        #expect(asked.elements == ["premium", "basic", "anonymous"])  // once per partition
        #expect(limiter.snapshot(for: "premium") == RateLimiterSnapshot(availablePermits: 0, admittedCalls: 3, rejectedCalls: 1))
        #expect(limiter.snapshot(for: "basic") == RateLimiterSnapshot(availablePermits: 0, admittedCalls: 1))
        #expect(limiter.snapshot(for: "nobody") == nil)
        #expect(limiter.snapshot() == PartitionedLimiterSnapshot(partitions: 3, maxPartitions: 1_000))
    }

    @Test("the bound holds: with every partition busy a new key is refused; an idle one is evicted to make room")
    func boundAndEviction() async throws {
        let clock = ManualClock()
        let observer = RecordingObserver()
        let limiter = PartitionedRateLimiter(
            name: "tenants", maxPartitions: 2, clock: clock, observer: observer, keyedBy: { RequestContext.tenant }
        ) { [configuration = try bucket(2, every: 10)] _ in configuration }
        try await limiter.execute(key: "a") {}
        try await limiter.execute(key: "a") {}
        clock.advance(by: .seconds(5))
        try await limiter.execute(key: "b") {}
        // Neither bucket is full: no room for "c".
        let refused = await #expect(throws: LimitExceededError.self) { try await limiter.execute(key: "c") {} }
        #expect(refused == LimitExceededError(limiterName: "tenants", reason: .partitionsExhausted))
        #expect(observer.events.map(\.limitReason) == [.partitionsExhausted])
        #expect(limiter.snapshot() == PartitionedLimiterSnapshot(partitions: 2, maxPartitions: 2, exhaustedRejections: 1))
        // At the 10 s boundary "b"'s bucket is full again: idle, so evicted for "c"; "a"'s is not.
        clock.advance(by: .seconds(5))
        try await limiter.execute(key: "c") {}
        #expect(limiter.snapshot(for: "b") == nil)
        #expect(limiter.snapshot(for: "a")?.availablePermits == 1)
        #expect(
            limiter.snapshot() == PartitionedLimiterSnapshot(partitions: 2, maxPartitions: 2, evictedPartitions: 1, exhaustedRejections: 1))
        // At 20 s both are full: "b" comes back as it left, a full bucket.
        clock.advance(by: .seconds(10))
        try await limiter.execute(key: "b") {}
        try await limiter.execute(key: "b") {}
        #expect(limiter.snapshot(for: "b")?.availablePermits == 0)
        #expect(
            limiter.snapshot() == PartitionedLimiterSnapshot(partitions: 1, maxPartitions: 2, evictedPartitions: 3, exhaustedRejections: 1))
    }

    @Test("a partition holding a reservation is never evicted")
    func reservationsKeepPartitions() async throws {
        let clock = ManualClock()
        let window = try RateLimiterConfiguration.slidingWindow(limit: 1, window: .seconds(4), segments: 4, maxWait: .seconds(10))
        let limiter = PartitionedRateLimiter(maxPartitions: 1, clock: clock, keyedBy: { RequestContext.tenant }) { _ in window }
        try await limiter.execute(key: "a") {}
        let waiter = Task.immediate { try await limiter.execute(key: "a") { clock.now } }
        #expect(clock.pendingDeadlines == [ManualClock.Instant(offset: .seconds(4))])
        #expect(await outcome(of: limiter) {} == .refused(.partitionsExhausted))
        clock.advance(by: .seconds(4))
        #expect(try await waiter.value == ManualClock.Instant(offset: .seconds(4)))
        // The waiter's permit counts until 8 s.
        clock.advance(by: .seconds(3))
        #expect(await outcome(of: limiter) {} == .refused(.partitionsExhausted))
        clock.advance(by: .seconds(1))
        #expect(await outcome(of: limiter) {} == .succeeded)
    }

    @Test("in a pipeline built once, the key source reads each caller's task-local tenant, even inside a timeout")
    func taskLocalKeySource() async throws {
        let clock = ManualClock()
        let observer = RecordingObserver()
        let perMinute = try bucket(1, every: 60)
        let limiter = PartitionedRateLimiter(name: "tenants", clock: clock, keyedBy: { RequestContext.tenant }) { _ in perMinute }
        let pipeline = ResiliencePipeline(name: "completions", observer: observer) {
            Fallback(returning: "busy")
            Timeout(.seconds(30), clock: clock)  // runs what follows in a child task, which inherits task-locals
            limiter
        }
        func call(as tenant: String) async throws -> String {
            try await RequestContext.$tenant.withValue(tenant) {
                try await pipeline.execute { "answer for \(RequestContext.tenant)" }
            }
        }
        #expect(try await call(as: "a") == "answer for a")
        #expect(try await call(as: "b") == "answer for b")
        #expect(try await call(as: "a") == "busy")
        #expect(try await call(as: "c") == "answer for c")
        #expect(limiter.snapshot().partitions == 3)
        #expect(limiter.snapshot(for: "a")?.rejectedCalls == 1)
        let refusal = try #require(observer.events(.limitExceeded).first)
        #expect(refusal.pipeline == "completions")
        #expect(refusal.strategy == "tenants")
        #expect(refusal.retryAfter == .seconds(60))
        #expect(observer.fallbackReasons.count == 1)
    }

    @Test("execute(key:) names the partition; the key source is not asked")
    func explicitKey() async throws {
        let asked = Log<Int>()
        let limiter = PartitionedRateLimiter(
            clock: ManualClock(),
            keyedBy: {
                asked.append(1)
                return "from the source"
            }
        ) { [configuration = try bucket(1, every: 1)] _ in configuration }
        try await limiter.execute(key: "explicit") {}
        #expect(asked.count == 0)
        #expect(limiter.snapshot(for: "explicit") != nil)
        #expect(limiter.snapshot(for: "from the source") == nil)
    }

    @Test("a waiter cancelled in a partition gives its reservation back to that partition")
    func cancelledReservation() async throws {
        let clock = ManualClock()
        let waiting = try bucket(1, every: 1, maxWait: .seconds(5))
        let limiter = PartitionedRateLimiter(clock: clock, keyedBy: { RequestContext.tenant }) { _ in waiting }
        try await limiter.execute(key: "a") {}
        try await limiter.execute(key: "b") {}
        let first = Task.immediate { await RequestContext.$tenant.withValue("a") { await outcome(of: limiter) {} } }
        #expect(limiter.snapshot(for: "a")?.waitingCalls == 1)
        first.cancel()
        #expect(await first.value == .cancelled)
        #expect(limiter.snapshot(for: "a")?.waitingCalls == 0)
        #expect(clock.sleeperCount == 0)
        #expect(limiter.snapshot(for: "b")?.waitingCalls == 0)
        // The 1 s permit was given back: "a"'s next caller gets it, as "b"'s does its own.
        let second = Task.immediate { try await limiter.execute(key: "a") { clock.now } }
        let other = Task.immediate { try await limiter.execute(key: "b") { clock.now } }
        #expect(clock.pendingDeadlines == [ManualClock.Instant(offset: .seconds(1)), ManualClock.Instant(offset: .seconds(1))])
        clock.advance(by: .seconds(1))
        #expect(try await second.value == ManualClock.Instant(offset: .seconds(1)))
        #expect(try await other.value == ManualClock.Instant(offset: .seconds(1)))
    }

    @Test("a caller already cancelled gets CancellationError, and no partition is made")
    func alreadyCancelledCaller() async throws {
        let configuration = try bucket(1, every: 1)
        let limiter = PartitionedRateLimiter(clock: ManualClock(), keyedBy: { RequestContext.tenant }) { _ in configuration }
        let result = await alreadyCancelled { try await limiter.execute(key: "a") { Issue.record("the operation must not run") } }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(limiter.snapshot().partitions == 0)
    }

    @Test("a bound below 1 acts as 1")
    func boundIsTotal() throws {
        let configuration = try bucket(1, every: 1)
        let limiter = PartitionedRateLimiter(maxPartitions: -5, clock: ManualClock(), keyedBy: { 0 }) { _ in configuration }
        #expect(limiter.maxPartitions == 1)
        #expect(limiter.description == "partitioned-rate-limiter(partitioned-rate-limiter: up to 1 partitions)")
    }
}
