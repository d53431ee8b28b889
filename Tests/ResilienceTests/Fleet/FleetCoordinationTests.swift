import Resilience
import ResilienceTestKit
import Testing

@Suite("Fleet coordination of a CircuitBreaker")
struct FleetCoordinationTests {
    let configuration: CircuitBreakerConfiguration
    let fleet: FleetConfiguration

    init() throws {
        configuration = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 5, breakDuration: .constant(.seconds(10)))
        fleet = try FleetConfiguration(rules: FleetBreakerRules(failureRateThreshold: nil, quorum: 2))
    }

    /// Two other instances open on their own evidence.
    func failingFleet(at seconds: Double) -> FleetBreakerView {
        FleetBreakerView(summaries: [
            summary("x", .open, heartbeat: seconds), summary("y", .open, heartbeat: seconds),
        ])
    }

    @Test("the fleet opens a closed breaker: the observer hears fleetOpened, calls are rejected without running")
    func opensAndReports() async throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let breaker = CircuitBreaker(name: "ocr", configuration: configuration, clock: clock, observer: recorder, fleet: coordination)
        #expect(breaker.fleet === coordination)
        #expect(coordination.breakerName == "ocr")
        #expect(!coordination.isFollowingFleet)
        let result = try #require(coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0)))
        #expect(result.transitions == [change(.closed, .open, .fleetOpened)])
        #expect(result.decision.reason == .quorum)
        #expect(!result.holdsProbeLease)
        #expect(coordination.isFollowingFleet)
        #expect(breaker.state == .open)
        #expect(recorder.circuitTransitions == [change(.closed, .open, .fleetOpened)])
        let calls = Counter()
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { calls.increment() } }
        #expect(calls.value == 0)
        let report = try #require(coordination.report(unixTime: unix(1)))
        #expect(report.summary.instance == "me")
        #expect(report.summary.state == .open)
        #expect(report.summary.followsFleet)
    }

    @Test("a breaker in a pipeline follows its fleet: the pipeline's view shares the state")
    func pipelineView() async throws {
        let clock = ManualClock()
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let pipeline = ResiliencePipeline(name: "ocr") {
            CircuitBreaker(name: "ocr", configuration: configuration, clock: clock, fleet: coordination)
        }
        #expect(try await pipeline.execute { 1 } == 1)
        coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0))
        await #expect(throws: CircuitOpenError.self) { try await pipeline.execute { 2 } }
    }

    @Test("past staleAfter without a sync the shared view is stale, and the breaker probes on its own")
    func staleness() async throws {
        let clock = ManualClock()
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let breaker = CircuitBreaker(name: "ocr", configuration: configuration, clock: clock, fleet: coordination)
        coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0))
        clock.advance(by: .seconds(2))
        coordination.apply(failingFleet(at: 2), acknowledging: nil, unixTime: unix(2))
        clock.advance(by: .seconds(8))
        // The break has ended at 10 s; the view of 2 s was fresh until 2 + 3 = 5 s.
        #expect(!coordination.isFollowingFleet)
        #expect(try await breaker.execute { 3 } == 3)
        #expect(breaker.state == .closed)
    }

    @Test("while the view is fresh, a breaker past its break probes only with a lease, and reports its probe's verdict")
    func leaseAndVerdict() async throws {
        let clock = ManualClock()
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let breaker = CircuitBreaker(name: "ocr", configuration: configuration, clock: clock, fleet: coordination)
        coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0))
        clock.advance(by: .seconds(9.5))
        let asking = try #require(coordination.report(unixTime: unix(9.5)))
        #expect(asking.probeRequest == .acquire(knownRound: 0))
        coordination.apply(failingFleet(at: 9.5), acknowledging: asking, unixTime: unix(9.5))
        clock.advance(by: .seconds(1))
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { 0 } }
        // The store grants the lease.
        var leases = FleetProbeLeases()
        leases.apply(.acquire(knownRound: 0), from: "me", at: unix(10.5), configuration: fleet)
        let view = FleetBreakerView(summaries: failingFleet(at: 10.5).summaries, leases: leases)
        #expect(coordination.apply(view, acknowledging: nil, unixTime: unix(10.5))?.holdsProbeLease == true)
        #expect(try await breaker.execute { 4 } == 4)
        #expect(breaker.state == .closed)
        let verdict = try #require(coordination.report(unixTime: unix(11)))
        #expect(verdict.probeRequest == .release(.closed))
        leases.apply(.release(.closed), from: "me", at: unix(11), configuration: fleet)
        coordination.apply(FleetBreakerView(summaries: [], leases: leases), acknowledging: verdict, unixTime: unix(11))
        #expect(coordination.report(unixTime: unix(12))?.probeRequest == nil)
    }

    @Test("an unacknowledged verdict is reported again: a failed sync loses nothing")
    func unacknowledgedVerdict() async throws {
        let clock = ManualClock()
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let breaker = CircuitBreaker(name: "ocr", configuration: configuration, clock: clock, fleet: coordination)
        var leases = FleetProbeLeases()
        coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0))
        clock.advance(by: .seconds(10))
        leases.apply(.acquire(knownRound: 0), from: "me", at: unix(10), configuration: fleet)
        coordination.apply(FleetBreakerView(summaries: [], leases: leases), acknowledging: nil, unixTime: unix(10))
        await #expect(throws: CategorizedError.self) { try await breaker.execute { throw CategorizedError.timeout } }
        #expect(breaker.state == .open)
        #expect(coordination.report(unixTime: unix(11))?.probeRequest == .release(.reopened))
        // That sync failed; the next one reports it again.
        #expect(coordination.report(unixTime: unix(12))?.probeRequest == .release(.reopened))
    }

    @Test("the coordination holds the breaker weakly: once it is gone, there is nothing to report")
    func weak() {
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        do {
            let breaker = CircuitBreaker(name: "gone", configuration: configuration, clock: ManualClock(), fleet: coordination)
            #expect(coordination.report(unixTime: unix(0)) != nil)
            _ = breaker
        }
        #expect(coordination.report(unixTime: unix(0)) == nil)
        #expect(coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0)) == nil)
        #expect(coordination.breakerName == nil)
        #expect("\(coordination)" == "fleet(no breaker @ me, alone)")
    }

    @Test("a breaker that half-opens by itself waits for the new break when the fleet opens it")
    func halfOpensAutomatically() async throws {
        let clock = ManualClock()
        let automatic = try configuration.with { $0.halfOpensAutomatically = true }
        let coordination = FleetCoordination(instance: "me", configuration: fleet)
        let breaker = CircuitBreaker(name: "ocr", configuration: automatic, clock: clock, fleet: coordination)
        coordination.apply(failingFleet(at: 0), acknowledging: nil, unixTime: unix(0))
        await clock.waitForSleepers()
        #expect(clock.pendingDeadlines == [clock.now.advanced(by: .seconds(10))])
        _ = breaker
    }
}

