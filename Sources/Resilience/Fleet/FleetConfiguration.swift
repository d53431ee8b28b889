/// How a fleet of instances shares one view of a downstream: how often each instance syncs, when an
/// instance counts as gone, when the shared view counts as stale, how many instances probe, and the
/// ``FleetBreakerRules``. A validated value.
///
/// Every instance of a service keeps its local ``CircuitBreaker``; a background task (the fleet's
/// sync, such as the one of the `ResiliencePostgres` product) runs every ``syncInterval``: it sends
/// each shared breaker's ``FleetBreakerReport`` to the shared store and reads the fleet's
/// ``FleetBreakerView`` back, in one round trip, and gives it to the breaker's
/// ``FleetCoordination``. No call ever waits for the store.
///
/// - An instance whose last heartbeat is older than ``timeToLive`` is gone: its summary is ignored
///   (and may be deleted). Longer than a few sync intervals, so that one slow sync does not make an
///   instance look dead.
/// - A breaker whose last successful sync is older than ``staleAfter`` falls back to local behaviour:
///   it probes on its own again, as if it had no fleet.
/// - When the fleet's break ends, at most ``probeHolders`` instances fleet-wide probe the
///   downstream, each holding a ``FleetProbeLease`` that expires after ``probeLeaseDuration`` (so a
///   probe whose instance died is freed); the others keep rejecting until the outcome is known, then
///   follow it.
public struct FleetConfiguration: Hashable, Sendable {
    /// How often each instance syncs with the fleet. Positive; 1 s by default.
    public var syncInterval: Duration
    /// How long an instance stays live without a heartbeat. Greater than ``syncInterval``; 5 s by
    /// default.
    public var timeToLive: Duration
    /// How long after its last successful sync a breaker keeps following the fleet before falling back
    /// to local behaviour. At least ``syncInterval``; 3 s by default.
    public var staleAfter: Duration
    /// The most instances that probe at once, fleet-wide, when the fleet's break ends. At least 1.
    public var probeHolders: Int
    /// How long a probe lease lasts: the longest a dead instance's lease keeps others from probing.
    /// Positive; 10 s by default.
    public var probeLeaseDuration: Duration
    /// When the fleet's circuit opens.
    public var rules: FleetBreakerRules

    /// Sync every second, instances gone after 5 s of silence, stale after 3 s, one probe lease of
    /// 10 s, the ``FleetBreakerRules/default`` rules.
    public static let `default` = FleetConfiguration(
        unchecked: .seconds(1),
        timeToLive: .seconds(5),
        staleAfter: .seconds(3),
        probeHolders: 1,
        probeLeaseDuration: .seconds(10),
        rules: .default
    )

    /// Creates a validated configuration.
    ///
    /// - Parameters:
    ///   - syncInterval: How often each instance syncs.
    ///   - timeToLive: How long an instance stays live without a heartbeat.
    ///   - staleAfter: How long after its last sync a breaker keeps following the fleet.
    ///   - probeHolders: The most instances that probe at once.
    ///   - probeLeaseDuration: How long a probe lease lasts.
    ///   - rules: When the fleet's circuit opens.
    /// - Throws: ``ConfigurationError`` naming the invalid field.
    public init(
        syncInterval: Duration = .seconds(1),
        timeToLive: Duration = .seconds(5),
        staleAfter: Duration = .seconds(3),
        probeHolders: Int = 1,
        probeLeaseDuration: Duration = .seconds(10),
        rules: FleetBreakerRules = .default
    ) throws(ConfigurationError) {
        self.init(
            unchecked: syncInterval,
            timeToLive: timeToLive,
            staleAfter: staleAfter,
            probeHolders: probeHolders,
            probeLeaseDuration: probeLeaseDuration,
            rules: rules
        )
        try validate()
    }

    init(
        unchecked syncInterval: Duration,
        timeToLive: Duration,
        staleAfter: Duration,
        probeHolders: Int,
        probeLeaseDuration: Duration,
        rules: FleetBreakerRules
    ) {
        self.syncInterval = syncInterval
        self.timeToLive = timeToLive
        self.staleAfter = staleAfter
        self.probeHolders = probeHolders
        self.probeLeaseDuration = probeLeaseDuration
        self.rules = rules
    }

