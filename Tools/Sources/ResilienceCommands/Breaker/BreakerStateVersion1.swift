import Foundation
@_spi(ResilienceTools) import Resilience

/// Reads state files of format version 1, which `resilience` wrote before the library had a
/// documented format: the library's internal state machine, encoded as it was.
///
/// ```json
/// {"breaker":{"core":{"consecutiveFailures":5,"consecutiveOpenings":1,"generation":1,"nextProbeID":1,
///  "openUntil":[3,4941822380871345152],"probeFailures":0,"probeSuccesses":0,"probes":[],"rejectedCalls":0,
///  "state":"open","window":{"buckets":[],"calls":5,"currentBucket":0,"failures":5,
///  "layout":{"size":100,"type":"count"},"nextIndex":5,"outcomes":[1,1,1,1,1,0,...],"slowCalls":0}},
///  "origin":1746100800000000000},"updatedAt":1746100800282054602,"version":1}
/// ```
///
/// `origin` is a wall-clock time in nanoseconds since the epoch; every time in `core` is a Swift
/// `Duration` after it (the `[high, low]` halves of its attoseconds); a count window is a ring of
/// outcome bits (failure 1, slow 2) with the index of the next call, a time window the buckets'
/// counts by bucket number modulo their count, numbered from `origin`. The reader checks what the
/// library's decoder checked then (every field present and of its type, no unknown field, the
/// window's totals those of its calls, times within about 292 years of `origin`), with arithmetic
/// that cannot overflow whatever the numbers, and converts the state to a ``CircuitBreakerRecord``,
/// whose own checks bound every count; the next write is version 2.
package enum BreakerStateVersion1 {
    /// The format version this reads.
    package static let formatVersion = 1

    /// A version 1 state that is not one the library could have written.
    package struct Damaged: Error, Hashable, Sendable, CustomStringConvertible {
        /// What is wrong, such as `inconsistent sliding window counts`.
        package var reason: String
        /// Where, such as `breaker.core.window`.
        package var path: String

        /// The reason and the place.
        package var description: String { "\(reason) (at \(path))" }
    }

    /// Decodes a version 1 file.
    ///
    /// - Parameter data: The file's bytes.
    /// - Returns: When the state last changed, and the state as a record.
    /// - Throws: `DecodingError`, ``BreakerState/UnknownField`` or ``Damaged``.
    package static func decode(from data: Data) throws -> (updatedAt: WallClock.Instant, record: CircuitBreakerRecord) {
        let file = try JSONDecoder().decode(File.self, from: data)
        return (WallClock.Instant(nanosecondsSinceEpoch: file.updatedAt), try file.breaker.record())
    }

    /// Throws ``BreakerState/UnknownField`` for the first field (in sorted order) of the object at
    /// `decoder` that is not in `allowed`.
    static func rejectUnknownFields(_ decoder: any Decoder, allowed: [String], version: Int) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        let path = decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
        for key in container.allKeys.map(\.stringValue).sorted() where !allowed.contains(key) {
            throw BreakerState.UnknownField(path: path + [key], version: version)
        }
    }

    /// Any key, to list an object's fields.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// The place of `decoder` in the file, such as `breaker.core.window`.
    private static func place(_ decoder: any Decoder) -> String {
        decoder.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    /// The largest time after (or before) `origin` the library's version 1 decoder accepted.
    private static let largestTime = Duration.nanoseconds(Int64.max)

    // MARK: - The file's parts

    private struct File: Decodable {
        var updatedAt: Int64
        var breaker: Machine

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case version, updatedAt, breaker
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            updatedAt = try container.decode(Int64.self, forKey: .updatedAt)
            breaker = try container.decode(Machine.self, forKey: .breaker)
        }
    }

    private struct Machine: Decodable {
        var origin: Int64
        var core: Core
        var place: String

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case origin, core
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            origin = try container.decode(Int64.self, forKey: .origin)
            core = try container.decode(Core.self, forKey: .core)
            place = BreakerStateVersion1.place(decoder)
        }

        /// The state as a record: every time on the wall clock (saturated to the `Int64` range).
        func record() throws -> CircuitBreakerRecord {
            func wallClock(_ time: Duration) -> Int64 {
                (Duration.nanoseconds(origin) + time).saturatingNanoseconds
            }
            func identifier(_ value: UInt64, _ field: String) throws -> Int64 {
                guard let value = Int64(exactly: value) else { throw Damaged(reason: "\(field) is out of range", path: core.place) }
                return value
            }
            return CircuitBreakerRecord(
                version: CircuitBreakerRecord.currentVersion,
                state: core.state,
                generation: try identifier(core.generation, "generation"),
                openUntil: core.openUntil.map(wallClock),
                consecutiveFailures: core.consecutiveFailures,
                consecutiveOpenings: core.consecutiveOpenings,
                probeSuccesses: core.probeSuccesses,
                probeFailures: core.probeFailures,
                rejectedCalls: core.rejectedCalls,
                probes: try core.probes.map { .init(id: try identifier($0.id, "a probe's id"), grantedAt: wallClock($0.grantedAt)) },
                nextProbeID: try identifier(core.nextProbeID, "nextProbeID"),
                window: try core.window.record(origin: origin)
            )
        }
    }

    private struct Core: Decodable {
        var state: CircuitState
        var generation: UInt64
        var openUntil: Duration?
        var probes: [Probe]
        var nextProbeID: UInt64
        var probeSuccesses: Int
        var probeFailures: Int
        var rejectedCalls: Int64
        var consecutiveFailures: Int
        var consecutiveOpenings: Int
        var window: Window
        var place: String

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case state, generation, openUntil, probes, nextProbeID, probeSuccesses, probeFailures, consecutiveFailures
            case consecutiveOpenings, rejectedCalls, window
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            place = BreakerStateVersion1.place(decoder)
            state = try container.decode(CircuitState.self, forKey: .state)
            generation = try container.decode(UInt64.self, forKey: .generation)
            openUntil = try container.decodeIfPresent(Duration.self, forKey: .openUntil)
            probes = try container.decode([Probe].self, forKey: .probes)
            nextProbeID = max(try container.decode(UInt64.self, forKey: .nextProbeID), 1)
            probeSuccesses = try container.decode(Int.self, forKey: .probeSuccesses)
            // Absent from the earliest version 1 files.
            probeFailures = try container.decodeIfPresent(Int.self, forKey: .probeFailures) ?? 0
            rejectedCalls = max(try container.decodeIfPresent(Int64.self, forKey: .rejectedCalls) ?? 0, 0)
            consecutiveFailures = try container.decode(Int.self, forKey: .consecutiveFailures)
            consecutiveOpenings = try container.decode(Int.self, forKey: .consecutiveOpenings)
            window = try container.decode(Window.self, forKey: .window)
            let times = [openUntil].compactMap { $0 } + probes.map(\.grantedAt)
            guard times.allSatisfy({ $0 <= largestTime && $0 >= .zero - largestTime }) else {
                throw Damaged(reason: "a time is out of range", path: place)
            }
        }
    }

    private struct Probe: Decodable {
        var id: UInt64
        var grantedAt: Duration

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case id, grantedAt
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(UInt64.self, forKey: .id)
            grantedAt = try container.decode(Duration.self, forKey: .grantedAt)
        }
    }

    private struct Bucket: Decodable {
        var calls: Int
        var failures: Int
        var slowCalls: Int

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case calls, failures, slowCalls
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            calls = try container.decode(Int.self, forKey: .calls)
            failures = try container.decode(Int.self, forKey: .failures)
            slowCalls = try container.decode(Int.self, forKey: .slowCalls)
        }

        /// Whether every count is from 0 to the most a record's bucket holds, so sums cannot overflow.
        var isInRange: Bool {
            let range = 0...CircuitBreakerRecord.maximumBucketCalls
            return range.contains(calls) && range.contains(failures) && range.contains(slowCalls)
        }
    }

    private struct Window: Decodable {
        var layout: SlidingWindow
        var calls: Int
        var failures: Int
        var slowCalls: Int
        var outcomes: [UInt8]
        var nextIndex: Int
        var buckets: [Bucket]
        var currentBucket: Int64
        var place: String

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case layout, calls, failures, slowCalls, outcomes, nextIndex, buckets, currentBucket
        }

        init(from decoder: any Decoder) throws {
            try rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 1)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            place = BreakerStateVersion1.place(decoder)
            layout = try container.decode(SlidingWindow.self, forKey: .layout)
            calls = try container.decode(Int.self, forKey: .calls)
            failures = try container.decode(Int.self, forKey: .failures)
            slowCalls = try container.decode(Int.self, forKey: .slowCalls)
            outcomes = try container.decode([UInt8].self, forKey: .outcomes)
            nextIndex = try container.decode(Int.self, forKey: .nextIndex)
            buckets = try container.decode([Bucket].self, forKey: .buckets)
            currentBucket = try container.decode(Int64.self, forKey: .currentBucket)
        }

        private func inconsistent() -> Damaged {
            Damaged(reason: "inconsistent sliding window counts", path: place)
        }

        /// The window as a record's: a count window's calls oldest first, a time window's newest
        /// buckets (numbered from `origin`) with the start of the newest.
        func record(origin: Int64) throws -> CircuitBreakerRecord.Window {
            if let size = layout.size {
                // The storage fits the layout, and the totals the storage.
                guard outcomes.count == size, buckets.isEmpty, outcomes.indices.contains(nextIndex), (0...size).contains(calls),
                    calls == size || nextIndex == calls, outcomes.allSatisfy({ $0 & ~3 == 0 })
                else { throw inconsistent() }
                let held = calls == size ? Array(outcomes[nextIndex...] + outcomes[..<nextIndex]) : Array(outcomes[..<calls])
                guard failures == held.count(where: { $0 & 1 != 0 }), slowCalls == held.count(where: { $0 & 2 != 0 }) else {
                    throw inconsistent()
                }
                let characters: [UInt8] = [UInt8(ascii: "s"), UInt8(ascii: "f"), UInt8(ascii: "S"), UInt8(ascii: "F")]
                return .count(size: size, outcomes: String(decoding: held.map { characters[Int($0)] }, as: UTF8.self))
            }
            guard let duration = layout.duration, let count = layout.buckets, buckets.count == count, outcomes.isEmpty,
                currentBucket >= 0
            else { throw inconsistent() }
            guard buckets.allSatisfy(\.isInRange) else {
                throw Damaged(reason: "a bucket's count is negative or out of range", path: place)
            }
            // At most 10,000 buckets of at most 2^48 each: these sums cannot overflow.
            let sums = buckets.reduce(into: (calls: 0, failures: 0, slowCalls: 0)) { sums, bucket in
                sums.calls += bucket.calls
                sums.failures += bucket.failures
                sums.slowCalls += bucket.slowCalls
            }
            guard sums.calls == calls, sums.failures == failures, sums.slowCalls == slowCalls else { throw inconsistent() }
            let length = max(duration.saturatingNanoseconds / Int64(count), 1)
            // Oldest first: buckets currentBucket − (count − 1) through currentBucket, at their number
            // modulo the count; those before the first with calls are left out.
            var listed: [CircuitBreakerRecord.Window.Bucket] = []
            for age in stride(from: Int64(count - 1), through: 0, by: -1) {
                let remainder = Int((currentBucket - age) % Int64(count))
                let bucket = buckets[remainder < 0 ? remainder + count : remainder]
                guard !listed.isEmpty || bucket.calls != 0 || bucket.failures != 0 || bucket.slowCalls != 0 else { continue }
                listed.append(.init(calls: bucket.calls, failures: bucket.failures, slowCalls: bucket.slowCalls))
            }
            // Saturated: the product is never negative, so only a sum past Int64.max overflows.
            let (product, productOverflow) = currentBucket.multipliedReportingOverflow(by: length)
            let (start, sumOverflow) = origin.addingReportingOverflow(productOverflow ? .max : product)
            return .time(bucketNanoseconds: length, bucketCount: count, newestBucketStart: sumOverflow ? .max : start, buckets: listed)
        }
    }
}
