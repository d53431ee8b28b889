import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

/// The state files of format version 1 that `resilience` wrote before format version 2, kept as
/// written (`v1-readme-example.json` is the old README's example, its 100 outcomes in full).
enum Fixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    /// The configuration the time-window fixtures were written with.
    static func timeConfiguration() throws -> CircuitBreakerConfiguration {
        try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: data("time-configuration.json"))
    }
}

@Suite("The breaker state file's format: version 2, and version 1 files read")
struct BreakerStateFormatTests {
    /// A record with the fields the version 1 fixtures vary.
    static func record(
        _ state: CircuitState, generation: Int64 = 0, openUntil: Int64? = nil, consecutiveFailures: Int, consecutiveOpenings: Int = 0,
        probes: [CircuitBreakerRecord.Probe] = [], nextProbeID: Int64 = 1, window: CircuitBreakerRecord.Window
    ) -> CircuitBreakerRecord {
        CircuitBreakerRecord(
            state: state, generation: generation, openUntil: openUntil, consecutiveFailures: consecutiveFailures,
            consecutiveOpenings: consecutiveOpenings, probeSuccesses: 0, probeFailures: 0, rejectedCalls: 0, probes: probes,
            nextProbeID: nextProbeID, window: window)
    }

    static let tenthOfASecond: Int64 = 100_000_000

    /// Each fixture, whether it has a time window, when it was written, and the record it holds:
    /// times are the file's `origin` plus each `Duration` (`[high, low]` attoseconds) in it.
    static let versionOneFiles: [(String, Bool, Int64, CircuitBreakerRecord)] = [
        (
            "v1-readme-example.json", false, 1_746_100_800_282_054_602,
            record(
                .open, generation: 1, openUntil: 1_746_100_860_282_054_602, consecutiveFailures: 5, consecutiveOpenings: 1,
                window: .count(size: 100, outcomes: "fffff"))
        ),
        (
            "v1-open-count.json", false, 1_796_175_745_666_737_077,
            record(
                .open, generation: 1, openUntil: 1_796_175_805_666_737_077, consecutiveFailures: 5, consecutiveOpenings: 1,
                window: .count(size: 100, outcomes: "fffff"))
        ),
        (
            "v1-closed-count.json", false, 1_796_175_746_100_842_941,
            record(.closed, consecutiveFailures: 1, window: .count(size: 100, outcomes: "sfsf"))
        ),
        (
            "v1-closed-time.json", true, 1_796_175_755_108_882_577,
            record(
                .closed, consecutiveFailures: 0,
                window: .time(
                    bucketNanoseconds: tenthOfASecond, bucketCount: 10, newestBucketStart: 1_796_175_754_548_338_132 + 5 * tenthOfASecond,
                    buckets: [
                        .init(calls: 1, failures: 0, slowCalls: 0), .init(calls: 0, failures: 0, slowCalls: 0),
                        .init(calls: 1, failures: 1, slowCalls: 0), .init(calls: 0, failures: 0, slowCalls: 0),
                        .init(calls: 0, failures: 0, slowCalls: 0), .init(calls: 1, failures: 0, slowCalls: 0),
                    ]))
        ),
        (
            "v1-half-open-time.json", true, 1_796_175_758_144_582_719,
            record(
                .halfOpen, generation: 2, consecutiveFailures: 3, consecutiveOpenings: 1,
                probes: [.init(id: 1, grantedAt: 1_796_175_758_144_582_719)], nextProbeID: 2,
                window: .time(
                    bucketNanoseconds: tenthOfASecond, bucketCount: 10, newestBucketStart: 1_796_175_754_548_338_132 + 34 * tenthOfASecond,
                    buckets: [.init(calls: 1, failures: 1, slowCalls: 0)]))
        ),
    ]

