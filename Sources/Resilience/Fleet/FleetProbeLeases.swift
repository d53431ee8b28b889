/// Who in a fleet may probe a downstream when the fleet's break ends, and what the last probe found:
/// a pure state machine, one per shared breaker, that the fleet's store only has to keep.
///
/// When a fleet-coordinated breaker's break ends (or is about to, within a sync interval), its
/// instance asks for a lease in its next sync (``FleetProbeRequest/acquire(knownRound:)``). At most
/// ``FleetConfiguration/probeHolders`` instances hold a lease at once; each lease expires after
/// ``FleetConfiguration/probeLeaseDuration``, so a lease whose instance died is freed. Only a breaker
/// holding a lease admits probes; the others, half-open, keep rejecting.
///
/// When a holder's probes decide (its circuit closes or opens again), it reports the outcome in its
/// next sync (``FleetProbeRequest/release(_:)``): the lease is freed, the outcome becomes the
/// ``lastVerdict`` and the ``round`` advances. Every other open or half-open breaker that opened
/// before the verdict follows it at its next sync: it closes (``CircuitBreakerTransition/Reason/fleetClosed``)
/// or starts a new break (``CircuitBreakerTransition/Reason/fleetReopened``). A request for a lease
/// carries the last round its instance has seen, and is refused when a newer verdict exists: that
/// instance has a verdict to follow first, not a probe to make.
///
/// Stores can keep the value as its versioned JSON (`Codable`) in one row per breaker, updated under
/// the row's lock with ``apply(_:from:at:configuration:)``, or implement the same rules in SQL; the
/// tests of this type are the specification.
///
/// Times are nanoseconds since the Unix epoch, from the same clock as the summaries'.
public struct FleetProbeLeases: Hashable, Sendable {
    /// Advanced by every verdict; 0 before the first.
    public private(set) var round: UInt64
    /// The leases held, in the order granted; some may have expired (see ``expire(at:)``).
    public private(set) var holders: [FleetProbeLease]
    /// The outcome of the last probing that decided, if any.
    public private(set) var lastVerdict: FleetProbeVerdict?
    /// When the fleet last closed after a successful probe, if ever: openings before it are old news
    /// to ``FleetDecision``.
    public private(set) var recoveredAt: Int64?

    /// No lease held, no verdict yet.
    public init() {
        round = 0
        holders = []
        lastVerdict = nil
        recoveredAt = nil
    }

    /// A state rebuilt from stored fields (a store that keeps them in columns). Total: duplicate
    /// holders keep their first lease, and a verdict of a later round than `round` moves the round to
    /// it.
    ///
    /// - Parameters:
    ///   - round: The round.
    ///   - holders: The leases held.
    ///   - lastVerdict: The last verdict.
    ///   - recoveredAt: When the fleet last closed after a successful probe.
    public init(round: UInt64, holders: [FleetProbeLease], lastVerdict: FleetProbeVerdict?, recoveredAt: Int64?) {
        var seen = Set<String>()
        self.holders = holders.filter { seen.insert($0.instance).inserted }
        self.round = max(round, lastVerdict?.round ?? 0)
        self.lastVerdict = lastVerdict
        self.recoveredAt = recoveredAt
    }

    /// Frees the leases that have expired at `now`.
    ///
    /// - Parameter now: The current time, in nanoseconds since the Unix epoch.
    public mutating func expire(at now: Int64) {
        holders.removeAll { $0.expiresAt <= now }
    }

