import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// The wall-clock reading of `at(0)` in these tests: 2025-05-01T12:00:00Z.
let originUnix: Int64 = 1_746_100_800_000_000_000

extension CircuitBreakerStateMachine where Instant == ManualClock.Instant {
    /// The machine saved as a record in JSON and loaded again, as another process sharing the state
    /// (with the same origin) would.
    func reloaded(_ configuration: CircuitBreakerConfiguration) throws -> Self {
        let json = try JSONEncoder().encode(exported(originUnixNanoseconds: originUnix))
        let record = try JSONDecoder().decode(CircuitBreakerRecord.self, from: json)
        return try Self(restoring: record, configuration: configuration, origin: at(0), originUnixNanoseconds: originUnix)
    }
}

/// The state machine as a process sharing a breaker through a file would use it: load, transition, save.
@Suite("Circuit breaker state persistence")
struct CircuitBreakerPersistenceTests {
    let configuration: CircuitBreakerConfiguration

    init() throws {
        configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 3,
            failureRateThreshold: 0.9,
            slidingWindow: .time(.seconds(60), buckets: 6),
            minimumThroughput: 50,
            breakDuration: .exponential(initial: .seconds(10), multiplier: 2, maxDelay: .seconds(60)),
            maxConcurrentProbes: 2,
            halfOpenRule: .consecutiveSuccesses(2),
            probeTimeout: .seconds(30)
        )
    }

    @Test("the state survives a round trip through a record in every state, and continues identically")
    func roundTrips() throws {
        var machine = Machine(configuration)
        var saved: [Machine] = []
        machine.call(.success, at: 1, configuration)
        machine.call(.failure, at: 2, configuration)
        saved.append(machine)  // closed, with counts
        machine.call(.failure, at: 3, configuration)
        machine.call(.failure, at: 4, configuration)
        saved.append(machine)  // open
        let probe = try machine.requirePermit(at: 14, configuration)
        saved.append(machine)  // half-open with a probe out
        _ = machine.disable(at: at(15), configuration: configuration)
        saved.append(machine)  // disabled
        _ = machine.isolate(at: at(16), configuration: configuration)
        saved.append(machine)  // isolated

        for original in saved {
            var copy = try original.reloaded(configuration)
            #expect(copy == original)
            #expect(copy.exported(originUnixNanoseconds: originUnix) == original.exported(originUnixNanoseconds: originUnix))
            var replay = original
            // Both copies answer the same to the same events.
            for second in stride(from: 20.0, to: 200, by: 7) {
                let outcome: CircuitBreakerOutcome = Int(second) % 3 == 0 ? .success : .failure
                #expect(copy.call(outcome, at: second, configuration) == replay.call(outcome, at: second, configuration))
                #expect(
                    copy.record(.success, for: probe, at: at(second), configuration: configuration)
                        == replay.record(.success, for: probe, at: at(second), configuration: configuration))
            }
            #expect(copy == replay)
        }
    }

    @Test("a permit granted before saving is honoured by the loaded state")
    func permitSurvivesSaving() throws {
        var machine = Machine(configuration)
        for second in 0..<3 { machine.call(.failure, at: Double(second), configuration) }
        let probeA = try machine.requirePermit(at: 12, configuration)
        let probeB = try machine.requirePermit(at: 12, configuration)
        var loaded = try machine.reloaded(configuration)
        #expect(loaded.record(.success, for: probeA, at: at(13), configuration: configuration) == nil)
        #expect(
            loaded.record(.success, for: probeB, at: at(13), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded))
    }

    @Test("a probe held by a process that died expires, so the shared breaker does not stick half-open")
    func deadProcessProbeExpires() throws {
        var shared = Machine(configuration)
        for second in 0..<3 { shared.call(.failure, at: Double(second), configuration) }

        // Process A loads the state, takes both probe slots, saves, and dies.
        var processA = try shared.reloaded(configuration)
        _ = try processA.requirePermit(at: 12, configuration)
        _ = try processA.requirePermit(at: 12, configuration)
        shared = try processA.reloaded(configuration)

        // Process B is refused while A's probes may still be running…
        var processB = try shared.reloaded(configuration)
        #expect(processB.acquire(at: at(41.9), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
        // …and admitted once they are older than the probe timeout.
        let probe = try processB.requirePermit(at: 42, configuration)
        shared = try processB.reloaded(configuration)
        var processC = try shared.reloaded(configuration)
        let second = try processC.requirePermit(at: 43, configuration)
        #expect(processC.record(.success, for: probe, at: at(44), configuration: configuration) == nil)
        #expect(
            processC.record(.success, for: second, at: at(44), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded)
        )
    }

    @Test("processes whose clocks count from different instants share one record: times are wall-clock nanoseconds")
    func differentOrigins() throws {
        // Process A's clock reads 0 s at 12:00:00; process B's, started 3,600.25 s later, reads 0 s then.
        let offsetB = 3_600.25
        let originUnixB = originUnix + Int64(offsetB * 1e9)
        func inB(_ second: Double) -> ManualClock.Instant { at(second - offsetB) }
        var processA = Machine(configuration)
        for second in [3_590.0, 3_595, 3_599] { processA.call(.failure, at: second, configuration) }
        // Opened at 3,599 s (A's clock) for 10 s: until 3,609 s, which B's clock reads as 8.75 s.
        var processB = try Machine(
            restoring: processA.exported(originUnixNanoseconds: originUnix), configuration: configuration, origin: inB(offsetB),
            originUnixNanoseconds: originUnixB)
        #expect(processB.origin == at(0))
        #expect(processB.snapshot(at: inB(3_600.25), configuration: configuration).timeUntilHalfOpen == .milliseconds(8_750))
        #expect(processB.acquire(at: inB(3_608.9), configuration: configuration) == .rejected(state: .open, retryAfter: .milliseconds(100)))
        #expect(processB.acquire(at: inB(3_609), configuration: configuration).transition == change(.open, .halfOpen, .breakElapsed))
        // Back in A, the record B wrote says the same.
        let backInA = try Machine(
            restoring: processB.exported(originUnixNanoseconds: originUnixB), configuration: configuration, origin: at(0),
            originUnixNanoseconds: originUnix)
        #expect(backInA.exported(originUnixNanoseconds: originUnix) == processB.exported(originUnixNanoseconds: originUnixB))
        #expect(backInA.state == .halfOpen)
        #expect(backInA.snapshot(at: at(3_609), configuration: configuration).probesInFlight == 1)
    }

    @Test("a time window's buckets keep their boundaries whatever the restoring process's origin")
    func bucketBoundariesSurviveOrigins() throws {
        let windowed = try configuration.with {
            $0.consecutiveFailureThreshold = nil
            $0.minimumThroughput = 4
        }
        var original = Machine(windowed)
        // 10 s buckets: calls at 5 s and 15 s are in two buckets, which expire at 60 s and 70 s.
        original.call(.failure, at: 5, windowed)
        original.call(.success, at: 15, windowed)
        for origin in [0.0, 3.3, -7.1, 1e6 + 0.001] {
            let restored = try Machine(
                restoring: original.exported(originUnixNanoseconds: originUnix), configuration: windowed, origin: at(origin),
                originUnixNanoseconds: originUnix + Int64((origin * 1e9).rounded()))
            for (second, calls) in [(59.999, 2), (60.0, 1), (69.999, 1), (70.0, 0)] {
                #expect(restored.snapshot(at: at(second), configuration: windowed).calls == calls, "origin \(origin), at \(second) s")
                #expect(original.snapshot(at: at(second), configuration: windowed).calls == calls)
            }
        }
    }

    @Test("shifting the timeline moves every time in the state, and permits already granted still count")
    func shiftedTimeline() throws {
        var machine = Machine(configuration)
        for second in 0..<3 { machine.call(.failure, at: Double(second), configuration) }
        // Open at 2 s for 10 s: half-opens at 12 s. Shifted 5 s into the past, it half-opens at 7 s.
        var shifted = machine
        shifted.shiftTimeline(by: .seconds(-5))
        #expect(shifted.origin == at(-5))
        #expect(shifted.snapshot(at: at(4), configuration: configuration).timeUntilHalfOpen == .seconds(3))
        // The shifted origin's wall-clock reading moved with it: the records say the break ends at
        // 12:00:12 and, shifted, at 12:00:07.
        #expect(machine.exported(originUnixNanoseconds: originUnix).openUntil == originUnix + 12_000_000_000)
        #expect(shifted.exported(originUnixNanoseconds: originUnix - 5_000_000_000).openUntil == originUnix + 7_000_000_000)
        #expect(shifted.acquire(at: at(6.9), configuration: configuration) == .rejected(state: .open, retryAfter: .milliseconds(100)))
        let probe = try shifted.requirePermit(at: 7, configuration)
        #expect(machine.acquire(at: at(7), configuration: configuration) == .rejected(state: .open, retryAfter: .seconds(5)))

        // The probe granted before a shift is honoured after it, and expires by the shifted clock.
        var later = shifted
        later.shiftTimeline(by: .seconds(100))
        #expect(later.record(.success, for: probe, at: at(108), configuration: configuration) == nil)
        var again = shifted
        again.shiftTimeline(by: .seconds(100))
        let probeB = try again.requirePermit(at: 107, configuration)
        #expect(again.acquire(at: at(107), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
        #expect(again.record(.success, for: probe, at: at(108), configuration: configuration) == nil)
        #expect(
            again.record(.success, for: probeB, at: at(108), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded))
    }

    @Test("the manual clock's instants encode as their offset")
    func instantCodable() throws {
        let instant = ManualClock.Instant(offset: .milliseconds(1_500))
        #expect(try JSONDecoder().decode(ManualClock.Instant.self, from: JSONEncoder().encode(instant)) == instant)
    }
}
