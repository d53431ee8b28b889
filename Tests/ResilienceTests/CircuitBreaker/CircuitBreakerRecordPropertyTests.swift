import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// Generated histories: random sequences of calls, outcomes, manual controls and clock moves, each
/// event applied both to a state machine kept in memory and to one saved as a record in JSON and
/// restored before every event, as processes sharing a breaker through a file or a database do.
@Suite("Circuit breaker records: generated histories")
struct CircuitBreakerRecordPropertyTests {
    /// Configurations exercising every part of the state: count and time windows, slow calls, rate
    /// and consecutive rules, growing breaks, both half-open rules, probe time-outs.
    static func configurations() throws -> [CircuitBreakerConfiguration] {
        [
            try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 3, failureRateThreshold: 0.5, slowCalls: .tripping(atRate: 0.8, over: .milliseconds(300)),
                slidingWindow: .count(8), minimumThroughput: 4,
                breakDuration: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(20)), maxConcurrentProbes: 2,
                halfOpenRule: .consecutiveSuccesses(2), probeTimeout: .seconds(5)),
            try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: nil, failureRateThreshold: 0.6, slowCalls: .countedAsFailures(over: .seconds(1)),
                slidingWindow: .time(.seconds(10), buckets: 7), minimumThroughput: 3, breakDuration: .constant(.seconds(2)),
                maxConcurrentProbes: 3, halfOpenRule: .failureRate(0.5, overProbes: 4), probeTimeout: .seconds(3)),
            try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 2, failureRateThreshold: 0.9, slidingWindow: .time(.milliseconds(1_500), buckets: 4),
                minimumThroughput: 5, breakDuration: .linear(initial: .milliseconds(700), increment: .seconds(1), maxDelay: .seconds(9)),
                maxConcurrentProbes: 1, halfOpenRule: .consecutiveSuccesses(1), probeTimeout: nil),
        ]
    }

    /// A seeded source of events.
    struct Events {
        var random: SeededRandomNumberGenerator

        mutating func below(_ bound: UInt64) -> UInt64 { random.next() % bound }

        /// How far the clock moves: often not at all or a little, sometimes past a break or a
        /// window, rarely backwards.
        mutating func step() -> Duration {
            switch below(20) {
            case 0..<4: .zero
            case 4..<12: .nanoseconds(Int64(below(400_000_000)))
            case 12..<17: .nanoseconds(Int64(below(6_000_000_000)))
            case 17..<19: .seconds(Int64(below(40)))
            default: .zero - .nanoseconds(Int64(below(2_000_000_000)))
            }
        }

        mutating func outcome() -> CircuitBreakerOutcome {
            switch below(10) {
            case 0..<5: .failure
            case 5..<9: .success
            default: .ignored
            }
        }
    }

    /// `record` through JSON and back.
    static func throughJSON(_ record: CircuitBreakerRecord) throws -> CircuitBreakerRecord {
        try JSONDecoder().decode(CircuitBreakerRecord.self, from: JSONEncoder().encode(record))
    }

    @Test(
        "whatever a state machine exports, restoring accepts, and the restored machine behaves identically",
        arguments: 0..<12 as Range<UInt64>)
    func sameOrigin(seed: UInt64) throws {
        let configurations = try Self.configurations()
        let configuration = configurations[Int(seed) % configurations.count]
        var events = Events(random: SeededRandomNumberGenerator(seed: seed))
        var live = Machine(configuration: configuration, now: at(0))
        var record = live.exported(originUnixNanoseconds: originUnix)
        var permits: [Machine.Permit] = []
        var now = at(0)
        var visited: Set<CircuitState> = []
        for step in 0..<600 {
            now = now.advanced(by: events.step())
            visited.insert(live.state)
            var stored = try Machine(
                restoring: try Self.throughJSON(record), configuration: configuration, origin: at(0), originUnixNanoseconds: originUnix)
            let context = Comment(rawValue: "seed \(seed), step \(step), at \(now)")
            switch events.below(16) {
            case 0..<7:
                let expected = live.acquire(at: now, configuration: configuration)
                #expect(stored.acquire(at: now, configuration: configuration) == expected, context)
                if let permit = expected.permit { permits.append(permit) }
            case 7..<13 where !permits.isEmpty:
                // Mostly the oldest permit, sometimes any; a stale one (older generation) now and then.
                let index = events.below(3) == 0 ? Int(events.below(UInt64(permits.count))) : 0
                let permit = events.below(8) == 0 ? permits[index] : permits.remove(at: index)
                let outcome = events.outcome()
                #expect(
                    stored.record(outcome, for: permit, at: now, configuration: configuration)
                        == live.record(outcome, for: permit, at: now, configuration: configuration), context)
            case 13:
                #expect(
                    stored.halfOpenIfDue(at: now, configuration: configuration) == live.halfOpenIfDue(at: now, configuration: configuration)
                )
            case 14:
                switch events.below(8) {
                case 0:
                    #expect(stored.isolate(at: now, configuration: configuration) == live.isolate(at: now, configuration: configuration))
                case 1:
                    #expect(stored.disable(at: now, configuration: configuration) == live.disable(at: now, configuration: configuration))
                case 2..<6:
                    #expect(stored.release(at: now, configuration: configuration) == live.release(at: now, configuration: configuration))
                default: #expect(stored.reset(at: now, configuration: configuration) == live.reset(at: now, configuration: configuration))
                }
            default:
                break
            }
            #expect(stored.snapshot(at: now, configuration: configuration) == live.snapshot(at: now, configuration: configuration), context)
            record = stored.exported(originUnixNanoseconds: originUnix)
            #expect(record == live.exported(originUnixNanoseconds: originUnix), context)
            #expect(throws: Never.self) { try record.validate() }
        }
        // The history went through every state (and so every part of the record).
        #expect(visited == Set(CircuitState.allCases), "seed \(seed)")
    }

    @Test(
        "processes with different origins share one record and behave as one breaker",
        arguments: 0..<6 as Range<UInt64>)
    func differentOrigins(seed: UInt64) throws {
        // Durations are not measured (no slow-call rule), so a permit means the same to every process.
        let configurations = try Self.configurations().map { configuration in
            try configuration.with {
                $0.slowCalls = nil
                if $0.consecutiveFailureThreshold == nil && $0.failureRateThreshold == nil { $0.consecutiveFailureThreshold = 3 }
            }
        }
        let configuration = configurations[Int(seed) % configurations.count]
        var events = Events(random: SeededRandomNumberGenerator(seed: seed &+ 1_000))
        var live = Machine(configuration: configuration, now: at(0))
        var record = live.exported(originUnixNanoseconds: originUnix)
        var permits: [Machine.Permit] = []
        var now = at(0)
        for step in 0..<600 {
            now = now.advanced(by: events.step())
            // This event's process started somewhere in the last day, not on a bucket boundary.
            let started = now.advanced(by: .zero - .nanoseconds(Int64(events.below(86_400_000_000_000))))
            let startedUnix =
                originUnix + at(0).duration(to: started).components.seconds * 1_000_000_000
                + at(0).duration(to: started).components.attoseconds / 1_000_000_000
            var stored = try Machine(
                restoring: try Self.throughJSON(record), configuration: configuration, origin: started, originUnixNanoseconds: startedUnix)
            let context = Comment(rawValue: "seed \(seed), step \(step), at \(now)")
            switch events.below(15) {
            case 0..<7:
                let expected = live.acquire(at: now, configuration: configuration)
                let actual = stored.acquire(at: now, configuration: configuration)
                #expect(actual.isGranted == expected.isGranted && actual.permit?.state == expected.permit?.state, context)
                #expect(actual.transition == expected.transition && actual.rejectedState == expected.rejectedState, context)
                #expect(actual.retryAfter == expected.retryAfter, context)
                if let permit = expected.permit { permits.append(permit) }
            case 7..<13 where !permits.isEmpty:
                let permit = permits.remove(at: Int(events.below(UInt64(permits.count))))
                let outcome = events.outcome()
                #expect(
                    stored.record(outcome, for: permit, at: now, configuration: configuration)
                        == live.record(outcome, for: permit, at: now, configuration: configuration), context)
            case 13:
                #expect(
                    stored.halfOpenIfDue(at: now, configuration: configuration) == live.halfOpenIfDue(at: now, configuration: configuration)
                )
            default:
                #expect(stored.reset(at: now, configuration: configuration) == live.reset(at: now, configuration: configuration))
            }
            #expect(stored.snapshot(at: now, configuration: configuration) == live.snapshot(at: now, configuration: configuration), context)
            record = stored.exported(originUnixNanoseconds: startedUnix)
            #expect(record == live.exported(originUnixNanoseconds: originUnix), context)
        }
    }
}
