import Resilience
import ResilienceTestKit
import Testing

@Suite("Circuit breaker under concurrency", .timeLimit(.minutes(5)))
struct CircuitBreakerConcurrencyTests {
    /// Opens `breaker` with one failure and moves `clock` past the break.
    func openAndWait(_ breaker: CircuitBreaker<ManualClock>, _ clock: ManualClock) async throws {
        if breaker.state == .closed {
            _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        }
        #expect(breaker.state == .open)
        clock.advance(by: breaker.snapshot().timeUntilHalfOpen ?? .zero)
    }

    @Test("half-open admits exactly N of 1,000 concurrent callers; the others are rejected", arguments: [1, 3, 10])
    func halfOpenAdmitsExactlyN(probes: Int) async throws {
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 1, breakSeconds: 10, probes: probes, successesToClose: probes, clock: clock)
        try await openAndWait(breaker, clock)
        let gate = Gate()
        let callers = 1_000
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<callers {
                group.addTask {
                    do {
                        try await breaker.execute { try await gate.enter() }
                        return true
                    } catch is CircuitOpenError {
                        gate.noteRejection()
                        return false
                    }
                }
            }
            await gate.waitUntilSettled(callers)
            #expect(gate.arrivals == probes)
            #expect(gate.rejections == callers - probes)
            #expect(breaker.snapshot().probesInFlight == probes)
            gate.releaseAll()
            var admitted = 0
            for try await passed in group where passed { admitted += 1 }
            #expect(admitted == probes)
        }
        #expect(breaker.state == .closed)
    }

    @Test("under random cancellation of probes the breaker always leaves half-open (300 seeded rounds)")
    func randomCancellationStress() async throws {
        var random = SeededRandomNumberGenerator(seed: 2_024)
        let clock = ManualClock()
        let probes = 3
        let breaker = try makeBreaker(failures: 1, breakSeconds: 1, probes: probes, successesToClose: 2, clock: clock)
        for _ in 0..<300 {
            try await openAndWait(breaker, clock)
            let gate = Gate()
            let callers = Int.random(in: probes...8, using: &random)
            let tasks = (0..<callers).map { _ in
                Task {
                    do {
                        try await breaker.execute { try await gate.enter() }
                    } catch is CircuitOpenError {
                        gate.noteRejection()
                    }
                }
            }
            await gate.waitUntilSettled(callers)
            #expect(gate.arrivals == probes)
            // Cancel a random subset of the callers (some probes, some already rejected), and release
            // the remaining probes with random outcomes: success, failure, or an ignored error.
            for task in tasks where Bool.random(using: &random) { task.cancel() }
            let outcomes = (0..<probes).map { _ in Int.random(in: 0..<3, using: &random) }
            gate.releaseAll { index in
                switch outcomes[index] {
                case 0: .succeed
                case 1: .fail(CategorizedError.timeout)
                default: .fail(CategorizedError.permanent)
                }
            }
            for task in tasks { _ = await task.result }

            // Every permit came back.
            let snapshot = breaker.snapshot()
            #expect(snapshot.probesInFlight == 0)
            // And the breaker leaves half-open: closed or open now, or it admits the next probe.
            var steps = 0
            while breaker.state != .closed, steps < 4 {
                if breaker.state == .open { clock.advance(by: breaker.snapshot().timeUntilHalfOpen ?? .zero) }
                _ = try await breaker.execute { 1 }
                steps += 1
            }
            #expect(breaker.state == .closed)
        }
    }

    @Test("probes cancelled before they start still give their slots back (200 seeded rounds)")
    func cancelledBeforeStarting() async throws {
        var random = SeededRandomNumberGenerator(seed: 7)
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 1, breakSeconds: 1, probes: 2, successesToClose: 1, clock: clock)
        for _ in 0..<200 {
            try await openAndWait(breaker, clock)
            let gate = Gate()
            let tasks = (0..<6).map { _ in
                let task = Task {
                    var entered = false
                    do {
                        try await breaker.execute {
                            entered = true
                            try await gate.enter()
                        }
                    } catch is CircuitOpenError {
                        gate.noteRejection()
                    } catch is CancellationError where !entered {
                        gate.noteRejection()  // cancelled before the call: it never took a slot
                    }
                }
                if Bool.random(using: &random) { task.cancel() }
                return task
            }
            await gate.waitUntilSettled(6)
            gate.releaseAll { _ in .fail(CategorizedError.permanent) }
            for task in tasks { _ = await task.result }
            #expect(breaker.snapshot().probesInFlight == 0)
            // Still open (lazily) only when every caller was cancelled before it called.
            #expect(breaker.state == .halfOpen || breaker.state == .closed || (gate.arrivals == 0 && breaker.state == .open))
            _ = try await breaker.execute { 1 }
            #expect(breaker.state == .closed)
        }
    }

    @Test("concurrent hammering keeps the counts exact", arguments: [SlidingWindow.count(100_000), .time(.seconds(60), buckets: 6)])
    func hammering(window: SlidingWindow) async throws {
        let breaker = CircuitBreaker(
            configuration: try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: nil, failureRateThreshold: 1, slidingWindow: window,
                minimumThroughput: 50_000),
            clock: ManualClock()
        )
        let tasks = 8
        let callsPerTask = 2_000
        await withTaskGroup(of: Void.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    for call in 0..<callsPerTask {
                        switch (task + call) % 4 {
                        case 0: _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
                        case 1: _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.permanent }
                        case 2:
                            if let permit = try? breaker.acquirePermit() { permit.recordSuccess() }
                        default: _ = try? await breaker.execute { call }
                        }
                    }
                }
            }
        }
        let snapshot = breaker.snapshot()
        #expect(snapshot.state == .closed)
        #expect(snapshot.calls == tasks * callsPerTask * 3 / 4)
        #expect(snapshot.failures == tasks * callsPerTask / 4)
    }

    @Test("many concurrent failures trip the breaker exactly once")
    func concurrentTripReportedOnce() async throws {
        let recorder = RecordingObserver()
        let breaker = try makeBreaker(failures: 10, breakSeconds: 60, observer: recorder)
        let ran = Counter()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<500 {
                group.addTask {
                    _ = try? await breaker.execute { () async throws -> Int in
                        ran.increment()
                        throw CategorizedError.connection
                    }
                }
            }
        }
        #expect(recorder.circuitTransitions == [change(.closed, .open, .consecutiveFailures)])
        #expect(recorder.rejectedStates.count + ran.value == 500)
        #expect(breaker.snapshot().failures >= 10)
    }
}
