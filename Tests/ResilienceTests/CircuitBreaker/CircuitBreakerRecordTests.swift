import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// The instant `nanoseconds` after a manual clock's start.
func atNanoseconds(_ nanoseconds: Int64) -> ManualClock.Instant {
    ManualClock.Instant(offset: .nanoseconds(nanoseconds))
}

/// Sorted-keys JSON of a value, as a string.
func sortedJSON(_ value: some Encodable) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// `record` after `change`.
func changed(_ record: CircuitBreakerRecord, _ change: (inout CircuitBreakerRecord) -> Void) -> CircuitBreakerRecord {
    var copy = record
    change(&copy)
    return copy
}

@Suite("Circuit breaker records: the persisted format")
struct CircuitBreakerRecordTests {
    let counting: CircuitBreakerConfiguration
    let timed: CircuitBreakerConfiguration

    init() throws {
        counting = .default
        timed = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: 3,
            failureRateThreshold: 0.9,
            slowCalls: .tripping(atRate: 0.9, over: .seconds(2)),
            slidingWindow: .time(.seconds(1), buckets: 10),
            minimumThroughput: 50,
            breakDuration: .constant(.milliseconds(100)),
            maxConcurrentProbes: 2,
            halfOpenRule: .consecutiveSuccesses(2),
            probeTimeout: .seconds(60)
        )
    }

    /// The guide's breaker opened by 5 failures at 0.282 s.
    func openRecord() -> CircuitBreakerRecord {
        var machine = Machine(counting)
        for _ in 0..<5 { machine.call(.failure, at: 0.282, counting) }
        return machine.exported(originUnixNanoseconds: originUnix)
    }

    /// A half-open breaker with a time window (100 ms buckets) and a probe out.
    func halfOpenRecord() throws -> CircuitBreakerRecord {
        var machine = Machine(timed)
        let slow = try machine.requirePermit(at: 1, timed)
        machine.call(.success, at: 3.25, timed)
        _ = machine.record(.failure, for: slow, at: at(3.45), configuration: timed)  // slow too
        machine.call(.failure, at: 3.46, timed)
        machine.call(.failure, at: 3.47, timed)  // opens until 3.57 s
        for _ in 0..<4 { #expect(machine.acquire(at: at(3.5), configuration: timed).permit == nil) }
        _ = try machine.requirePermit(at: 3.6, timed)
        return machine.exported(originUnixNanoseconds: originUnix)
    }

    func restore(_ record: CircuitBreakerRecord, _ configuration: CircuitBreakerConfiguration) throws(CircuitBreakerRecordError) -> Machine
    {
        try Machine(restoring: record, configuration: configuration, origin: at(0), originUnixNanoseconds: originUnix)
    }

    // MARK: - The format

    @Test("an open breaker's record: times in nanoseconds since the epoch, the window's calls as characters")
    func openFormat() throws {
        #expect(
            try sortedJSON(openRecord())
                == #"{"consecutiveFailures":5,"consecutiveOpenings":1,"generation":1,"nextProbeID":1,"openUntil":1746100860282000000,"#
                + #""probeFailures":0,"probeSuccesses":0,"probes":[],"rejectedCalls":0,"state":"open","version":1,"#
                + #""window":{"outcomes":"fffff","size":100,"type":"count"}}"#)
    }

    @Test("a half-open breaker's record: its probes, and a time window's newest buckets as [calls, failures, slowCalls]")
    func halfOpenFormat() throws {
        #expect(
            try sortedJSON(try halfOpenRecord())
                == #"{"consecutiveFailures":3,"consecutiveOpenings":1,"generation":2,"nextProbeID":2,"probeFailures":0,"#
                + #""probeSuccesses":0,"probes":[{"grantedAt":1746100803600000000,"id":1}],"rejectedCalls":4,"state":"halfOpen","#
                + #""version":1,"window":{"bucketCount":10,"bucketNanoseconds":100000000,"buckets":[[1,0,0],[0,0,0],[3,3,1]],"#
                + #""newestBucketStart":1746100803400000000,"type":"time"}}"#)
    }

    @Test("count windows: one character per call, oldest first, also once the ring has wrapped")
    func countWindowOutcomes() throws {
        var configuration = try CircuitBreakerConfiguration(
            consecutiveFailureThreshold: nil, failureRateThreshold: 1, slowCalls: .tripping(atRate: 1, over: .seconds(1)),
            slidingWindow: .count(4), minimumThroughput: 4)
        var machine = Machine(configuration)
        machine.call(.success, at: 0, configuration)
        machine.call(.failure, at: 1, configuration)
        #expect(machine.exported(originUnixNanoseconds: originUnix).window == .count(size: 4, outcomes: "sf"))
        machine.call(.success, at: 2, until: 4, configuration)  // slow
        machine.call(.failure, at: 5, until: 7, configuration)  // slow
        machine.call(.success, at: 8, configuration)  // pushes the first out
        #expect(machine.exported(originUnixNanoseconds: originUnix).window == .count(size: 4, outcomes: "fSFs"))
        // Slow calls counted as failures (no slow-call rate) are F.
        configuration.slowCalls = .countedAsFailures(over: .seconds(1))
        var counted = Machine(configuration)
        counted.call(.success, at: 0, until: 2, configuration)
        #expect(counted.exported(originUnixNanoseconds: originUnix).window == .count(size: 4, outcomes: "F"))
        for record in [machine, counted].map({ $0.exported(originUnixNanoseconds: originUnix) }) {
            #expect(try restore(record, configuration).exported(originUnixNanoseconds: originUnix) == record)
        }
    }

    @Test("the record survives JSON exactly, and restoring then exporting gives it back")
    func roundTrip() throws {
        for (record, configuration) in [(openRecord(), counting), (try halfOpenRecord(), timed)] {
            let decoded = try JSONDecoder().decode(CircuitBreakerRecord.self, from: JSONEncoder().encode(record))
            #expect(decoded == record)
            #expect(try restore(decoded, configuration).exported(originUnixNanoseconds: originUnix) == record)
        }
    }

    @Test("a window laid out differently from the configuration's starts empty; the rest is kept")
    func layoutChange() throws {
        let record = openRecord()
        for window in [SlidingWindow.count(50), .count(101), .time(.seconds(100), buckets: 10)] {
            let configuration = try counting.with { $0.slidingWindow = window }
            let machine = try restore(record, configuration)
            let snapshot = machine.snapshot(at: at(1), configuration: configuration)
            #expect(snapshot.calls == 0 && snapshot.failures == 0)
            #expect(snapshot.state == .open && snapshot.consecutiveFailures == 5 && snapshot.timeUntilHalfOpen == .milliseconds(59_282))
        }
        let timedRecord = try halfOpenRecord()
        for window in [SlidingWindow.time(.seconds(1), buckets: 5), .time(.seconds(2), buckets: 10), .count(100)] {
            let configuration = try timed.with { $0.slidingWindow = window }
            #expect(try restore(timedRecord, configuration).snapshot(at: at(3.6), configuration: configuration).calls == 0)
        }
        // The same bucket length and count, from a duration a few nanoseconds longer, is the same layout.
        let same = try timed.with { $0.slidingWindow = .time(.nanoseconds(1_000_000_009), buckets: 10) }
        #expect(try restore(timedRecord, same).snapshot(at: at(3.6), configuration: same).calls == 4)
    }

    // MARK: - Bounds

    /// Each change makes a valid record invalid: the error's code and field.
    static let invalidChanges: [(String, CircuitBreakerRecordError.Code, String, @Sendable (inout CircuitBreakerRecord) -> Void)] = [
        ("a later version", .unsupportedVersion, "version", { $0.version = 2 }),
        ("version 0", .unsupportedVersion, "version", { $0.version = 0 }),
        ("a negative generation", .invalidValue, "generation", { $0.generation = -1 }),
        ("an open state without openUntil", .invalidValue, "openUntil", { $0.openUntil = nil }),
        ("openUntil outside the open state", .invalidValue, "openUntil", { $0.state = .closed }),
        ("negative consecutive failures", .invalidValue, "consecutiveFailures", { $0.consecutiveFailures = -1 }),
        ("too many consecutive failures", .invalidValue, "consecutiveFailures", { $0.consecutiveFailures = Int(Int32.max) + 1 }),
        ("negative consecutive openings", .invalidValue, "consecutiveOpenings", { $0.consecutiveOpenings = -1 }),
        ("too many consecutive openings", .invalidValue, "consecutiveOpenings", { $0.consecutiveOpenings = Int.max }),
        ("negative probe successes", .invalidValue, "probeSuccesses", { $0.probeSuccesses = -1 }),
        ("probe successes outside half-open", .invalidValue, "probeSuccesses", { $0.probeSuccesses = 1 }),
        ("probe failures outside half-open", .invalidValue, "probeFailures", { $0.probeFailures = 1 }),
        ("negative rejected calls", .invalidValue, "rejectedCalls", { $0.rejectedCalls = -1 }),
        ("a next probe number of 0", .invalidValue, "nextProbeID", { $0.nextProbeID = 0 }),
        ("probes outside half-open", .invalidValue, "probes", { $0.probes = [.init(id: 1, grantedAt: 0)] }),
        ("a count window of size 0", .invalidValue, "window.size", { $0.window = .count(size: 0, outcomes: "") }),
        ("a count window too large", .invalidValue, "window.size", { $0.window = .count(size: 1_000_001, outcomes: "") }),
        ("more calls than the size", .invalidValue, "window.outcomes", { $0.window = .count(size: 2, outcomes: "sff") }),
        ("an unknown outcome", .invalidValue, "window.outcomes", { $0.window = .count(size: 2, outcomes: "s?") }),
        ("a non-ASCII outcome", .invalidValue, "window.outcomes", { $0.window = .count(size: 2, outcomes: "é") }),
        (
            "a bucket length of 0", .invalidValue, "window.bucketNanoseconds",
            { $0.window = .time(bucketNanoseconds: 0, bucketCount: 1, newestBucketStart: 0, buckets: []) }
        ),
        (
            "no buckets", .invalidValue, "window.bucketCount",
            { $0.window = .time(bucketNanoseconds: 1, bucketCount: 0, newestBucketStart: 0, buckets: []) }
        ),
        (
            "too many buckets", .invalidValue, "window.bucketCount",
            { $0.window = .time(bucketNanoseconds: 1, bucketCount: 10_001, newestBucketStart: 0, buckets: []) }
        ),
        (
            "a window longer than 292 years", .invalidValue, "window.bucketNanoseconds",
            { $0.window = .time(bucketNanoseconds: Int64.max / 2 + 1, bucketCount: 2, newestBucketStart: 0, buckets: []) }
        ),
        (
            "more buckets listed than the window has", .invalidValue, "window.buckets",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0,
                    buckets: [.init(calls: 0, failures: 0, slowCalls: 0), .init(calls: 0, failures: 0, slowCalls: 0)])
            }
        ),
        (
            "negative calls", .invalidValue, "window.buckets[0]",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0, buckets: [.init(calls: -1, failures: 0, slowCalls: 0)])
            }
        ),
        (
            "too many calls in a bucket", .invalidValue, "window.buckets[0]",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0,
                    buckets: [.init(calls: (1 << 48) + 1, failures: 0, slowCalls: 0)])
            }
        ),
        (
            "more failures than calls", .invalidValue, "window.buckets[0]",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0, buckets: [.init(calls: 1, failures: 2, slowCalls: 0)])
            }
        ),
        (
            "more slow calls than calls", .invalidValue, "window.buckets[0]",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0, buckets: [.init(calls: 1, failures: 0, slowCalls: 2)])
            }
        ),
        (
            "negative slow calls", .invalidValue, "window.buckets[0]",
            {
                $0.window = .time(
                    bucketNanoseconds: 1, bucketCount: 1, newestBucketStart: 0, buckets: [.init(calls: 1, failures: 0, slowCalls: -1)])
            }
        ),
    ]

    @Test("every field out of range is a named error, from validating, decoding and restoring alike", arguments: invalidChanges.indices)
    func outOfRange(index: Int) throws {
        let (_, code, field, change) = Self.invalidChanges[index]
        let record = changed(openRecord(), change)
        func check(_ body: () throws -> Void) {
            #expect {
                try body()
            } throws: { error in
                guard let error = error as? CircuitBreakerRecordError else { return false }
                return error.code == code && error.field == field
            }
        }
        check { try record.validate() }
        check { _ = try restore(record, counting) }
        check { _ = try JSONDecoder().decode(CircuitBreakerRecord.self, from: JSONEncoder().encode(record)) }
    }

    @Test("probes out of range are named errors: a number of 0, a number twice, more than 10,000")
    func probeBounds() throws {
        let record = try halfOpenRecord()
        let cases: [(String, (inout CircuitBreakerRecord) -> Void)] = [
            ("probes[0].id", { $0.probes[0].id = 0 }),
            ("probes[1].id", { $0.probes.append($0.probes[0]) }),
            ("probes", { $0.probes = (1...10_001).map { .init(id: Int64($0), grantedAt: 0) } }),
        ]
        for (field, change) in cases {
            #expect(throws: CircuitBreakerRecordError.self) { try changed(record, change).validate() }
            do {
                try changed(record, change).validate()
            } catch {
                #expect(error.field == field)
            }
        }
        #expect(throws: Never.self) {
            try changed(record) { $0.probes = (1...10_000).map { .init(id: Int64($0), grantedAt: 0) } }.validate()
        }
    }

    @Test("the extremes of every range are valid, restore, and export unchanged")
    func extremesAreValid() throws {
        let record = changed(openRecord()) {
            $0.generation = .max
            $0.openUntil = .max
            $0.consecutiveFailures = CircuitBreakerRecord.maximumCount
            $0.consecutiveOpenings = CircuitBreakerRecord.maximumCount
            $0.rejectedCalls = .max
            $0.nextProbeID = .max
        }
        #expect(try restore(record, counting).exported(originUnixNanoseconds: originUnix) == record)
        let early = changed(record) { $0.openUntil = .min }
        #expect(try restore(early, counting).exported(originUnixNanoseconds: originUnix) == early)
        let fullBucket = changed(try halfOpenRecord()) {
            $0.window = .time(
                bucketNanoseconds: 100_000_000, bucketCount: 10, newestBucketStart: .max / 100_000_000 * 100_000_000,
                buckets: Array(repeating: .init(calls: 1 << 48, failures: 1 << 48, slowCalls: 1 << 48), count: 10))
            $0.probes[0].grantedAt = .min
        }
        #expect(try restore(fullBucket, timed).exported(originUnixNanoseconds: originUnix) == fullBucket)
    }

    // MARK: - Decoding

    @Test(
        "decoding refuses unknown fields, wrong types and missing fields, naming them",
        arguments: [
            (#""state":"open""#, #""state":"open","openUntill":1"#, CircuitBreakerRecordError.Code.unknownField, "openUntill"),
            (#""type":"count""#, #""type":"count","nextIndex":0"#, .unknownField, "window.nextIndex"),
            (#""generation":1"#, #""generation":"1""#, .wrongType, "generation"),
            (#""generation":1"#, #""generation":1.5"#, .wrongType, "generation"),
            (#""generation":1"#, #""generation":1e30"#, .wrongType, "generation"),
            (#""generation":1,"#, "", .invalidValue, "generation"),
            (#""state":"open""#, #""state":"ajar""#, .invalidValue, "state"),
            (#""type":"count""#, #""type":"sliding""#, .invalidValue, "window.type"),
            (#""outcomes":"fffff""#, #""outcomes":5"#, .wrongType, "window.outcomes"),
            (#""probes":[]"#, #""probes":{}"#, .wrongType, "probes"),
            (#""probes":[]"#, #""probes":[7]"#, .wrongType, "probes[0]"),
            (#""probes":[]"#, #""probes":[{"id":1,"grantedAt":2,"holder":3}]"#, .unknownField, "probes[0].holder"),
            (#""probes":[]"#, #""probes":[{"id":1}]"#, .invalidValue, "probes[0].grantedAt"),
            (#""openUntil":1746100860282000000"#, #""openUntil":9223372036854775808"#, .wrongType, "openUntil"),
            (#""version":1"#, #""version":2,"somethingNew":true"#, .unsupportedVersion, "version"),
        ]
    )
    func decodingErrors(original: String, replacement: String, code: CircuitBreakerRecordError.Code, field: String) throws {
        let json = try sortedJSON(openRecord())
        #expect(json.contains(original))
        let damaged = json.replacingOccurrences(of: original, with: replacement)
        #expect {
            try JSONDecoder().decode(CircuitBreakerRecord.self, from: Data(damaged.utf8))
        } throws: { error in
            guard let error = error as? CircuitBreakerRecordError else { return false }
            return error.code == code && error.field == field
        }
    }

    @Test("a time window's buckets must be triples")
    func bucketTriples() throws {
        let json = try sortedJSON(try halfOpenRecord()).replacingOccurrences(of: "[3,3,1]", with: "[3,3]")
        #expect {
            try JSONDecoder().decode(CircuitBreakerRecord.self, from: Data(json.utf8))
        } throws: { error in
            (error as? CircuitBreakerRecordError)?.field == "window.buckets[2]"
        }
    }

    @Test("a nested record's errors name the field by its full path")
    func nestedPaths() throws {
        struct File: Decodable { var breaker: CircuitBreakerRecord }
        let json = #"{"breaker":"# + (try sortedJSON(openRecord())).replacingOccurrences(of: "fffff", with: "fxf") + "}"
        #expect {
            try JSONDecoder().decode(File.self, from: Data(json.utf8))
        } throws: { error in
            "\(error)" == #"invalid circuit breaker record: breaker.window.outcomes must hold only s, f, S and F (one per call), got "x""#
        }
    }

    // MARK: - Growth stays within the bounds

    @Test("counts saturate at the largest a record holds, so what a machine exports, restoring accepts")
    func countsSaturate() throws {
        // An opening at the largest count of openings in a row stays there.
        var configuration = try timed.with { $0.breakDuration = .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60)) }
        let maximum = CircuitBreakerRecord.maximumCount
        let halfOpen = changed(try halfOpenRecord()) { $0.consecutiveOpenings = maximum }
        var machine = try restore(halfOpen, configuration)
        let permit = try machine.requirePermit(at: 3.61, configuration)
        #expect(machine.record(.failure, for: permit, at: at(3.62), configuration: configuration) == change(.halfOpen, .open, .probeFailed))
        var exported = machine.exported(originUnixNanoseconds: originUnix)
        #expect(exported.consecutiveOpenings == maximum)
        #expect(exported.openUntil == originUnix + 63_620_000_000)
        #expect(throws: Never.self) { try exported.validate() }

        // Failures in a row (a disabled breaker never trips) stop at the largest count.
        let disabled = changed(openRecord()) {
            $0.state = .disabled
            $0.openUntil = nil
            $0.consecutiveFailures = maximum - 1
        }
        var counted = try restore(disabled, counting)
        counted.call(.failure, at: 1, counting)
        counted.call(.failure, at: 2, counting)
        #expect(counted.exported(originUnixNanoseconds: originUnix).consecutiveFailures == maximum)

        // Probe successes under an (unchecked) rule that asks for more than that.
        configuration.halfOpenRule = .consecutiveSuccesses(.max)
        machine = try restore(changed(try halfOpenRecord()) { $0.probeSuccesses = maximum }, configuration)
        let probePermit = try machine.requirePermit(at: 3.61, configuration)
        #expect(machine.record(.success, for: probePermit, at: at(3.62), configuration: configuration) == nil)
        exported = machine.exported(originUnixNanoseconds: originUnix)
        #expect(exported.probeSuccesses == maximum)
        #expect(throws: Never.self) { try exported.validate() }
    }

    @Test("a break past the largest time ends then: the record holds Int64.max nanoseconds since the epoch")
    func breakSaturates() throws {
        let configuration = CircuitBreakerConfiguration.consecutiveFailures(1, breakDuration: .nanoseconds(Int64.max))
        for originReading in [originUnix, 0] {
            var machine = Machine(configuration: configuration, now: at(0))
            machine.call(.failure, at: 10, configuration)
            let record = machine.exported(originUnixNanoseconds: originReading)
            #expect(record.openUntil == .max)
            var restored = try Machine(restoring: record, configuration: configuration, origin: at(0), originUnixNanoseconds: originReading)
            #expect(restored.acquire(at: at(1e9), configuration: configuration).rejectedState == .open)
            #expect(restored.exported(originUnixNanoseconds: originReading).openUntil == .max)
        }
    }

    @Test("a full bucket counts no more calls, and the window still exports a valid record")
    func fullBucket() throws {
        var configuration = timed
        configuration.consecutiveFailureThreshold = nil
        let start = originUnix + 3_400_000_000
        let record = CircuitBreakerRecord(
            state: .closed, generation: 0, openUntil: nil, consecutiveFailures: 0, consecutiveOpenings: 0, probeSuccesses: 0,
            probeFailures: 0, rejectedCalls: 0, probes: [], nextProbeID: 1,
            window: .time(
                bucketNanoseconds: 100_000_000, bucketCount: 10, newestBucketStart: start,
                buckets: [.init(calls: 1 << 48, failures: 0, slowCalls: 0)]))
        var machine = try restore(record, configuration)
        machine.call(.success, at: 3.45, configuration)
        #expect(machine.exported(originUnixNanoseconds: originUnix) == record)
        machine.call(.failure, at: 3.55, configuration)  // the next bucket
        let counts = machine.snapshot(at: at(3.55), configuration: configuration)
        #expect(counts.calls == (1 << 48) + 1 && counts.failures == 1)
    }

    @Test("generations wrap from Int64.max to 0; probe numbers from Int64.max to 1, skipping those in use")
    func numbersWrap() throws {
        var machine = try restore(changed(openRecord()) { $0.generation = .max }, counting)
        _ = try machine.requirePermit(at: 61, counting)
        #expect(machine.exported(originUnixNanoseconds: originUnix).generation == 0)

        let configuration = try timed.with {
            $0.maxConcurrentProbes = 3
            $0.halfOpenRule = .consecutiveSuccesses(3)
        }
        let record = changed(try halfOpenRecord()) { $0.nextProbeID = .max }
        machine = try restore(record, configuration)
        _ = try machine.requirePermit(at: 3.7, configuration)
        _ = try machine.requirePermit(at: 3.8, configuration)
        let exported = machine.exported(originUnixNanoseconds: originUnix)
        #expect(exported.probes.map(\.id) == [1, .max, 2])
        #expect(exported.nextProbeID == 3)
    }

    @Test("at most 10,000 probes are out at once, whatever an unchecked configuration allows")
    func probeLimit() throws {
        var configuration = timed
        configuration.maxConcurrentProbes = 20_000
        configuration.halfOpenRule = .consecutiveSuccesses(20_000)
        var machine = try restore(try halfOpenRecord(), configuration)
        var granted = 1
        while machine.acquire(at: at(3.7), configuration: configuration).isGranted { granted += 1 }
        #expect(granted == CircuitBreakerRecord.maximumProbes)
        #expect(throws: Never.self) { try machine.exported(originUnixNanoseconds: originUnix).validate() }
    }
}