    @Test("version 1 files, as the old resilience wrote them, load as the same state", arguments: versionOneFiles)
    func versionOneLoads(name: String, timed: Bool, updatedAt: Int64, expected: CircuitBreakerRecord) throws {
        let configuration = timed ? try Fixtures.timeConfiguration() : .default
        let (state, version) = try BreakerState.decode(from: Fixtures.data(name), configuration: configuration)
        #expect(version == 1)
        #expect(state.updatedAt.nanosecondsSinceEpoch == updatedAt)
        #expect(state.record == expected)
        // Then written as version 2, which reads back the same.
        let rewritten = try BreakerState.decode(from: state.encoded(), configuration: configuration)
        #expect(rewritten.version == 2 && rewritten.state == state)
    }

    @Test("a version 1 file's window counts are kept: the time window's calls are in the snapshot")
    func versionOneWindow() throws {
        let configuration = try Fixtures.timeConfiguration()
        let state = try BreakerState.decode(from: Fixtures.data("v1-closed-time.json"), configuration: configuration).state
        let snapshot = state.machine.snapshot(at: state.updatedAt, configuration: configuration)
        #expect(snapshot.calls == 3 && snapshot.failures == 1)
        // The buckets expire as they did: half a second later the first call's, 0.75 s later the failure's too.
        let later = state.machine.snapshot(at: state.updatedAt.advanced(by: .milliseconds(500)), configuration: configuration)
        #expect(later.calls == 2 && later.failures == 1)
        let latest = state.machine.snapshot(at: state.updatedAt.advanced(by: .milliseconds(750)), configuration: configuration)
        #expect(latest.calls == 1 && latest.failures == 0)
    }

