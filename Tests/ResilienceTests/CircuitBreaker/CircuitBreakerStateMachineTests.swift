import Resilience
import ResilienceTestKit
import Testing

typealias Machine = CircuitBreakerStateMachine<ManualClock.Instant>

/// The instant `seconds` after a manual clock's start.
func at(_ seconds: Double) -> ManualClock.Instant {
    ManualClock.Instant(offset: .milliseconds(Int64((seconds * 1000).rounded())))
}

extension CircuitBreakerStateMachine where Instant == ManualClock.Instant {
    /// A machine created at time zero.
    init(_ configuration: CircuitBreakerConfiguration) {
        self.init(configuration: configuration, now: at(0))
    }

    /// Acquires a permit at `start` and records `outcome` at `end`; `nil` permit when rejected.
    @discardableResult
    mutating func call(
        _ outcome: CircuitBreakerOutcome,
        at start: Double,
        until end: Double? = nil,
        _ configuration: CircuitBreakerConfiguration
    ) -> (granted: Bool, transitions: [CircuitBreakerTransition]) {
        let acquisition = acquire(at: at(start), configuration: configuration)
        guard let permit = acquisition.permit else { return (false, []) }
        let second = record(outcome, for: permit, at: at(end ?? start), configuration: configuration)
        return (true, [acquisition.transition, second].compactMap { $0 })
    }

    /// Acquires a permit; `nil` when rejected.
    mutating func permit(at seconds: Double, _ configuration: CircuitBreakerConfiguration) -> Permit? {
        guard let permit = (acquire(at: at(seconds), configuration: configuration)).permit else { return nil }
        return permit
    }

    /// Acquires a permit, failing the test when rejected.
    mutating func requirePermit(
        at seconds: Double,
        _ configuration: CircuitBreakerConfiguration,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Permit {
        let permit = permit(at: seconds, configuration)
        return try #require(permit, sourceLocation: sourceLocation)
    }
}

/// A transition, briefly.
func change(_ from: CircuitState, _ to: CircuitState, _ reason: CircuitBreakerTransition.Reason) -> CircuitBreakerTransition {
    CircuitBreakerTransition(from: from, to: to, reason: reason)
}

@Suite("Circuit breaker state machine")
struct CircuitBreakerStateMachineTests {
    let guide: CircuitBreakerConfiguration

    init() throws {
        guide = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 5, breakDuration: .constant(.seconds(60)))
    }

    @Test("closed trips to open after the threshold of consecutive failures, and rejects until the break has passed")
    func consecutiveFailuresTrip() {
        var machine = Machine(guide)
        for second in 0..<4 {
            #expect(machine.call(.failure, at: Double(second), guide).transitions.isEmpty)
        }
        #expect(machine.snapshot(at: at(4), configuration: guide).consecutiveFailures == 4)
        #expect(machine.call(.failure, at: 4, guide).transitions == [change(.closed, .open, .consecutiveFailures)])
        #expect(machine.state == .open)
        #expect(machine.acquire(at: at(4), configuration: guide) == .rejected(state: .open, retryAfter: .seconds(60)))
        #expect(machine.acquire(at: at(63.5), configuration: guide) == .rejected(state: .open, retryAfter: .milliseconds(500)))
        #expect(machine.snapshot(at: at(10), configuration: guide).timeUntilHalfOpen == .seconds(54))
    }

    @Test("a success in the closed state starts the count of consecutive failures again (the guide's breaker never did)")
    func successResetsConsecutiveFailures() {
        var machine = Machine(guide)
        for round in 0..<10 {
            for failure in 0..<4 { machine.call(.failure, at: Double(round * 5 + failure), guide) }
            machine.call(.success, at: Double(round * 5 + 4), guide)
        }
        #expect(machine.state == .closed)
        let snapshot = machine.snapshot(at: at(50), configuration: guide)
        #expect(snapshot.consecutiveFailures == 0)
        #expect(snapshot.calls == 50)
        #expect(snapshot.failures == 40)
    }

    @Test("open half-opens on the first call after the break, which is admitted as a probe")
    func openToHalfOpen() throws {
        var machine = Machine(guide)
        for second in 0..<5 { machine.call(.failure, at: Double(second), guide) }
        #expect(machine.state == .open)
        // Lazily: the state stays open until a call arrives.
        #expect(
            machine.snapshot(at: at(100), configuration: guide)
                == CircuitBreakerSnapshot(
                    state: .open, calls: 5, failures: 5, consecutiveFailures: 5, consecutiveOpenings: 1, timeUntilHalfOpen: .zero))
        let acquired = machine.acquire(at: at(64), configuration: guide)