@Suite("Retry budgets following a fleet")
struct RetryBudgetFleetTests {
    @Test("the fleet's budget is its minimum plus a share of the pooled requests of live instances")
    func decision() {
        let summaries = [
            FleetRetryBudgetSummary(instance: "a", requests: 100, retries: 10, heartbeat: unix(0)),
            FleetRetryBudgetSummary(instance: "b", requests: 100, retries: 9, heartbeat: unix(0)),
            FleetRetryBudgetSummary(instance: "gone", requests: 1_000, retries: 0, heartbeat: unix(-10)),
        ]
        let decision = FleetRetryBudgetDecision(evaluating: summaries, ratio: 0.1, minimumRetries: 0, timeToLive: .seconds(5), now: unix(1))
        #expect(decision.liveInstances == 2)
        #expect(decision.pooledRequests == 200)
        #expect(decision.pooledRetries == 19)
        #expect(decision.allowance == 20)
        #expect(decision.allowsRetries)
        let spent = FleetRetryBudgetDecision(
            evaluating: summaries + [FleetRetryBudgetSummary(instance: "c", requests: 0, retries: 1, heartbeat: unix(1))],
            ratio: 0.1, minimumRetries: 0, timeToLive: .seconds(5), now: unix(1))
        #expect(!spent.allowsRetries)
        #expect(
            FleetRetryBudgetDecision(evaluating: [], ratio: .nan, minimumRetries: -5, timeToLive: .seconds(5), now: 0).allowance == 0)
    }

    @Test("a veto refuses every retry, with an event, until a decision lifts it or it lapses on the budget's clock")
    func veto() throws {
        let clock = ManualClock()
        let recorder = RecordingObserver()
        let budget = try RetryBudget.ratio(0.5, window: .seconds(10), minimumRetries: 10, clock: clock, observer: recorder)
        for _ in 0..<4 { budget.recordRequest() }
        let summary = try #require(budget.fleetSummary(instance: "me", unixTime: unix(0)))
        #expect(summary == FleetRetryBudgetSummary(instance: "me", requests: 4, retries: 0, heartbeat: unix(0)))
        let spent = FleetRetryBudgetDecision(
            evaluating: [FleetRetryBudgetSummary(instance: "x", requests: 0, retries: 50, heartbeat: unix(0))], ratio: 0.1,
            minimumRetries: 10, timeToLive: .seconds(5), now: unix(0))
        #expect(budget.followFleet(spent, for: .seconds(3)))
        #expect(budget.isVetoedByFleet)
        #expect(!budget.tryAcquireRetry(afterAttempt: 1))
        #expect(recorder.kinds == [.retryBudgetRefused])
        clock.advance(by: .seconds(3))
        #expect(!budget.isVetoedByFleet)
        #expect(budget.tryAcquireRetry(afterAttempt: 1))
        budget.followFleet(spent, for: .seconds(3))
        let room = FleetRetryBudgetDecision(evaluating: [], ratio: 0.1, minimumRetries: 10, timeToLive: .seconds(5), now: unix(0))
        budget.followFleet(room, for: .seconds(3))
        #expect(budget.tryAcquireRetry(afterAttempt: 1))
        #expect(budget.snapshot.retriesInWindow == 2)
    }

    @Test("a token bucket counts no requests: it sends no summary and ignores a veto")
    func tokenBucket() throws {
        let budget = try RetryBudget.tokenBucket(capacity: 10)
        #expect(budget.fleetSummary(instance: "me", unixTime: 0) == nil)
        let spent = FleetRetryBudgetDecision(
            evaluating: [FleetRetryBudgetSummary(instance: "x", requests: 0, retries: 50, heartbeat: 0)], ratio: 0.1, minimumRetries: 0,
            timeToLive: .seconds(5), now: 0)
        #expect(!budget.followFleet(spent, for: .seconds(3)))
        #expect(budget.tryAcquireRetry(afterAttempt: 1))
    }
}