    /// The lease `instance` holds at `now`, if any.
    ///
    /// - Parameters:
    ///   - instance: The instance.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    public func lease(of instance: String, at now: Int64) -> FleetProbeLease? {
        holders.first { $0.instance == instance && $0.expiresAt > now }
    }

    /// The leases held at `now`.
    ///
    /// - Parameter now: The current time, in nanoseconds since the Unix epoch.
    public func activeLeases(at now: Int64) -> Int {
        holders.count { $0.expiresAt > now }
    }

    /// Grants `instance` a lease if it may probe: it has seen the latest round, and fewer than
    /// ``FleetConfiguration/probeHolders`` leases are held. An instance that already holds a lease
    /// gets it back unchanged (it is not extended).
    ///
    /// - Parameters:
    ///   - instance: The instance asking.
    ///   - knownRound: The last ``round`` the instance has seen.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    ///   - configuration: The fleet's configuration (holders and lease duration).
    /// - Returns: The lease, or `nil` when refused.
    @discardableResult
    public mutating func acquire(
        for instance: String,
        knownRound: UInt64,
        at now: Int64,
        configuration: FleetConfiguration
    ) -> FleetProbeLease? {
        expire(at: now)
        if let held = lease(of: instance, at: now) { return held }
        guard knownRound == round, holders.count < max(configuration.probeHolders, 1) else { return nil }
        let lease = FleetProbeLease(instance: instance, grantedAt: now, expiresAt: now.saturatingPlus(configuration.leaseNanoseconds))
        holders.append(lease)
        return lease
    }

    /// Frees `instance`'s lease, if it holds one, and records the outcome of its probes, if they
    /// decided: the outcome becomes the ``lastVerdict`` and the ``round`` advances.
    ///
    /// - Parameters:
    ///   - instance: The instance releasing.
    ///   - outcome: What its probes decided, or `nil` for a lease given back undecided.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    public mutating func release(for instance: String, outcome: FleetProbeVerdict.Outcome?, at now: Int64) {
        holders.removeAll { $0.instance == instance }
        guard let outcome else { return }
        round &+= 1
        lastVerdict = FleetProbeVerdict(outcome: outcome, at: now, instance: instance, round: round)
        if outcome == .closed { recoveredAt = now }
    }

    /// Applies an instance's request from its ``FleetBreakerReport``.
    ///
    /// - Parameters:
    ///   - request: The request.
    ///   - instance: The instance that sent it.
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    ///   - configuration: The fleet's configuration.
    /// - Returns: The lease the instance holds afterwards, if any.
    @discardableResult
    public mutating func apply(
        _ request: FleetProbeRequest,
        from instance: String,
        at now: Int64,
        configuration: FleetConfiguration
    ) -> FleetProbeLease? {
        switch request.storage {
        case .acquire(let knownRound):
            return acquire(for: instance, knownRound: knownRound, at: now, configuration: configuration)
        case .release(let outcome):
            release(for: instance, outcome: outcome, at: now)
            return nil
        }
    }
}

extension FleetProbeLeases: Codable {
    private enum CodingKeys: String, CodingKey {
        case version, round, holders, lastVerdict, recoveredAt
    }

    /// The format's version, written as `"version"`.
    public static let formatVersion = 1

    /// Decodes the leases, checking them.
    ///
    /// - Throws: `DecodingError` naming the field for a missing field, a wrong type, an unknown version,
    ///   a holder with an empty instance, the same instance twice, a lease that expires before it was
    ///   granted, or a verdict of a later round than `round`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container, debugDescription: "unknown probe lease version \(version); expected 1")
        }
        let round = try container.decode(UInt64.self, forKey: .round)
        let holders = try container.decode([FleetProbeLease].self, forKey: .holders)
        var seen = Set<String>()
        for holder in holders {
            guard !holder.instance.isEmpty, seen.insert(holder.instance).inserted, holder.expiresAt >= holder.grantedAt else {
                throw DecodingError.dataCorruptedError(
                    forKey: .holders, in: container,
                    debugDescription: "holders must have distinct, non-empty instances and expire after being granted")
            }
        }
        let verdict = try container.decodeIfPresent(FleetProbeVerdict.self, forKey: .lastVerdict)
        if let verdict, verdict.round > round || verdict.instance.isEmpty {
            throw DecodingError.dataCorruptedError(
                forKey: .lastVerdict, in: container, debugDescription: "the last verdict must name an instance and a round up to round")
        }
        self.init(
            round: round, holders: holders, lastVerdict: verdict,
            recoveredAt: try container.decodeIfPresent(Int64.self, forKey: .recoveredAt))
    }

    /// Encodes the leases as a versioned object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(round, forKey: .round)
        try container.encode(holders, forKey: .holders)
        try container.encodeIfPresent(lastVerdict, forKey: .lastVerdict)
        try container.encodeIfPresent(recoveredAt, forKey: .recoveredAt)
    }
}
