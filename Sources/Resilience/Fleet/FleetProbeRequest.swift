/// What an instance asks of the fleet's ``FleetProbeLeases`` in a sync: a lease, or to give one back
/// with the outcome of its probes.
///
/// A struct rather than an enum, so requests can be added without breaking code that switches over
/// them.
public struct FleetProbeRequest: Hashable, Sendable, CustomStringConvertible {
    enum Storage: Hashable, Sendable {
        case acquire(knownRound: UInt64)
        case release(FleetProbeVerdict.Outcome?)
    }

    let storage: Storage

    /// A lease, by an instance that has seen `knownRound`.
    ///
    /// - Parameter knownRound: The last round the instance has seen.
    public static func acquire(knownRound: UInt64) -> FleetProbeRequest {
        FleetProbeRequest(storage: .acquire(knownRound: knownRound))
    }

    /// Gives the lease back, with what the probes decided (`nil`: undecided, such as a breaker reset by
    /// hand while holding it).
    ///
    /// - Parameter outcome: What the probes decided, if they did.
    public static func release(_ outcome: FleetProbeVerdict.Outcome?) -> FleetProbeRequest {
        FleetProbeRequest(storage: .release(outcome))
    }

    /// For a lease request, the last round the instance has seen; `nil` for a release.
    public var knownRound: UInt64? {
        guard case .acquire(let round) = storage else { return nil }
        return round
    }

    /// Whether this gives a lease back.
    public var isRelease: Bool {
        guard case .release = storage else { return false }
        return true
    }

    /// For a release, what the probes decided, if they did.
    public var outcome: FleetProbeVerdict.Outcome? {
        guard case .release(let outcome) = storage else { return nil }
        return outcome
    }

    /// A summary such as `acquire (round 3)` or `release (closed)`.
    public var description: String {
        switch storage {
        case .acquire(let round): "acquire (round \(round))"
        case .release(let outcome): "release (\(outcome.map(\.description) ?? "undecided"))"
        }
    }
}
