import Resilience
import ResilienceTestKit
import Testing

@Suite("Partitioned concurrency limiter", .timeLimit(.minutes(5)))
struct PartitionedConcurrencyLimiterTests {
    @Test("each key has permits and a queue of its own")
    func partitionsAreIndependent() async throws {
        let limiter = PartitionedConcurrencyLimiter(clock: ManualClock(), keyedBy: { RequestContext.tenant }) { host in
            .concurrentCalls(host == "big" ? 2 : 1, queued: 1)
        }
        let gate = Gate()
        let holders = ["big", "big", "small"].map { key in Task.immediate { try await limiter.execute(key: key) { try await gate.enter() } }
        }
        let waiter = Task.immediate { try await limiter.execute(key: "small") { "waited" } }
        #expect(limiter.snapshot(for: "big") == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 2, permitsInUse: 2))
        #expect(
            limiter.snapshot(for: "small")
                == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, permitsInUse: 1, waitingCalls: 1))
        #expect(await outcome(of: limiter) {} == .succeeded)  // "anonymous" is free
        let refused = await #expect(throws: LimitExceededError.self) { try await limiter.execute(key: "small") {} }
        #expect(refused?.reason == .queueFull)
        gate.releaseAll()
        for holder in holders { try await holder.value }
        #expect(try await waiter.value == "waited")
        #expect(limiter.snapshot(for: "small") == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, rejectedCalls: 1))
    }

    @Test("the bound holds: a busy partition is kept and a new key refused; once idle it is evicted to make room")
    func boundAndEviction() async throws {
        let observer = RecordingObserver()
        let limiter = PartitionedConcurrencyLimiter(
            name: "hosts", maxPartitions: 1, clock: ManualClock(), observer: observer, keyedBy: { RequestContext.tenant }
        ) { _ in .concurrentCalls(1) }
        let gate = Gate()
        let holder = Task.immediate { try await limiter.execute(key: "a") { try await gate.enter() } }
        let refused = await #expect(throws: LimitExceededError.self) { try await limiter.execute(key: "b") {} }
        #expect(refused == LimitExceededError(limiterName: "hosts", reason: .partitionsExhausted))
        #expect(observer.events.map(\.limitReason) == [.partitionsExhausted])
        gate.releaseAll()
        try await holder.value
        try await limiter.execute(key: "b") {}
        #expect(limiter.snapshot(for: "a") == nil)
        #expect(
            limiter.snapshot() == PartitionedLimiterSnapshot(partitions: 1, maxPartitions: 1, evictedPartitions: 1, exhaustedRejections: 1))
    }

    @Test("a queued call in a partition times out exactly at its partition's maximum wait")
    func queueTimeoutPerPartition() async throws {
        let clock = ManualClock()
        let limiter = PartitionedConcurrencyLimiter(clock: clock, keyedBy: { RequestContext.tenant }) { key in
            .concurrentCalls(1, queued: 1, maxWait: key == "patient" ? .seconds(10) : .seconds(1))
        }
        let gate = Gate()
        let holders = ["patient", "hasty"].map { key in Task.immediate { try await limiter.execute(key: key) { try await gate.enter() } } }
        let patient = Task { await RequestContext.$tenant.withValue("patient") { await outcome(of: limiter) {} } }
        let hasty = Task { await RequestContext.$tenant.withValue("hasty") { await outcome(of: limiter) {} } }
        await clock.waitForSleepers(count: 2)
        #expect(Set(clock.pendingDeadlines) == [clock.now.advanced(by: .seconds(1)), clock.now.advanced(by: .seconds(10))])
        await clock.advance(toSleeperDeadline: clock.now.advanced(by: .seconds(1)))
        #expect(await hasty.value == .refused(.queueTimeout))
        #expect(limiter.snapshot(for: "patient")?.waitingCalls == 1)
        gate.releaseAll()
        for holder in holders { try await holder.value }
        #expect(await patient.value == .succeeded)
        #expect(clock.sleeperCount == 0)
    }

    @Test("no permit is lost in any partition over 200 seeded rounds of random cancellation and release")
    func noPermitLost() async throws {
        var random = SeededRandomNumberGenerator(seed: 99)
        let clock = ManualClock()
        let keys = ["a", "b", "c"]
        let limiter = PartitionedConcurrencyLimiter(maxPartitions: 2, clock: clock, keyedBy: { RequestContext.tenant }) { _ in
            .concurrentCalls(2, queued: 2, maxWait: .seconds(1))
        }
        var seen: Set<CallOutcome> = []
        for _ in 0..<200 {
            let gate = Gate()
            var tasks: [Task<CallOutcome, Never>] = []
            for _ in 0..<Int.random(in: 1...10, using: &random) {
                let key = keys[Int.random(in: 0..<keys.count, using: &random)]
                tasks.append(
                    Task.immediate { await RequestContext.$tenant.withValue(key) { await outcome(of: limiter) { try await gate.enter() } } }
                )
            }
            for _ in 0..<Int.random(in: 0...5, using: &random) {
                switch Int.random(in: 0..<3, using: &random) {
                case 0: tasks.randomElement(using: &random)?.cancel()
                case 1: gate.releaseAll()
                default: clock.advance(by: .milliseconds(Int64.random(in: 0...1_500, using: &random)))
                }
            }
            for task in tasks { task.cancel() }
            for task in tasks { seen.insert(await task.value) }
            for key in keys {
                let snapshot = limiter.snapshot(for: key)
                #expect(snapshot?.permitsInUse ?? 0 == 0)
                #expect(snapshot?.waitingCalls ?? 0 == 0)
            }
        }
        #expect(seen.isSuperset(of: [.succeeded, .cancelled, .refused(.queueFull), .refused(.partitionsExhausted)]))
        // Every partition is idle, so any two keys find room.
        try await limiter.execute(key: "x") {}
        try await limiter.execute(key: "y") {}
    }

    @Test("in a pipeline, the key source picks the partition and a fallback takes the refusal")
    func pipelineFallback() async throws {
        let observer = RecordingObserver()
        let limiter = PartitionedConcurrencyLimiter(name: "tenants", clock: ManualClock(), keyedBy: { RequestContext.tenant }) { _ in
            .concurrentCalls(1)
        }
        let pipeline = ResiliencePipeline(name: "api", observer: observer) {
            Fallback(returning: "later")
            limiter
        }
        let gate = Gate()
        let holder = Task.immediate { try await limiter.execute(key: "a") { try await gate.enter() } }
        let refusedForA = try await RequestContext.$tenant.withValue("a") { try await pipeline.execute { "now" } }
        let admittedForB = try await RequestContext.$tenant.withValue("b") { try await pipeline.execute { "now" } }
        #expect(refusedForA == "later")
        #expect(admittedForB == "now")
        #expect(observer.events(.limitExceeded).map(\.pipeline) == ["api"])
        gate.releaseAll()
        try await holder.value
    }

    @Test("a caller already cancelled gets CancellationError, and no partition is made")
    func alreadyCancelledCaller() async throws {
        let limiter = PartitionedConcurrencyLimiter(clock: ManualClock(), keyedBy: { 1 }) { _ in .concurrentCalls(1) }
        let result = await alreadyCancelled { try await limiter.execute { Issue.record("the operation must not run") } }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(limiter.snapshot().partitions == 0)
    }
}
