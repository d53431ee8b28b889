import Foundation
import Resilience
import ResilienceTestKit
import Testing

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

    func roundTrip(_ machine: Machine) throws -> Machine {
        try JSONDecoder().decode(Machine.self, from: JSONEncoder().encode(machine))
    }

    @Test("the state survives a round trip through JSON in every state, and continues identically")
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
            var copy = try roundTrip(original)
            #expect(copy == original)
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
        var loaded = try roundTrip(machine)
        #expect(loaded.record(.success, for: probeA, at: at(13), configuration: configuration) == nil)
        #expect(
            loaded.record(.success, for: probeB, at: at(13), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded))
    }

    @Test("a probe held by a process that died expires, so the shared breaker does not stick half-open")
    func deadProcessProbeExpires() throws {
        var shared = Machine(configuration)
        for second in 0..<3 { shared.call(.failure, at: Double(second), configuration) }

        // Process A loads the state, takes both probe slots, saves, and dies.
        var processA = try roundTrip(shared)
        _ = try processA.requirePermit(at: 12, configuration)
        _ = try processA.requirePermit(at: 12, configuration)
        shared = try roundTrip(processA)

        // Process B is refused while A's probes may still be running…
        var processB = try roundTrip(shared)
        #expect(processB.acquire(at: at(41.9), configuration: configuration) == .rejected(state: .halfOpen, retryAfter: nil))
        // …and admitted once they are older than the probe timeout.
        let probe = try processB.requirePermit(at: 42, configuration)
        shared = try roundTrip(processB)
        var processC = try roundTrip(shared)
        let second = try processC.requirePermit(at: 43, configuration)
        #expect(processC.record(.success, for: probe, at: at(44), configuration: configuration) == nil)
        #expect(
            processC.record(.success, for: second, at: at(44), configuration: configuration) == change(.halfOpen, .closed, .probesSucceeded)
        )
    }

    @Test("a damaged saved state is a decoding error, not a crash")
    func damagedState() throws {
        var machine = Machine(try CircuitBreakerConfiguration(slidingWindow: .count(4)))
        machine.call(.failure, at: 1, try CircuitBreakerConfiguration(slidingWindow: .count(4)))
        let json = try #require(String(data: JSONEncoder().encode(machine), encoding: .utf8))
        for (from, to) in [
            (#""nextIndex":1"#, #""nextIndex":9"#), (#""failures":1"#, #""failures":3"#), (#""state":"closed""#, #""state":"ajar""#),
        ] {
            #expect(json.contains(from))
            let damaged = json.replacingOccurrences(of: from, with: to)
            #expect(throws: (any Error).self) { try JSONDecoder().decode(Machine.self, from: Data(damaged.utf8)) }
        }
    }

    @Test("a saved state with a time or a count out of range is a decoding error, not a trap later")
    func outOfRangeState() throws {
        var machine = Machine(configuration)
        for second in 0..<3 { machine.call(.failure, at: Double(second), configuration) }
        _ = try machine.requirePermit(at: 12, configuration)  // half-open, with a probe out
        machine.call(.failure, at: 13, configuration)  // open again, with openUntil set
        _ = try machine.requirePermit(at: 40, configuration)
        let json = try #require(String(data: JSONEncoder().encode(machine), encoding: .utf8))
        #expect(try JSONDecoder().decode(Machine.self, from: Data(json.utf8)) == machine)
        // Durations encode as [high, low] halves of their attoseconds: a high half of 2^62 is about
        // 2.7e20 seconds, which adding a probe timeout to would overflow.
        let probe = try #require(json.firstMatch(of: /"grantedAt":\[(-?\d+),/))
        let counts = try #require(json.firstMatch(of: /"consecutiveOpenings":(\d+)/))
        for damaged in [
            json.replacingCharacters(in: probe.1.startIndex..<probe.1.endIndex, with: "4611686018427387904"),
            json.replacingCharacters(in: probe.1.startIndex..<probe.1.endIndex, with: "-4611686018427387904"),
            json.replacingCharacters(in: counts.1.startIndex..<counts.1.endIndex, with: "9223372036854775807"),
            json.replacingOccurrences(of: #""probeSuccesses":0"#, with: #""probeSuccesses":-1"#),
        ] {
            #expect(damaged != json)
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(Machine.self, from: Data(damaged.utf8)) }
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
