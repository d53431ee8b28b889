import Resilience
import ResilienceTestKit
import Testing

@Suite("Concurrency limiter", .timeLimit(.minutes(5)))
struct ConcurrencyLimiterTests {
    @Test("1,000 concurrent callers through one permit start strictly in arrival order")
    func strictOrderThroughOnePermit() async throws {
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1, queued: 999), clock: ManualClock())
        let gate = Gate()
        let started = Log<Int>()
        // Immediate tasks run until they suspend: each reaches the limiter before the next starts.
        let tasks = (0..<1_000).map { index in
            Task.immediate {
                try await limiter.execute {
                    started.append(index)
                    try await gate.enter()
                }
            }
        }
        #expect(limiter.snapshot().permitsInUse == 1)
        #expect(limiter.snapshot().waitingCalls == 999)
        // The queue is full: one more is refused at once.
        #expect(await outcome(of: limiter) {} == .refused(.queueFull))

        for round in 1...1_000 {
            await gate.waitUntilSettled(round)
            #expect(started.count == round)  // exactly one running
            gate.releaseAll()
        }
        for task in tasks { try await task.value }
        #expect(started.elements == Array(0..<1_000))
        #expect(limiter.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1, rejectedCalls: 1))
    }

    @Test("1,000 concurrent callers through 10 permits are admitted 10 at a time, in first-come batches")
    func batchesOfTen() async throws {
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(10, queued: 990), clock: ManualClock())
        let gate = Gate()
        let started = Log<Int>()
        let active = ActiveCalls()
        let tasks = (0..<1_000).map { index in
            Task.immediate {
                try await limiter.execute {
                    active.enter()
                    defer { active.leave() }
                    started.append(index)
                    try await gate.enter()
                }
            }
        }
        #expect(started.elements == Array(0..<10))
        #expect(limiter.snapshot().waitingCalls == 990)
        for round in 1..<100 {
            gate.releaseAll()
            await gate.waitUntilSettled(10 * (round + 1))
            let elements = started.elements
            #expect(elements.count == 10 * (round + 1))
            #expect(Set(elements.suffix(10)) == Set(10 * round..<10 * (round + 1)))
            #expect(limiter.snapshot().permitsInUse == 10)
            #expect(limiter.snapshot().waitingCalls == 1_000 - 10 * (round + 1))
        }
        gate.releaseAll()
        for task in tasks { try await task.value }
        #expect(active.most == 10)
        #expect(limiter.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 10))
    }

    @Test("a queued call that waits the maximum wait is refused with queueTimeout, exactly on time")
    func queueTimeoutIsExact() async throws {
        let clock = ManualClock()
        let observer = RecordingObserver()
        let limiter = ConcurrencyLimiter(
            name: "ocr", configuration: .concurrentCalls(1, queued: 1, maxWait: .seconds(2)), clock: clock, observer: observer)
        let gate = Gate()
        let holder = Task.immediate { try await limiter.execute { try await gate.enter() } }
        let waiter = Task { await outcome(of: limiter) { Issue.record("the operation must not run") } }
        await clock.waitForSleepers()
        #expect(clock.pendingDeadlines == [clock.now.advanced(by: .seconds(2))])
        #expect(limiter.snapshot().waitingCalls == 1)

        clock.advance(by: .seconds(2) - .nanoseconds(1))
        #expect(limiter.snapshot().waitingCalls == 1)
        clock.advance(by: .nanoseconds(1))
        #expect(await waiter.value == .refused(.queueTimeout))
        #expect(limiter.snapshot().waitingCalls == 0)
        #expect(limiter.snapshot().rejectedCalls == 1)
        let events = observer.events(.limitExceeded)
        #expect(events.count == 1)
        #expect(events.first?.limitReason == .queueTimeout)
        #expect(events.first?.strategy == "ocr")
        #expect(events.first?.retryAfter == nil)

        gate.releaseAll()
        try await holder.value
        #expect(limiter.snapshot().permitsInUse == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("a call granted its permit before the maximum wait runs, and its timer is gone")
    func grantBeforeTimeout() async throws {
        let clock = ManualClock()
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1, queued: 1, maxWait: .seconds(5)), clock: clock)
        let gate = Gate()
        let holder = Task.immediate { try await limiter.execute { try await gate.enter() } }
        let waiter = Task { try await limiter.execute { 42 } }
        await clock.waitForSleepers()
        clock.advance(by: .seconds(4))
        gate.releaseAll()
        try await holder.value
        #expect(try await waiter.value == 42)
        #expect(clock.sleeperCount == 0)  // the timer was cancelled and awaited
        clock.advance(by: .seconds(10))
        #expect(limiter.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1))
    }

    @Test("with a full queue a call is refused at once with queueFull, a typed error and an event")
    func queueFullIsTypedAndReported() async throws {
        let observer = RecordingObserver()
        let limiter = ConcurrencyLimiter(name: "vision", configuration: .concurrentCalls(2), clock: ManualClock(), observer: observer)
        let gate = Gate()
        let holders = (0..<2).map { _ in Task.immediate { try await limiter.execute { try await gate.enter() } } }
        let error = await #expect(throws: LimitExceededError.self) {
            try await limiter.execute { Issue.record("the operation must not run") }
        }
        #expect(error == LimitExceededError(limiterName: "vision", reason: .queueFull))
        #expect(error?.resilienceClassification.category == .rejected)
        #expect(observer.events.map(\.kind) == [.limitExceeded])
        #expect(observer.events.first?.limitReason == .queueFull)
        gate.releaseAll()
        for holder in holders { try await holder.value }
    }

    @Test("the operation's error is rethrown unchanged and its permit given back")
    func errorsPassThrough() async throws {
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1), clock: ManualClock())
        let thrown = IdentifiableError()
        do {
            try await limiter.execute { throw thrown }
            Issue.record("expected an error")
        } catch let error as IdentifiableError {
            #expect(error === thrown)
        }
        #expect(limiter.snapshot().permitsInUse == 0)
    }

    @Test("a caller already cancelled gets CancellationError and the operation never runs")
    func alreadyCancelledCaller() async throws {
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1), clock: ManualClock())
        let result = await alreadyCancelled { try await limiter.execute { Issue.record("the operation must not run") } }
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(limiter.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1))
    }

    @Test("a waiter cancelled in the queue throws CancellationError and leaves the queue")
    func cancelledWaiter() async throws {
        let clock = ManualClock()
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1, queued: 1, maxWait: .seconds(5)), clock: clock)
        let gate = Gate()
        let holder = Task.immediate { try await limiter.execute { try await gate.enter() } }
        let waiter = Task.immediate { await outcome(of: limiter) { Issue.record("the operation must not run") } }
        #expect(limiter.snapshot().waitingCalls == 1)
        waiter.cancel()
        #expect(await waiter.value == .cancelled)
        #expect(limiter.snapshot().waitingCalls == 0)
        #expect(limiter.snapshot().rejectedCalls == 0)
        gate.releaseAll()
        try await holder.value
        #expect(limiter.snapshot().permitsInUse == 0)
        #expect(clock.sleeperCount == 0)
    }

    @Test("a holder cancelled mid-call gives its permit to the next waiter")
    func cancelledHolder() async throws {
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(1, queued: 1), clock: ManualClock())
        let gate = Gate()
        let holder = Task.immediate { await outcome(of: limiter) { try await gate.enter() } }
        let waiter = Task.immediate { try await limiter.execute { "ran" } }
        holder.cancel()
        #expect(await holder.value == .cancelled)
        #expect(try await waiter.value == "ran")
        #expect(limiter.snapshot() == ConcurrencyLimiterSnapshot(maxConcurrentCalls: 1))
    }

    @Test("no permit is lost over 300 seeded rounds of random cancellation, release, failure and expiry")
    func noPermitLost() async throws {
        var random = SeededRandomNumberGenerator(seed: 42)
        let clock = ManualClock()
        let limit = 3
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(limit, queued: 6, maxWait: .seconds(1)), clock: clock)
        let active = ActiveCalls()
        var seen: Set<CallOutcome> = []
        for _ in 0..<300 {
            let gate = Gate()
            let callers = Int.random(in: 1...12, using: &random)
            var tasks: [Task<CallOutcome, Never>] = []
            for _ in 0..<callers {
                let task = Task.immediate {
                    await outcome(of: limiter) {
                        active.enter()
                        defer { active.leave() }
                        try await gate.enter()
                    }
                }
                if Int.random(in: 0..<8, using: &random) == 0 { task.cancel() }
                tasks.append(task)
            }
            for _ in 0..<Int.random(in: 0...6, using: &random) {
                switch Int.random(in: 0..<4, using: &random) {
                case 0:
                    tasks.randomElement(using: &random)?.cancel()
                case 1:
                    let failures = (0..<12).map { _ in Bool.random(using: &random) }
                    gate.releaseAll { failures[$0 % failures.count] ? .fail(CategorizedError.timeout) : .succeed }
                case 2:
                    clock.advance(by: .milliseconds(Int64.random(in: 0...1_500, using: &random)))
                default:
                    await Task.yield()
                }
            }
            for task in tasks { task.cancel() }
            for task in tasks { seen.insert(await task.value) }
            let snapshot = limiter.snapshot()
            #expect(snapshot.permitsInUse == 0)
            #expect(snapshot.waitingCalls == 0)
        }
        #expect(active.most <= limit)
        #expect(active.now == 0)
        // Every way of ending came up.
        #expect(seen == [.succeeded, .failed, .cancelled, .refused(.queueFull), .refused(.queueTimeout)])
        // And the limiter still admits `limit` calls at once.
        let gate = Gate()
        let last = (0..<limit).map { _ in Task.immediate { try await limiter.execute { try await gate.enter() } } }
        #expect(limiter.snapshot().permitsInUse == limit)
        gate.releaseAll()
        for task in last { try await task.value }
    }

    @Test("parallel callers never exceed the limit and leave every permit free (50 seeded rounds of 200 tasks)")
    func parallelCallers() async throws {
        var random = SeededRandomNumberGenerator(seed: 5)
        let limit = 2
        let limiter = ConcurrencyLimiter(configuration: .concurrentCalls(limit, queued: 150), clock: ContinuousClock())
        let active = ActiveCalls()
        var seen: Set<CallOutcome> = []
        for _ in 0..<50 {
            let tasks = (0..<200).map { _ in
                Task {
                    await outcome(of: limiter) {
                        active.enter()
                        defer { active.leave() }
                        await Task.yield()
                    }
                }
            }
            for task in tasks where Int.random(in: 0..<4, using: &random) == 0 { task.cancel() }
            for task in tasks { seen.insert(await task.value) }
            #expect(limiter.snapshot().permitsInUse == 0)
            #expect(limiter.snapshot().waitingCalls == 0)
        }
        #expect(active.most <= limit)
        #expect(seen.contains(.succeeded))
        #expect(seen.contains(.cancelled))
    }

    @Test("in a pipeline, a fallback takes the refusal and the events carry the pipeline's name")
    func pipelineFallback() async throws {
        let observer = RecordingObserver()
        let limiter = ConcurrencyLimiter(name: "ocr", configuration: .concurrentCalls(1), clock: ManualClock())
        let pipeline = ResiliencePipeline(name: "receipts", observer: observer) {
            Fallback(returning: "local OCR")
            Retry(.default, clock: ManualClock(advancesAutomatically: true))
            limiter
        }
        let gate = Gate()
        // A caller outside the pipeline holds the only permit: the pipeline's view shares it.
        let holder = Task.immediate { try await limiter.execute { try await gate.enter() } }
        #expect(try await pipeline.execute { "remote OCR" } == "local OCR")
        let refusal = try #require(observer.events(.limitExceeded).first)
        #expect(refusal.pipeline == "receipts")
        #expect(refusal.strategy == "ocr")
        #expect(refusal.limitReason == .queueFull)
        #expect(observer.stopReasons == [.notRetryable])  // no preset retries a refusal
        #expect(observer.fallbackReasons.first?.error is LimitExceededError)
        gate.releaseAll()
        try await holder.value
        #expect(try await pipeline.execute { "remote OCR" } == "remote OCR")
        #expect(
            pipeline.description
                == "receipts: fallback → retry(3 attempts, exponential(1.0 s × 2.0, max 60.0 s), jitter proportional(0.5)) → concurrency-limiter(ocr: 1 at once)"
        )
    }
}