    @Test("the next update rewrites a version 1 file as version 2, even when the state did not change")
    func versionOneRewritten() throws {
        let scratch = try Scratch()
        try scratch.write("breaker.json", String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self))
        let file = BreakerFile(path: scratch.path("breaker.json"))
        let loaded = try #require(try file.load())
        let text = scratch.read("breaker.json")
        #expect(text.hasPrefix(#"{"breaker":{"consecutiveFailures":5,"#) && text.hasSuffix(#""version":2}"# + "\n"))
        #expect(try file.load() == loaded)
    }

    @Test(
        "a damaged version 1 file is refused as the old reader refused it, with arithmetic that cannot overflow",
        arguments: [
            (#""openUntil":"#, #""openUntill":"#, "it has a field \"breaker.core.openUntill\" that format version 1 does not have"),
            (#""origin":"#, #""extra":1,"origin":"#, "it has a field \"breaker.extra\" that format version 1 does not have"),
            (#""calls":5"#, #""calls":6"#, "inconsistent sliding window counts (at breaker.core.window)"),
            (#""nextIndex":5"#, #""nextIndex":100"#, "inconsistent sliding window counts (at breaker.core.window)"),
            (#""openUntil":[3,"#, #""openUntil":[4611686018427387904,"#, "a time is out of range (at breaker.core)"),
            (#""generation":1"#, #""generation":18446744073709551615"#, "generation is out of range (at breaker.core)"),
            (#""consecutiveOpenings":1"#, #""consecutiveOpenings":2147483648"#, "consecutiveOpenings must be from 0 to 2147483647"),
        ]
    )
    func versionOneDamaged(original: String, replacement: String, reason: String) throws {
        let text = String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self)
        #expect(text.contains(original))
        let damaged = Data(text.replacingOccurrences(of: original, with: replacement).utf8)
        #expect {
            try BreakerState.decode(from: damaged, configuration: .default)
        } throws: { error in
            BreakerFile.describe(error).hasPrefix(reason)
        }
    }

    @Test("a version 1 time window whose buckets add up past Int64 is damaged, not a trap (issue 9, defect 1)")
    func versionOneBucketsOverflowing() throws {
        let text = String(decoding: try Fixtures.data("v1-closed-time.json"), as: UTF8.self)
        // Two buckets of 2^62 calls, and totals that wrap around to match: the old check's sum trapped.
        let half = #"{"calls":4611686018427387904,"failures":0,"slowCalls":0}"#
        let crafted = text.replacingOccurrences(
            of: #"{"calls":1,"failures":0,"slowCalls":0},{"calls":0,"failures":0,"slowCalls":0},{"calls":1,"failures":1,"slowCalls":0}"#,
            with: "\(half),\(half),\(half)"
        ).replacingOccurrences(of: #""calls":3,"#, with: #""calls":-4611686018427387903,"#)
        #expect(crafted != text)
        #expect {
            try BreakerState.decode(from: Data(crafted.utf8), configuration: try Fixtures.timeConfiguration())
        } throws: { error in
            BreakerFile.describe(error) == "a bucket's count is negative or out of range (at breaker.core.window)"
        }
    }

    @Test("a version 1 bucket counting Int64.max calls, consistent otherwise, is damaged, not a trap later (issue 9, defect 2)")
    func versionOneBucketAtInt64Max() throws {
        let text = String(decoding: try Fixtures.data("v1-half-open-time.json"), as: UTF8.self)
        let crafted = text.replacingOccurrences(
            of: #"{"calls":1,"failures":1,"slowCalls":0}"#, with: #"{"calls":9223372036854775807,"failures":1,"slowCalls":0}"#
        ).replacingOccurrences(of: #""calls":1,"currentBucket""#, with: #""calls":9223372036854775807,"currentBucket""#)
        #expect(crafted != text)
        #expect {
            try BreakerState.decode(from: Data(crafted.utf8), configuration: try Fixtures.timeConfiguration())
        } throws: { error in
            BreakerFile.describe(error) == "a bucket's count is negative or out of range (at breaker.core.window)"
        }
    }

    @Test("a version 1 origin at the earliest time converts without overflow, and the state then written reads back (issue 9, defect 3)")
    func versionOneEarliestOrigin() throws {
        let text = String(decoding: try Fixtures.data("v1-readme-example.json"), as: UTF8.self)
            .replacingOccurrences(of: #""origin":1746100800000000000"#, with: #""origin":-9223372036854775808"#)
        var state = try BreakerState.decode(from: Data(text.utf8), configuration: .default).state
        #expect(state.record.openUntil == Int64.min + 60_282_054_602)
        // The break passed long ago: the next run probes, and its failure opens the breaker again.
        let now = wall(0)
        let permit = try #require(state.modify(at: now, configuration: .default) { $0.acquire(at: now, configuration: .default) }.permit)
        _ = state.modify(at: now, configuration: .default) { $0.record(.failure, for: permit, at: now, configuration: .default) }
        let reread = try BreakerState.decode(from: state.encoded(), configuration: .default).state
        #expect(reread == state && reread.machine.state == .open)
        #expect(reread.record.openUntil == now.nanosecondsSinceEpoch + 60_000_000_000)
    }

    @Test("openings in a row at the largest count stay there, so the state written reads back (issue 9, defect 3)")
    func openingsAtTheLargestCount() throws {
        let configuration = try Fixtures.timeConfiguration()
        let text = String(decoding: try Fixtures.data("v1-half-open-time.json"), as: UTF8.self)
            .replacingOccurrences(of: #""consecutiveOpenings":1"#, with: #""consecutiveOpenings":2147483647"#)
        var state = try BreakerState.decode(from: Data(text.utf8), configuration: configuration).state
        let now = state.updatedAt.advanced(by: .seconds(1))
        let permit = try #require(
            state.modify(at: now, configuration: configuration) { $0.acquire(at: now, configuration: configuration) }.permit)
        let transition = state.modify(at: now, configuration: configuration) {
            $0.record(.failure, for: permit, at: now, configuration: configuration)
        }
        #expect(transition?.to == .open)
        let reread = try BreakerState.decode(from: state.encoded(), configuration: configuration).state
        #expect(reread == state)
        #expect(reread.record.consecutiveOpenings == Int(Int32.max))
        #expect(reread.record.openUntil == now.nanosecondsSinceEpoch + 600_000_000_000)  // the break's cap
    }

    // MARK: - Generated runs

    /// Configurations for generated runs: the guide's with an absurd break (the flags of issue 9,
    /// defect 3), the fixtures' time window with slow calls, and a failure-rate rule over a count
    /// window with growing breaks.
    static func configurations() throws -> [CircuitBreakerConfiguration] {
        [
            .consecutiveFailures(1, breakDuration: .nanoseconds(Int64.max)),
            try Fixtures.timeConfiguration(),
            try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: 4, failureRateThreshold: 0.5, slidingWindow: .count(10), minimumThroughput: 4,
                breakDuration: .exponential(initial: .seconds(1), multiplier: 3, maxDelay: .nanoseconds(Int64.max)), maxConcurrentProbes: 2,
                halfOpenRule: .failureRate(0.5, overProbes: 3), probeTimeout: .seconds(30)),
        ]
    }

    @Test(
        "whatever one run writes, the next run reads and behaves identically: generated runs, clock steps and absurd clocks",
        arguments: 0..<9 as Range<UInt64>)
    func generatedRuns(seed: UInt64) throws {
        let configurations = try Self.configurations()
        let configuration = configurations[Int(seed) % configurations.count]
        var random = SeededRandomNumberGenerator(seed: seed)
        func below(_ bound: UInt64) -> UInt64 { random.next() % bound }
        var live = BreakerState(configuration: configuration, now: wall(0), generation: Int64(below(UInt64(Int64.max))))
        var written = try live.encoded()
        var permits: [BreakerState.Machine.Permit] = []
        var now = wall(0)
        for step in 0..<500 {
            switch below(40) {
            case 0: now = WallClock.Instant(nanosecondsSinceEpoch: [Int64.min, Int64.max, -1, 0][Int(below(4))])
            case 1: now = now.advanced(by: .seconds(-Int64(below(40_000_000))))  // a clock set back up to a year
            case 2..<6: now = now.advanced(by: .zero - .nanoseconds(Int64(below(3_000_000_000))))
            case 6..<12: break
            default: now = now.advanced(by: .nanoseconds(Int64(below(4_000_000_000))))
            }
            // The next run reads what the last one wrote.
            var read = try BreakerState.decode(from: written, configuration: configuration).state
            let context = Comment(rawValue: "seed \(seed), step \(step), at \(now.nanosecondsSinceEpoch)")
            let at = now
            switch below(10) {
            case 0..<5:
                let expected = live.modify(at: at, configuration: configuration) { $0.acquire(at: at, configuration: configuration) }
                let actual = read.modify(at: at, configuration: configuration) { $0.acquire(at: at, configuration: configuration) }
                #expect(actual == expected, context)
                if let permit = expected.permit { permits.append(permit) }
            case 5..<9 where !permits.isEmpty:
                let permit = permits.remove(at: Int(below(UInt64(permits.count))))
                let outcome: CircuitBreakerOutcome = below(3) == 0 ? .success : below(5) == 0 ? .ignored : .failure
                let expected = live.modify(at: at, configuration: configuration) {
                    $0.record(outcome, for: permit, at: at, configuration: configuration)
                }
                let actual = read.modify(at: at, configuration: configuration) {
                    $0.record(outcome, for: permit, at: at, configuration: configuration)
                }
                #expect(actual == expected, context)
            default:
                // --breaker-reset: a new closed state, whatever was there.
                let generation = Int64(below(UInt64(Int64.max)))
                live = BreakerState(configuration: configuration, now: at, generation: generation)
                read = BreakerState(configuration: configuration, now: at, generation: generation)
            }
            written = try read.encoded()
            #expect(written == (try live.encoded()), context)
        }
    }
}
