import Foundation
import Resilience
import ResilienceTestKit
import Testing

@Suite("Statistics JSON", .timeLimit(.minutes(1)))
struct StatisticsCodingTests {
    static func json(_ snapshot: ResilienceStatisticsSnapshot) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(snapshot), as: UTF8.self)
    }

    static func decode(_ json: String) throws -> ResilienceStatisticsSnapshot {
        try JSONDecoder().decode(ResilienceStatisticsSnapshot.self, from: Data(json.utf8))
    }

    @Test("a snapshot survives a JSON round trip unchanged")
    func roundTrip() async throws {
        let snapshot = try await StatisticsScript.run().snapshot()
        #expect(!snapshot.isEmpty)
        #expect(try Self.decode(try Self.json(snapshot)) == snapshot)
    }

    @Test("every kind of count survives a JSON round trip, and an empty snapshot too")
    func roundTripEveryField() throws {
        let snapshot = ResilienceStatisticsSnapshot(
            pipelines: [
                PipelineStatistics(
                    name: "p", calls: CallStatistics(total: 2, successes: 1, failures: 1, failuresByCategory: [.cancellation: 1]))
            ],
            strategies: [
                StrategyStatistics(
                    pipeline: "p", name: "s",
                    calls: CallStatistics(
                        total: 3, successes: 1, failures: 2, failuresByCategory: [.rateLimited: 1], rejectedResults: 1,
                        failuresByStopReason: [.retryAfterExceedsMaxDelay: 1, .elapsedTimeExhausted: 1], byAttempts: [1: 1, 4: 2],
                        timedCalls: 3, totalDuration: .nanoseconds(1_234_567_891)
                    ),
                    retriesScheduled: 6, retryWait: .milliseconds(1_500), timedAttempts: 9, attemptTime: .microseconds(77),
                    timeouts: 1,
                    rejections: RejectionStatistics(
                        byCircuitState: [.halfOpen: 1], byLimitReason: [.partitionsExhausted: 2, .queueTimeout: 1], retryBudget: 3
                    ),
                    fallbacksByCategory: [.rejected: 4, .timeout: 1], hedges: 2, faultsInjected: 1, circuitState: .halfOpen,
                    circuitStateChanges: 2
                ),
                StrategyStatistics(name: "alone"),
            ],
            breakers: [
                BreakerStatistics(
                    name: "b",
                    snapshot: CircuitBreakerSnapshot(
                        state: .open, calls: 10, failures: 5, slowCalls: 1, consecutiveFailures: 5, consecutiveOpenings: 2,
                        timeUntilHalfOpen: .seconds(12), rejectedCalls: 7
                    )
                )
            ]
        )
        #expect(try Self.decode(try Self.json(snapshot)) == snapshot)
        #expect(try Self.decode(try Self.json(ResilienceStatisticsSnapshot())) == ResilienceStatisticsSnapshot())
    }

    @Test("the JSON names counts by name and durations in whole nanoseconds, with a format version")
    func shape() throws {
        let snapshot = ResilienceStatisticsSnapshot(
            strategies: [
                StrategyStatistics(
                    name: "retry",
                    calls: CallStatistics(
                        total: 2, successes: 1, failures: 1, failuresByCategory: [.timeout: 1], byAttempts: [1: 1, 3: 1]),
                    retriesScheduled: 2, retryWait: .milliseconds(1_500)
                )
            ]
        )
        #expect(
            try Self.json(snapshot)
                == #"{"breakers":[],"pipelines":[],"strategies":[{"attemptTimeNanoseconds":0,"#
                + #""calls":{"byAttempts":{"1":1,"3":1},"failures":1,"failuresByCategory":{"timeout":1},"failuresByStopReason":{},"#
                + #""rejectedResults":0,"successes":1,"timedCalls":0,"total":2,"totalDurationNanoseconds":0},"#
                + #""circuitStateChanges":0,"fallbacksByCategory":{},"faultsInjected":0,"hedges":0,"name":"retry","#
                + #""rejections":{"byCircuitState":{},"byLimitReason":{},"retryBudget":0},"retriesScheduled":2,"#
                + #""retryWaitNanoseconds":1500000000,"timedAttempts":0,"timeouts":0}],"version":1}"#
        )  // no "pipeline" nor "circuitState" field when they are nil
    }

    @Test("missing counts decode as zero, so older and smaller documents still read")
    func missingFields() throws {
        let snapshot = try Self.decode(#"{"version": 1, "strategies": [{"name": "retry", "calls": {"total": 4, "successes": 4}}]}"#)
        #expect(
            snapshot
                == ResilienceStatisticsSnapshot(strategies: [
                    StrategyStatistics(name: "retry", calls: CallStatistics(total: 4, successes: 4))
                ]))
    }

    @Test(
        "invalid documents are a DecodingError, never a crash",
        arguments: [
            #"{"pipelines": []}"#,
            #"{"version": 2}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"total": -1}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"failuresByCategory": {"flaky": 1}}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"failuresByCategory": {"timeout": -3}}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"failuresByStopReason": {"bored": 1}}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"byAttempts": {"0": 1}}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"byAttempts": {"two": 1}}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"totalDurationNanoseconds": -5}}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"total": 99999999999999999999}}]}"#,
            #"{"version": 1, "strategies": [{"calls": {}}]}"#,
            #"{"version": 1, "strategies": [{"name": "s", "rejections": {"byLimitReason": {"tired": 1}}}]}"#,
            #"{"version": 1, "strategies": [{"name": "s", "rejections": {"byCircuitState": {"ajar": 1}}}]}"#,
            #"{"version": 1, "strategies": [{"name": "s", "circuitState": "ajar"}]}"#,
            #"{"version": 1, "breakers": [{"name": "b"}]}"#,
            #"{"version": 1, "breakers": [{"name": "b", "state": "open", "rejectedCalls": -1}]}"#,
            #"{"version": 1, "breakers": [{"name": "b", "state": "open", "timeUntilHalfOpenNanoseconds": -1}]}"#,
            #"{"version": 1, "pipelines": [{"name": "p", "calls": {"total": 1"#,
        ]
    )
    func invalid(json: String) {
        #expect(throws: DecodingError.self) { try Self.decode(json) }
    }

    @Test("a decoding error names what is wrong")
    func errorMessages() {
        let unknown = #"{"version": 1, "pipelines": [{"name": "p", "calls": {"failuresByCategory": {"flaky": 1}}}]}"#
        #expect {
            try Self.decode(unknown)
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription == #"unknown error category "flaky""#
                && context.codingPath.last?.stringValue == "failuresByCategory"
        }
        #expect {
            try Self.decode(#"{"version": 7}"#)
        } throws: { error in
            guard case DecodingError.dataCorrupted(let context) = error else { return false }
            return context.debugDescription == "unsupported statistics format version 7; expected 1"
        }
    }
}
