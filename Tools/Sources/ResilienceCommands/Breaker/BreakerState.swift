import Foundation
@_spi(ResilienceTools) import Resilience

/// What a `resilience run --breaker FILE` state file holds: the library's circuit breaker state
/// machine on the wall clock, with a format version and the time of the last change.
///
/// The file is JSON (on one line, keys sorted), format version 2:
///
/// ```json
/// {"breaker":{"consecutiveFailures":5,"consecutiveOpenings":1,"generation":1,"nextProbeID":1,
///  "openUntil":1746100860282054602,"probeFailures":0,"probeSuccesses":0,"probes":[],"rejectedCalls":0,
///  "state":"open","version":1,"window":{"outcomes":"fffff","size":100,"type":"count"}},
///  "updatedAt":1746100800282054602,"version":2}
/// ```
///
/// - `version`: the file format's version, ``formatVersion``. A file of a later version is refused
///   rather than misread; a file of version 1 (the library's internal state, as `resilience` wrote
///   it before) is read (``BreakerStateVersion1``) and rewritten as version 2.
/// - `updatedAt`: the wall-clock time of the last change, in nanoseconds since the Unix epoch. Only
///   used to notice that the wall clock stepped back (see ``modify(at:configuration:_:)``).
/// - `breaker`: a ``CircuitBreakerRecord``, the library's documented format, every time in it in
///   nanoseconds since the Unix epoch (`openUntil`, each probe's `grantedAt`, a time window's
///   `newestBucketStart`). Subtracting N nanoseconds from every time moves the state N nanoseconds
///   into the past: an open breaker whose `openUntil` has passed half-opens on the next run.
///
/// In memory the state machine's origin is the Unix epoch (``origin``), so that its times are the
/// record's, and a permit granted by one update is honoured by the next, which restores the state
/// from the file again.
package struct BreakerState: Hashable, Sendable {
    /// The wall-clock state machine a state file holds.
    package typealias Machine = CircuitBreakerStateMachine<WallClock.Instant>

    /// The version of the format this code writes (and, with version 1, reads).
    package static let formatVersion = 2

    /// The origin of every state machine here: the Unix epoch, whose wall-clock reading is 0.
    package static let origin = WallClock.Instant(nanosecondsSinceEpoch: 0)

    /// When the state last changed, on the wall clock.
    package private(set) var updatedAt: WallClock.Instant
    /// The circuit breaker's state.
    package private(set) var machine: Machine

    /// A closed circuit with no calls recorded.
    ///
    /// - Parameters:
    ///   - configuration: The configuration it will run with.
    ///   - now: The current wall-clock time.
    ///   - generation: The state's generation. A random one (as `resilience` gives a new or reset
    ///     file) makes the outcome of a run that started before the file was created or reset count
    ///     for nothing, as it would have after any other change of state.
    package init(configuration: CircuitBreakerConfiguration, now: WallClock.Instant, generation: Int64 = 0) {
        updatedAt = now
        machine = Machine(configuration: configuration, now: Self.origin)
        if generation != 0 {
            var record = machine.exported(originUnixNanoseconds: 0)
            record.generation = max(generation, 0)
            if let restored = try? Machine(restoring: record, configuration: configuration, origin: Self.origin, originUnixNanoseconds: 0) {
                machine = restored
            }
        }
    }

    /// A state read from a file.
    ///
    /// - Parameters:
    ///   - updatedAt: When it last changed.
    ///   - record: The breaker's state.
    ///   - configuration: The configuration it will run with.
    /// - Throws: ``CircuitBreakerRecordError`` for a record that is not valid.
    package init(
        updatedAt: WallClock.Instant, record: CircuitBreakerRecord, configuration: CircuitBreakerConfiguration
    ) throws(CircuitBreakerRecordError) {
        self.updatedAt = updatedAt
        machine = try Machine(restoring: record, configuration: configuration, origin: Self.origin, originUnixNanoseconds: 0)
    }

    /// The breaker's state as the file holds it.
    package var record: CircuitBreakerRecord {
        machine.exported(originUnixNanoseconds: machine.origin.nanosecondsSinceEpoch)
    }

    /// Runs `body` on the state machine at wall-clock time `now`, and records `now` as the time of
    /// the last change if it changed anything.
    ///
    /// The wall clock can step back. When `now` is earlier than the last change, every time in the
    /// state is first moved back by as much (as ``CircuitBreakerStateMachine/shiftTimeline(by:)``
    /// would, but in the record, so that the origin stays the epoch and a permit granted now means
    /// the same to the next update, which reads the file again), so that `now` falls where the last
    /// change did: the step, and whatever time passed between the last change and the step, count
    /// as no time. The machine never sees time run backwards, and an open circuit stays open no
    /// longer than its break duration after the step (rather than the step's size longer, which for
    /// a clock corrected by a year would brick the breaker). Times moved past the earliest one a
    /// record holds (1677) stop there.
    ///
    /// - Parameters:
    ///   - now: The current wall-clock time.
    ///   - configuration: The configuration the breaker runs with.
    ///   - body: What to do, such as acquiring a permit at `now`.
    /// - Returns: What `body` returns.
    package mutating func modify<Result>(
        at now: WallClock.Instant,
        configuration: CircuitBreakerConfiguration,
        _ body: (inout Machine) -> Result
    ) -> Result {
        if now < updatedAt,
            let shifted = try? Machine(
                restoring: record.shifted(by: updatedAt.duration(to: now)), configuration: configuration, origin: Self.origin,
                originUnixNanoseconds: 0)
        {
            machine = shifted
            updatedAt = now
        }
        let before = machine
        let result = body(&machine)
        if machine != before { updatedAt = now }
        return result
    }

    // MARK: - The file

    /// A state file of a format version this code does not read.
    package struct UnsupportedVersion: Error, Hashable, Sendable, CustomStringConvertible {
        /// The file's version.
        package var version: Int

        /// Says which version the file has and which this code reads.
        package var description: String {
            let origin = version > BreakerState.formatVersion ? ", written by a later resilience" : ""
            return "it has format version \(version)\(origin); this one reads versions 1 and \(BreakerState.formatVersion)"
        }
    }

    /// A field of a state file that is not part of its format version.
    package struct UnknownField: Error, Hashable, Sendable, CustomStringConvertible {
        /// Where it is, such as `["breaker", "openUntill"]`.
        package var path: [String]
        /// The file's format version.
        package var version: Int

        /// Says which field it is.
        package var description: String {
            "it has a field \"\(path.joined(separator: "."))\" that format version \(version) does not have"
        }
    }

    /// The file's bytes: JSON on one line, keys sorted, with a final newline.
    ///
    /// - Throws: What `JSONEncoder` throws (nothing, for a state this code made).
    package func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(File(version: Self.formatVersion, updatedAt: updatedAt.nanosecondsSinceEpoch, breaker: record))
            + Data("\n".utf8)
    }

    /// Decodes a state file of format version 2, or 1 (converted).
    ///
    /// - Parameters:
    ///   - data: The file's bytes.
    ///   - configuration: The configuration the breaker runs with (a window of another layout starts empty).
    /// - Returns: The state, and the file's format version (1 means it is to be rewritten).
    /// - Throws: `DecodingError` for what is not JSON or has a field of the wrong type,
    ///   ``UnsupportedVersion`` for another version, ``UnknownField`` for a field the format does not
    ///   have, ``CircuitBreakerRecordError`` for a state out of range or inconsistent.
    package static func decode(
        from data: Data,
        configuration: CircuitBreakerConfiguration
    ) throws -> (state: BreakerState, version: Int) {
        let version = try JSONDecoder().decode(VersionOnly.self, from: data).version
        switch version {
        case formatVersion:
            let file = try JSONDecoder().decode(File.self, from: data)
            let state = try BreakerState(
                updatedAt: WallClock.Instant(nanosecondsSinceEpoch: file.updatedAt), record: file.breaker, configuration: configuration)
            return (state, version)
        case BreakerStateVersion1.formatVersion:
            let (updatedAt, record) = try BreakerStateVersion1.decode(from: data)
            return (try BreakerState(updatedAt: updatedAt, record: record, configuration: configuration), version)
        default:
            throw UnsupportedVersion(version: version)
        }
    }

    /// A file's `version`, read first: other versions have other fields.
    private struct VersionOnly: Decodable {
        var version: Int
    }

    /// A version 2 file.
    private struct File: Codable {
        var version: Int
        var updatedAt: Int64
        var breaker: CircuitBreakerRecord

        private enum CodingKeys: String, CodingKey, CaseIterable {
            case version, updatedAt, breaker
        }

        init(version: Int, updatedAt: Int64, breaker: CircuitBreakerRecord) {
            self.version = version
            self.updatedAt = updatedAt
            self.breaker = breaker
        }

        init(from decoder: any Decoder) throws {
            try BreakerStateVersion1.rejectUnknownFields(decoder, allowed: CodingKeys.allCases.map(\.rawValue), version: 2)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            version = try container.decode(Int.self, forKey: .version)
            updatedAt = try container.decode(Int64.self, forKey: .updatedAt)
            breaker = try container.decode(CircuitBreakerRecord.self, forKey: .breaker)
        }
    }
}

extension CircuitBreakerRecord {
    /// The record with every time in it moved by `offset` (saturated to the `Int64` range): the end
    /// of a break, when probes were granted, a time window's buckets.
    func shifted(by offset: Duration) -> CircuitBreakerRecord {
        func moved(_ time: Int64) -> Int64 {
            (Duration.nanoseconds(time) + offset).saturatingNanoseconds
        }
        var record = self
        record.openUntil = openUntil.map(moved)
        record.probes = probes.map { Probe(id: $0.id, grantedAt: moved($0.grantedAt)) }
        if let length = window.bucketNanoseconds, let count = window.bucketCount, let start = window.newestBucketStart,
            let buckets = window.buckets
        {
            record.window = .time(bucketNanoseconds: length, bucketCount: count, newestBucketStart: moved(start), buckets: buckets)
        }
        return record
    }
}