        let transition = acquired.transition

        guard let probe = acquired.permit else {
            Issue.record("expected a probe")
            return
        }
        #expect(transition == change(.open, .halfOpen, .breakElapsed))
        #expect(probe.state == .halfOpen)
        #expect(machine.state == .halfOpen)
        #expect(machine.snapshot(at: at(64), configuration: guide).probesInFlight == 1)
    }

    @Test("half-open closes after enough successful probes, with empty counts")
    func halfOpenCloses() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1, breakDuration: .constant(.seconds(10)), halfOpenRule: .consecutiveSuccesses(3))
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        #expect(machine.call(.success, at: 10, configuration).transitions == [change(.open, .halfOpen, .breakElapsed)])
        #expect(machine.call(.success, at: 11, configuration).transitions.isEmpty)
        #expect(machine.snapshot(at: at(11), configuration: configuration).probeSuccesses == 2)
        #expect(machine.call(.success, at: 12, configuration).transitions == [change(.halfOpen, .closed, .probesSucceeded)])
        #expect(machine.snapshot(at: at(12), configuration: configuration) == CircuitBreakerSnapshot(state: .closed))
    }

    @Test("a failed probe reopens the circuit, and the break grows on every failed recovery up to its cap")
    func failedProbeReopensWithGrowingBreak() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1,
            breakDuration: .exponential(initial: .seconds(10), multiplier: 2, maxDelay: .seconds(60))
        )
        var machine = Machine(configuration)
        var now = 0.0
        machine.call(.failure, at: now, configuration)
        var breaks: [Duration] = []
        for _ in 0..<5 {
            guard let retryAfter = (machine.acquire(at: at(now), configuration: configuration)).retryAfter else {
                Issue.record("expected a rejection")
                return
            }
            breaks.append(retryAfter)
            now += Double(retryAfter.components.seconds)
            #expect(
                machine.call(.failure, at: now, configuration).transitions
                    == [change(.open, .halfOpen, .breakElapsed), change(.halfOpen, .open, .probeFailed)]
            )
        }
        #expect(breaks == [10, 20, 40, 60, 60].map(Duration.seconds))
        #expect(machine.snapshot(at: at(now), configuration: configuration).consecutiveOpenings == 6)

        // A recovery starts the growth again.
        now += 60
        #expect(machine.call(.success, at: now, configuration).transitions.last == change(.halfOpen, .closed, .probesSucceeded))
        machine.call(.failure, at: now, configuration)
        #expect(machine.acquire(at: at(now), configuration: configuration) == .rejected(state: .open, retryAfter: .seconds(10)))
    }

    @Test("half-open admits at most the configured probes at once", arguments: [1, 2, 5])
    func halfOpenProbeLimit(probes: Int) throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1, breakDuration: .constant(.seconds(1)), maxConcurrentProbes: probes,
            halfOpenRule: .consecutiveSuccesses(probes))
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        var permits: [Machine.Permit] = []
        for _ in 0..<(probes + 3) {
            if let permit = machine.permit(at: 1, configuration) { permits.append(permit) }
        }
        #expect(permits.count == probes)
        #expect(machine.acquire(at: at(1), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
        // Giving one back frees one slot.
        #expect(machine.record(.success, for: permits.removeFirst(), at: at(2), configuration: configuration) == nil || probes == 1)
        if probes > 1 {
            #expect(machine.permit(at: 2, configuration) != nil)
            #expect(machine.permit(at: 2, configuration) == nil)
        }
    }

    @Test("an ignored outcome gives a probe's slot back without counting either way")
    func ignoredProbeFreesSlot() throws {
        let configuration = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 1, breakDuration: .constant(.seconds(1)))
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        for second in 1...100 {
            let result = machine.call(.ignored, at: Double(second), configuration)
            #expect(result.granted)
        }
        #expect(machine.state == .halfOpen)
        let snapshot = machine.snapshot(at: at(100), configuration: configuration)
        #expect(snapshot.probesInFlight == 0)
        #expect(snapshot.probeSuccesses == 0)
        #expect(machine.call(.success, at: 101, configuration).transitions == [change(.halfOpen, .closed, .probesSucceeded)])
    }

    @Test("an ignored outcome in the closed state neither counts nor resets the consecutive failures")
    func ignoredInClosedState() {
        var machine = Machine(guide)
        for second in 0..<4 { machine.call(.failure, at: Double(second), guide) }
        for second in 4..<20 { machine.call(.ignored, at: Double(second), guide) }
        let snapshot = machine.snapshot(at: at(20), configuration: guide)
        #expect(snapshot.consecutiveFailures == 4)
        #expect(snapshot.calls == 4)
        #expect(machine.call(.failure, at: 20, guide).transitions == [change(.closed, .open, .consecutiveFailures)])
    }

    @Test("an outcome for a permit from before a change of state is ignored")
    func stalePermitsIgnored() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 2, breakDuration: .constant(.seconds(10)), maxConcurrentProbes: 2)
        var machine = Machine(configuration)
        // A slow call started while closed ends after the circuit opened, half-opened and closed again.
        let slowCall = try machine.requirePermit(at: 0, configuration)
        machine.call(.failure, at: 1, configuration)
        machine.call(.failure, at: 2, configuration)
        #expect(machine.state == .open)
        let probeA = try machine.requirePermit(at: 12, configuration)
        let probeB = try machine.requirePermit(at: 12, configuration)
        // Probe A fails: reopened. Probe B's late success must not close the new open circuit.
        #expect(machine.record(.failure, for: probeA, at: at(13), configuration: configuration) == change(.halfOpen, .open, .probeFailed))
        #expect(machine.record(.success, for: probeB, at: at(14), configuration: configuration) == nil)
        #expect(machine.state == .open)
        machine.call(.success, at: 23, configuration)
        #expect(machine.state == .closed)
        #expect(machine.record(.failure, for: slowCall, at: at(24), configuration: configuration) == nil)
        #expect(machine.snapshot(at: at(24), configuration: configuration).calls == 0)
    }

    @Test(
        "the failure rate trips once the window holds the minimum throughput",
        arguments: [
            // (outcomes, F = failure, S = success; threshold; minimum; window size; index of the call that trips or nil)
            ("FFFF", 0.5, 5, 10, nil),
            ("FFFFF", 0.5, 5, 10, 4),
            ("SSSSFFFFF", 0.5, 5, 10, 7),
            ("FSFSFSFSFS", 0.5, 10, 10, 9),
            ("FSSFSSFSSF", 0.4, 10, 10, 9),
            ("SSSFSSSFSSSF", 0.3, 3, 3, 3),
            ("SSSFSSSF", 0.4, 3, 3, nil),
            ("FSSFSSFSS", 0.3, 3, 3, 2),
            ("SSSSSSSSSSFFF", 0.3, 10, 10, 12),
        ] as [(String, Double, Int, Int, Int?)]
    )
    func failureRateTrips(outcomes: String, threshold: Double, minimum: Int, size: Int, trippingCall: Int?) throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil, failureRateThreshold: threshold, slidingWindow: .count(size),
            minimumThroughput: minimum)
        var machine = Machine(configuration)
        var tripped: Int?
        for (index, letter) in outcomes.enumerated() where tripped == nil {
            let transitions = machine.call(letter == "F" ? .failure : .success, at: Double(index), configuration).transitions
            if transitions == [change(.closed, .open, .failureRate)] { tripped = index }
        }
        #expect(tripped == trippingCall)
    }

    @Test("a count-based window keeps exactly the last N calls")
    func countWindowSlides() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil, failureRateThreshold: 1, slidingWindow: .count(4), minimumThroughput: 4)
        var machine = Machine(configuration)
        let pattern: [CircuitBreakerOutcome] = [.failure, .success, .failure, .success, .success, .success]
        var seen: [Int] = []
        for (index, outcome) in pattern.enumerated() {
            machine.call(outcome, at: Double(index), configuration)
            let snapshot = machine.snapshot(at: at(Double(index)), configuration: configuration)
            seen.append(snapshot.failures * 10 + snapshot.calls)
        }
        // calls: 1, 2, 3, 4, 4, 4; failures: 1, 1, 2, 2, 1 (the first F left), 1
        #expect(seen == [11, 12, 23, 24, 14, 14])
    }

    @Test("a time-based window forgets calls bucket by bucket as the clock advances")
    func timeWindowExpires() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil, failureRateThreshold: 0.5,
            slidingWindow: .time(.seconds(10), buckets: 5), minimumThroughput: 4)
        var machine = Machine(configuration)
        // Buckets are 2 s long: [0, 2), [2, 4), …
        machine.call(.failure, at: 0.5, configuration)
        machine.call(.failure, at: 1.5, configuration)
        machine.call(.success, at: 3, configuration)
        func counts(at seconds: Double) -> [Int] {
            let snapshot = machine.snapshot(at: at(seconds), configuration: configuration)
            return [snapshot.calls, snapshot.failures]
        }
        #expect(counts(at: 3) == [3, 2])
        #expect(counts(at: 9.999) == [3, 2])
        // At 10 s the bucket [0, 2) leaves the window; at 12 s the bucket [2, 4).
        #expect(counts(at: 10) == [1, 0])
        #expect(counts(at: 11.999) == [1, 0])
        #expect(counts(at: 12) == [0, 0])
        #expect(counts(at: 1_000) == [0, 0])

        // Three failures in the window, but only with the expired ones would it reach the minimum of 4.
        machine.call(.success, at: 10.5, configuration)
        machine.call(.failure, at: 11, configuration)
        #expect(counts(at: 11) == [3, 1])
        #expect(machine.state == .closed)
        #expect(machine.call(.failure, at: 11.5, configuration).transitions == [change(.closed, .open, .failureRate)])
        #expect(counts(at: 11.5) == [4, 2])
    }

    @Test("a time-based window expires correctly after a long idle stretch and across many laps")
    func timeWindowLaps() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil, failureRateThreshold: 1,
            slidingWindow: .time(.seconds(3), buckets: 3), minimumThroughput: 1_000)
        var machine = Machine(configuration)
        for second in 0..<100 {
            machine.call(second % 2 == 0 ? .failure : .success, at: Double(second) + 0.25, configuration)
            machine.call(.success, at: Double(second) + 0.75, configuration)
            let snapshot = machine.snapshot(at: at(Double(second) + 0.9), configuration: configuration)
            // The window holds this second and the two before it: 6 calls once warmed up.
            #expect(snapshot.calls == min(2 * (second + 1), 6))
        }
        machine.call(.success, at: 1_000, configuration)
        #expect(machine.snapshot(at: at(1_000), configuration: configuration).calls == 1)
    }

    @Test("slow calls counted as failures trip the consecutive rule even when they returned a value")
    func slowCallsCountAsFailures() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 3, slowCalls: .countedAsFailures(over: .seconds(2)))
        var machine = Machine(configuration)
        machine.call(.success, at: 0, until: 2, configuration)  // exactly the threshold: not slow
        #expect(machine.snapshot(at: at(2), configuration: configuration).slowCalls == 0)
        machine.call(.success, at: 2, until: 4.001, configuration)
        machine.call(.success, at: 5, until: 8, configuration)
        let snapshot = machine.snapshot(at: at(8), configuration: configuration)
        #expect(snapshot.slowCalls == 2)
        #expect(snapshot.failures == 2)
        #expect(snapshot.consecutiveFailures == 2)
        #expect(machine.call(.success, at: 8, until: 11, configuration).transitions == [change(.closed, .open, .consecutiveFailures)])
    }

    @Test("slow calls trip on their own rate, counting slow successes and slow failures alike")
    func slowCallRate() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 5, slowCalls: .tripping(atRate: 0.5, over: .seconds(1)),
            slidingWindow: .count(10), minimumThroughput: 4)
        var machine = Machine(configuration)
        machine.call(.success, at: 0, until: 5, configuration)
        machine.call(.success, at: 5, until: 5.5, configuration)
        machine.call(.failure, at: 6, until: 6.5, configuration)
        #expect(machine.snapshot(at: at(7), configuration: configuration).failures == 1)
        #expect(machine.call(.failure, at: 7, until: 9, configuration).transitions == [change(.closed, .open, .slowCallRate)])
        let snapshot = machine.snapshot(at: at(9), configuration: configuration)
        #expect(snapshot.slowCallRate == 0.5)
        #expect(snapshot.failureRate == 0.5)
    }

    @Test("a slow probe reopens the circuit, whichever the slow-call mode")
    func slowProbeReopens() throws {
        for rule in [SlowCallRule.countedAsFailures(over: .seconds(1)), .tripping(atRate: 0.9, over: .seconds(1))] {
            let configuration = try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 1, slowCalls: rule, breakDuration: .constant(.seconds(10)))
            var machine = Machine(configuration)
            machine.call(.failure, at: 0, configuration)
            #expect(
                machine.call(.success, at: 10, until: 12, configuration).transitions
                    == [change(.open, .halfOpen, .breakElapsed), change(.halfOpen, .open, .slowProbe)]
            )
        }
    }

    @Test("isolated rejects every call until released; release closes with empty counts")
    func isolation() {
        var machine = Machine(guide)
        machine.call(.failure, at: 0, guide)
        #expect(machine.isolate(at: at(1), configuration: guide) == change(.closed, .isolated, .isolated))
        #expect(machine.isolate(at: at(1), configuration: guide) == nil)
        #expect(machine.acquire(at: at(10_000), configuration: guide) == .rejected(state: .isolated, retryAfter: nil))
        #expect(machine.reset(at: at(10_001), configuration: guide) == change(.isolated, .closed, .reset))
        _ = machine.isolate(at: at(10_002), configuration: guide)
        #expect(machine.release(at: at(10_003), configuration: guide) == change(.isolated, .closed, .released))
        #expect(machine.release(at: at(10_004), configuration: guide) == nil)
        #expect(machine.snapshot(at: at(10_004), configuration: guide) == CircuitBreakerSnapshot(state: .closed, rejectedCalls: 1))
    }

    @Test("disabled lets every call through and records it, but never trips")
    func disabled() {
        var machine = Machine(guide)
        #expect(machine.disable(at: at(0), configuration: guide) == change(.closed, .disabled, .disabled))
        for second in 0..<50 {
            #expect(machine.call(.failure, at: Double(second), guide) == (true, []))
        }
        let snapshot = machine.snapshot(at: at(50), configuration: guide)
        #expect(snapshot.state == .disabled)
        #expect(snapshot.calls == 50)
        #expect(snapshot.failures == 50)
        #expect(snapshot.consecutiveFailures == 50)
        #expect(machine.release(at: at(51), configuration: guide) == change(.disabled, .closed, .released))
        #expect(machine.snapshot(at: at(51), configuration: guide).calls == 0)
    }

    @Test("reset closes an open circuit and forgets the openings in a row")
    func resetFromOpen() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1, breakDuration: .exponential(initial: .seconds(1), maxDelay: .seconds(100)))
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        machine.call(.failure, at: 1, configuration)
        #expect(machine.snapshot(at: at(1), configuration: configuration).consecutiveOpenings == 2)
        #expect(machine.reset(at: at(1), configuration: configuration) == change(.open, .closed, .reset))
        #expect(machine.reset(at: at(1), configuration: configuration) == nil)
        machine.call(.failure, at: 2, configuration)
        #expect(machine.acquire(at: at(2), configuration: configuration) == .rejected(state: .open, retryAfter: .seconds(1)))
    }

    @Test("a probe not given back within the probe timeout is presumed lost: its slot is freed and its late outcome ignored")
    func staleProbesExpire() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1, breakDuration: .constant(.seconds(10)), probeTimeout: .seconds(30))
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        let lost = try machine.requirePermit(at: 10, configuration)
        #expect(machine.acquire(at: at(39.999), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
        #expect(machine.snapshot(at: at(39.999), configuration: configuration).probesInFlight == 1)
        #expect(machine.snapshot(at: at(40), configuration: configuration).probesInFlight == 0)
        let fresh = try machine.requirePermit(at: 40, configuration)
        #expect(machine.record(.failure, for: lost, at: at(41), configuration: configuration) == nil)
        #expect(machine.state == .halfOpen)
        #expect(
            machine.record(.success, for: fresh, at: at(42), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded))
    }

    @Test("without a probe timeout, probes never expire")
    func probesWithoutTimeout() throws {
        let configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 1, breakDuration: .constant(.seconds(10)), probeTimeout: nil)
        var machine = Machine(configuration)
        machine.call(.failure, at: 0, configuration)
        _ = try machine.requirePermit(at: 10, configuration)
        #expect(machine.acquire(at: at(1_000_000), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
    }

    @Test("a saved state whose window no longer matches the configuration starts a new window")
    func configurationChangeRestartsWindow() throws {
        let small = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 100, slidingWindow: .count(10))
        let large = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 100, slidingWindow: .time(.seconds(60)))
        var machine = Machine(small)
        for second in 0..<10 { machine.call(.failure, at: Double(second), small) }
        #expect(machine.snapshot(at: at(10), configuration: small).calls == 10)
        machine.call(.success, at: 10, large)
        let snapshot = machine.snapshot(at: at(10), configuration: large)
        #expect(snapshot.calls == 1)
        #expect(snapshot.failures == 0)
    }
}
