import Resilience

/// What a `resilience run --breaker FILE` state file holds: the library's circuit breaker state
/// machine on the wall clock, with a format version and the time of the last change.
///
/// The file is JSON (keys sorted, indented):
///
/// ```json
/// {
///   "breaker" : {
///     "core" : { "consecutiveFailures" : 2, "state" : "closed", "generation" : 0, ... },
///     "origin" : 1746100800000000000
///   },
///   "updatedAt" : 1746100812500000000,
///   "version" : 1
/// }
/// ```
///
/// - `version`: the format's version, ``formatVersion``. A file of a later version is refused rather
///   than misread.
/// - `updatedAt`: the wall-clock time of the last change, in nanoseconds since the Unix epoch. Only
///   used to notice that the wall clock stepped back (see ``modify(at:_:)``).
/// - `breaker`: a ``CircuitBreakerStateMachine`` encoded by the library. `origin` is a wall-clock
///   time in nanoseconds since the Unix epoch; every time in `core` (`openUntil`, the probes'
///   `grantedAt`) is a Swift `Duration` after `origin` (a `[high, low]` pair of the 128-bit count of
///   attoseconds). So subtracting N nanoseconds from `origin` moves the whole state N nanoseconds
///   into the past: an open breaker whose break has passed half-opens on the next run.
package struct BreakerState: Codable, Hashable, Sendable {
    /// The wall-clock state machine a state file holds.
    package typealias Machine = CircuitBreakerStateMachine<WallClock.Instant>

    /// The version of the format this code writes and reads.
    package static let formatVersion = 1

    /// When the state last changed, on the wall clock.
    package private(set) var updatedAt: WallClock.Instant
    /// The circuit breaker's state.
    package private(set) var machine: Machine

    /// A closed circuit with no calls recorded.
    ///
    /// - Parameters:
    ///   - configuration: The configuration it will run with.
    ///   - now: The current wall-clock time: the state's origin.
    package init(configuration: CircuitBreakerConfiguration, now: WallClock.Instant) {
        updatedAt = now
        machine = Machine(configuration: configuration, now: now)
    }

    /// Runs `body` on the state machine at wall-clock time `now`, and records `now` as the time of
    /// the last change if it changed anything.
    ///
    /// The wall clock can step back. When `now` is earlier than the last change, the machine's
    /// timeline is first shifted back (``CircuitBreakerStateMachine/shiftTimeline(by:)``) so that
    /// `now` falls where the last change did: the step, and whatever time passed between the last
    /// change and the step, count as no time. The machine never sees time run backwards, and an open
    /// circuit stays open no longer than its break duration after the step (rather than the step's
    /// size longer, which for a clock corrected by a year would brick the breaker).
    ///
    /// - Parameters:
    ///   - now: The current wall-clock time.
    ///   - body: What to do, such as acquiring a permit at `now`.
    /// - Returns: What `body` returns.
    package mutating func modify<Result>(at now: WallClock.Instant, _ body: (inout Machine) -> Result) -> Result {
        if now < updatedAt {
            machine.shiftTimeline(by: updatedAt.duration(to: now))
            updatedAt = now
        }
        let before = machine
        let result = body(&machine)
        if machine != before { updatedAt = now }
        return result
    }

    /// A state file of a format version this code does not read.
    package struct UnsupportedVersion: Error, Hashable, Sendable, CustomStringConvertible {
        /// The file's version.
        package var version: Int

        /// Says which version the file has and which this code reads.
        package var description: String {
            let origin = version > BreakerState.formatVersion ? ", written by a later resilience" : ""
            return "it has format version \(version)\(origin); this one reads version \(BreakerState.formatVersion)"
        }
    }

    private enum CodingKeys: String, CodingKey {
        case version, updatedAt, breaker
    }

    /// Decodes a state file, checking its version first.
    ///
    /// - Throws: ``UnsupportedVersion`` for another version; `DecodingError` for a missing field, a
    ///   wrong type, or a state the library finds damaged.
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else { throw UnsupportedVersion(version: version) }
        updatedAt = try container.decode(WallClock.Instant.self, forKey: .updatedAt)
        machine = try container.decode(Machine.self, forKey: .breaker)
    }

    /// Encodes the state with its version.
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(machine, forKey: .breaker)
    }
}
