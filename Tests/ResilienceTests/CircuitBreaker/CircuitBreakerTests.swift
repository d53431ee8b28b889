import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// A breaker on a manual clock that opens after `failures` consecutive failures for `breakSeconds`.
func makeBreaker(
    name: String = "ocr",
    failures: Int = 2,
    breakSeconds: Int64 = 5,
    probes: Int = 1,
    successesToClose: Int = 1,
    clock: ManualClock = ManualClock(),
    observer: (any ResilienceObserver)? = nil
) throws -> CircuitBreaker<ManualClock> {
    CircuitBreaker(
        name: name,
        configuration: try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: failures,
            breakDuration: .constant(.seconds(breakSeconds)),
            maxConcurrentProbes: probes,
            halfOpenRule: .consecutiveSuccesses(successesToClose)
        ),
        clock: clock,
        observer: observer
    )
}

@Suite("Circuit breaker", .timeLimit(.minutes(5)))
struct CircuitBreakerTests {
    @Test("the guide's check: with a threshold of 2 the third call is rejected with the open-circuit error")
    func guideVerification() async throws {
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 2, breakSeconds: 5, clock: clock)
        var calls = 0
        for _ in 0..<2 {
            await #expect(throws: POSIXError(.ECONNREFUSED)) {
                try await breaker.execute { () async throws -> Int in
                    calls += 1
                    throw POSIXError(.ECONNREFUSED)
                }
            }
        }
        do {
            _ = try await breaker.execute { () async throws -> Int in
                calls += 1
                throw POSIXError(.ECONNREFUSED)
            }
            Issue.record("the circuit breaker did not open")
        } catch let error as CircuitOpenError {
            #expect(error == CircuitOpenError(breakerName: "ocr", state: .open, retryAfter: .seconds(5)))
            #expect(error.resilienceClassification == ErrorClassification(.rejected, retryAfter: .seconds(5)))
            #expect("\(error)" == "circuit breaker \"ocr\" is open; it may half-open in 5.0 s")
        }
        #expect(calls == 2)
        #expect(breaker.state == .open)
    }

    @Test("the operation's error is rethrown unchanged, whether it counts or not")
    func rethrowsUnchanged() async throws {
        let breaker = try makeBreaker(failures: 100)
        for original in [IdentifiableError(.timeout), IdentifiableError(.permanent)] {
            do {
                _ = try await breaker.execute { () async throws -> Int in throw original }
                Issue.record("expected a throw")
            } catch let error as IdentifiableError {
                #expect(error === original)
            }
        }
        await #expect(throws: URLError(.timedOut)) {
            try await breaker.execute { () async throws -> Int in throw URLError(.timedOut) }
        }
        #expect(breaker.snapshot().failures == 2)
    }

    @Test("a value passes through, and the operation runs in the caller's isolation")
    @MainActor
    func valuePassesThrough() async throws {
        let breaker = try makeBreaker()
        var touched = 0  // main-actor state, mutated without a hop
        let value = try await breaker.execute {
            MainActor.assertIsolated()
            touched += 1
            return "text"
        }
        #expect(value == "text")
        #expect(touched == 1)
    }

    @Test("every transition is reported with the breaker's name, the states and the reason")
    func transitionsReported() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let breaker = try makeBreaker(name: "vision", failures: 1, breakSeconds: 10, clock: clock, observer: recorder)
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        _ = try? await breaker.execute { 1 }
        clock.advance(by: .seconds(10))
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        clock.advance(by: .seconds(10))
        _ = try await breaker.execute { 1 }
        #expect(
            recorder.circuitTransitions == [
                change(.closed, .open, .consecutiveFailures),
                change(.open, .halfOpen, .breakElapsed),
                change(.halfOpen, .open, .probeFailed),
                change(.open, .halfOpen, .breakElapsed),
                change(.halfOpen, .closed, .probesSucceeded),
            ]
        )
        #expect(recorder.rejectedStates == [.open])
        #expect(
            recorder.events.map(\.description) == [
                "vision: circuit closed -> open (consecutiveFailures)",
                "vision: call rejected, circuit open, may half-open in 10.0 s",
                "vision: circuit open -> halfOpen (breakElapsed)",
                "vision: circuit halfOpen -> open (probeFailed)",
                "vision: circuit open -> halfOpen (breakElapsed)",
                "vision: circuit halfOpen -> closed (probesSucceeded)",
            ]
        )
    }

    @Test(
        "by default transient errors and rate limits count as failures; permanent, rejected and cancellation do not",
        arguments: [
            (CategorizedError.timeout, true),
            (CategorizedError.connection, true),
            (CategorizedError(category: .ioFailure), true),
            (CategorizedError(category: .transient), true),
            (CategorizedError.rateLimited(retryAfter: .seconds(3)), true),
            (CategorizedError.permanent, false),
            (CategorizedError(category: .rejected), false),
            (CategorizedError(category: .cancellation), false),
        ]
    )
    func defaultCounting(error: CategorizedError, counts: Bool) async throws {
        let breaker = try makeBreaker(failures: 3)
        for _ in 0..<3 {
            _ = try? await breaker.execute { () async throws -> Int in throw error }
        }
        #expect(breaker.state == (counts ? .open : .closed))
        #expect(breaker.snapshot().failures == (counts ? 3 : 0))
        #expect(breaker.outcome(of: error) == (counts ? .failure : .ignored))
    }

    @Test("the failure categories, or a predicate, choose what counts")
    func chosenCounting() async throws {
        let onlyTimeouts = CircuitBreaker(
            configuration: try CircuitBreakerConfiguration(consecutiveFailureThreshold: 1, failureCategories: [.timeout]),
            clock: ManualClock()
        )
        #expect(onlyTimeouts.outcome(of: CategorizedError.connection) == .ignored)
        #expect(onlyTimeouts.outcome(of: CategorizedError.timeout) == .failure)

        let notFoundCounts = CircuitBreaker(
            configuration: try CircuitBreakerConfiguration(consecutiveFailureThreshold: 1),
            clock: ManualClock(),
            countsAsFailure: { error, classification in
                (error as? CategorizedError)?.id == 404 || classification.category == .timeout
            }
        )
        #expect(notFoundCounts.outcome(of: CategorizedError(category: .permanent, id: 404)) == .failure)
        #expect(notFoundCounts.outcome(of: CategorizedError.connection) == .ignored)
        // Cancellation never counts, whatever the predicate says.
        let everything = CircuitBreaker(clock: ManualClock(), countsAsFailure: { _, _ in true })
        #expect(everything.outcome(of: CancellationError()) == .ignored)
        #expect(everything.outcome(of: UnknownError()) == .failure)
    }

    @Test("a failure thrown while the calling task is cancelled does not count")
    func failureOfCancelledTaskIgnored() async throws {
        let breaker = try makeBreaker(failures: 1)
        let task = Task {
            try await breaker.execute { () async throws -> Int in
                withUnsafeCurrentTask { $0?.cancel() }
                throw CategorizedError.connection
            }
        }
        await #expect(throws: CategorizedError.connection) { try await task.value }
        #expect(breaker.state == .closed)
        #expect(breaker.snapshot().failures == 0)
    }

    @Test("a caller already cancelled gets CancellationError; the operation never runs and nothing counts")
    func alreadyCancelledCaller() async throws {
        let breaker = try makeBreaker(failures: 1)
        let ran = Counter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await breaker.execute { () async throws -> Int in
                ran.increment()
                throw CategorizedError.connection
            }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ran.value == 0)
        #expect(breaker.snapshot() == CircuitBreakerSnapshot(state: .closed))
    }

    @Test("returned values classified as failures count, and are still returned")
    func classifiedResults() async throws {
        let breaker = try makeBreaker(failures: 2)
        for _ in 0..<2 {
            let status = try await breaker.execute(classifyingResult: { $0 >= 500 ? .transient : nil }) { 503 }
            #expect(status == 503)
        }
        #expect(breaker.state == .open)
        let notFound = try makeBreaker(failures: 1)
        _ = try await notFound.execute(classifyingResult: { $0 == 404 ? .permanent : nil }) { 404 }
        #expect(notFound.state == .closed)
    }

    @Test("slow calls are measured on the injected clock")
    func slowCallsOnInjectedClock() async throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(
            configuration: try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 2, slowCalls: .countedAsFailures(over: .seconds(2))),
            clock: clock
        )
        for _ in 0..<2 {
            let value = try await breaker.execute {
                clock.advance(by: .seconds(3))
                return "slow but fine"
            }
            #expect(value == "slow but fine")
        }
        #expect(breaker.state == .open)
        #expect(breaker.snapshot().slowCalls == 2)
    }

    @Test("the snapshot shows state, counts, rates and the time until half-open")
    func snapshot() async throws {
        let clock = ManualClock()
        let breaker = CircuitBreaker(
            configuration: try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: nil, failureRateThreshold: 0.5, slidingWindow: .count(10),
                minimumThroughput: 4, breakDuration: .constant(.seconds(30))),
            clock: clock
        )
        for index in 0..<4 {
            _ = try? await breaker.execute { () async throws -> Int in
                if index % 3 == 0 { throw CategorizedError.timeout }
                return index
            }
        }
        #expect(
            breaker.snapshot()
                == CircuitBreakerSnapshot(
                    state: .open, calls: 4, failures: 2, consecutiveFailures: 1, consecutiveOpenings: 1, timeUntilHalfOpen: .seconds(30)))
        #expect(breaker.snapshot().failureRate == 0.5)
        clock.advance(by: .seconds(12))
        #expect(breaker.snapshot().timeUntilHalfOpen == .seconds(18))
        #expect("\(breaker.snapshot())" == "open, 2 of 4 calls failed, 1 in a row, half-open in 18.0 s")
    }

    @Test("isolate, disable, release and reset change the state by hand and are reported")
    func manualStates() async throws {
        let recorder = RecordingObserver()
        let breaker = try makeBreaker(failures: 1, observer: recorder)
        breaker.isolate()
        await #expect(throws: CircuitOpenError(breakerName: "ocr", state: .isolated, retryAfter: nil)) {
            try await breaker.execute { 1 }
        }
        breaker.release()
        #expect(try await breaker.execute { 2 } == 2)
        breaker.disable()
        for _ in 0..<10 {
            _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        }
        #expect(breaker.snapshot().failures == 10)
        #expect(breaker.state == .disabled)
        breaker.reset()
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        #expect(breaker.state == .open)
        breaker.reset()
        #expect(breaker.state == .closed)
        #expect(
            recorder.circuitTransitions == [
                change(.closed, .isolated, .isolated),
                change(.isolated, .closed, .released),
                change(.closed, .disabled, .disabled),
                change(.disabled, .closed, .reset),
                change(.closed, .open, .consecutiveFailures),
                change(.open, .closed, .reset),
            ]
        )
        #expect(recorder.rejectedStates == [.isolated])
    }

    @Test("a cancelled probe gives its slot back: the next call is admitted as a probe")
    func cancelledProbeGivesSlotBack() async throws {
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 1, breakSeconds: 1, clock: clock)
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        clock.advance(by: .seconds(1))
        let gate = Gate()
        let probe = Task { try await breaker.execute { try await gate.enter() } }
        await gate.waitUntilSettled(1)
        await #expect(throws: CircuitOpenError(breakerName: "ocr", state: .halfOpen, retryAfter: nil)) {
            try await breaker.execute { 1 }
        }
        probe.cancel()
        await #expect(throws: CancellationError.self) { try await probe.value }
        #expect(breaker.snapshot().probesInFlight == 0)
        #expect(breaker.state == .halfOpen)
        #expect(try await breaker.execute { 3 } == 3)
        #expect(breaker.state == .closed)
    }

    @Test("a permit records its outcome once; a permit dropped without an outcome is given back as ignored")
    func permits() async throws {
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 2, breakSeconds: 1, clock: clock)
        do {
            let permit = try breaker.acquirePermit()
            #expect(permit.state == .closed)
            permit.record(.failure)
        }
        do {
            let permit = try breaker.acquirePermit()
            permit.recordFailure(CategorizedError.timeout)
        }
        #expect(breaker.state == .open)
        #expect(throws: CircuitOpenError.self) { _ = try breaker.acquirePermit() }
        clock.advance(by: .seconds(1))
        do {
            let probe = try breaker.acquirePermit()
            #expect(probe.state == .halfOpen)
            #expect(throws: CircuitOpenError.self) { _ = try breaker.acquirePermit() }
            _ = probe  // dropped without an outcome
        }
        #expect(breaker.snapshot().probesInFlight == 0)
        try breaker.acquirePermit().recordSuccess()
        #expect(breaker.state == .closed)
    }

    @Test("an open circuit stays open until a call arrives after the break")
    func lazyHalfOpen() async throws {
        let clock = ManualClock()
        let breaker = try makeBreaker(failures: 1, breakSeconds: 5, clock: clock)
        _ = try? await breaker.execute { () async throws -> Int in throw CategorizedError.timeout }
        clock.advance(by: .seconds(60))
        #expect(breaker.state == .open)
        #expect(breaker.snapshot().timeUntilHalfOpen == .zero)
        _ = try await breaker.execute { 1 }
        #expect(breaker.state == .closed)
    }
}