    /// A copy with `changes` applied, then checked.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed configuration.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout FleetConfiguration) -> Void) throws(ConfigurationError) -> FleetConfiguration {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `syncInterval`, `timeToLive`, `staleAfter`,
    ///   `probeHolders`, `probeLeaseDuration` or a field of `rules`.
    public func validate() throws(ConfigurationError) {
        guard syncInterval > .zero else { throw .invalid("syncInterval", "must be positive, got \(syncInterval)") }
        guard timeToLive > syncInterval else {
            throw .invalid("timeToLive", "must exceed syncInterval (\(syncInterval)), got \(timeToLive)")
        }
        guard staleAfter >= syncInterval else {
            throw .invalid("staleAfter", "must be at least syncInterval (\(syncInterval)), got \(staleAfter)")
        }
        guard probeHolders >= 1 else { throw .invalid("probeHolders", "must be at least 1, got \(probeHolders)") }
        guard probeLeaseDuration > .zero else {
            throw .invalid("probeLeaseDuration", "must be positive, got \(probeLeaseDuration)")
        }
        do { try rules.validate() } catch { throw error.nested(under: "rules") }
    }

    /// The durations clamped to what the arithmetic on Unix nanoseconds handles (at most about 292
    /// years), for a configuration whose fields were set without ``validate()``.
    var timeToLiveNanoseconds: Int64 { max(timeToLive.saturatedNanoseconds, 0) }
    var staleAfterDuration: Duration { min(max(staleAfter, .zero), .saturatedMaximum) }
    var leaseNanoseconds: Int64 { max(probeLeaseDuration.saturatedNanoseconds, 1) }
}

extension FleetConfiguration: CustomStringConvertible {
    /// A summary such as `sync every 1.0 s, ttl 5.0 s, stale after 3.0 s, 1 probe lease(s) of 10.0 s, ...`.
    public var description: String {
        "sync every \(syncInterval.inSeconds) s, ttl \(timeToLive.inSeconds) s, stale after \(staleAfter.inSeconds) s, "
            + "\(probeHolders) probe lease(s) of \(probeLeaseDuration.inSeconds) s, \(rules)"
    }
}

/// Configurations decode from, and encode to, JSON of this shape (durations in seconds, every field
/// optional, a missing one taking the ``FleetConfiguration/default`` value):
///
/// ```json
/// { "syncInterval": 1, "timeToLive": 5, "staleAfter": 3, "probeHolders": 1, "probeLeaseDuration": 10,
///   "rules": { "failureRateThreshold": 0.5, "minimumThroughput": 100, "quorum": 3 } }
/// ```
///
/// Decoding fails with a ``ConfigurationError`` naming the field (`rules.quorum`) for an invalid value,
/// a value of the wrong type or an unknown field.
extension FleetConfiguration: Codable {
    private static let fieldNames: Set<String> = [
        "syncInterval", "timeToLive", "staleAfter", "probeHolders", "probeLeaseDuration", "rules",
    ]

    /// Decodes and validates a configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        let path = dottedPath(decoder.codingPath)
        let fields = try ConfigurationFields(decoder, allowed: Self.fieldNames, path: path)
        var configuration = FleetConfiguration.default
        if let value = try fields.decodeSecondsIfPresent("syncInterval") { configuration.syncInterval = value }
        if let value = try fields.decodeSecondsIfPresent("timeToLive") { configuration.timeToLive = value }
        if let value = try fields.decodeSecondsIfPresent("staleAfter") { configuration.staleAfter = value }
        if let value = try fields.decodeIfPresent(Int.self, "probeHolders", expected: "a whole number") {
            configuration.probeHolders = value
        }
        if let value = try fields.decodeSecondsIfPresent("probeLeaseDuration") { configuration.probeLeaseDuration = value }
        if let decoder = try fields.nestedDecoder("rules") {
            configuration.rules = try FleetBreakerRules(decoding: decoder, path: fields.fieldPath("rules"))
        }
        do { try configuration.validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
        self = configuration
    }

    /// Encodes the configuration, durations in seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(syncInterval.inSeconds, forKey: FieldKey("syncInterval"))
        try container.encode(timeToLive.inSeconds, forKey: FieldKey("timeToLive"))
        try container.encode(staleAfter.inSeconds, forKey: FieldKey("staleAfter"))
        try container.encode(probeHolders, forKey: FieldKey("probeHolders"))
        try container.encode(probeLeaseDuration.inSeconds, forKey: FieldKey("probeLeaseDuration"))
        try container.encode(rules, forKey: FieldKey("rules"))
    }
}
