/// When a fleet of instances sharing one downstream decides that its circuit is open: the two fleet
/// rules, a validated value.
///
/// Each instance keeps its own ``CircuitBreaker`` and reports a ``FleetBreakerSummary`` of it. Over
/// the summaries of the live instances, ``FleetDecision`` applies two rules, either of which opens
/// the fleet's circuit:
///
/// - **Pooled failure rate** (``failureRateThreshold``): the failures over the calls of every closed
///   (or disabled) instance's sliding window, added up, once they hold at least ``minimumThroughput``
///   calls. A fleet of 50 instances each seeing 4 failures in 10 calls (below a local minimum
///   throughput of 20) sees 200 in 500: enough evidence, long before any one instance has it.
/// - **Quorum** (``quorum``, ``quorumShare``): at least `quorum` instances, or at least a share
///   `quorumShare` of the live instances, *see the downstream as failing*. An instance sees it as
///   failing when
///   - its local circuit is open on its own evidence: its own trip rules opened it, or its own probe
///     failed (not when it opened because the fleet told it to, which would let one decision keep
///     itself alive), and it opened after the fleet's last successful probe; or
///   - its circuit is closed (or disabled) and its own window holds at least
///     ``instanceMinimumThroughput`` calls with a failure rate of at least
///     ``instanceFailureRateThreshold``.
///
///   One instance with a bad network path cannot open the fleet alone unless the quorum is 1: this is
///   the arbiter of Polly #287.
///
/// Open or half-open instances' windows are not pooled: they hold the calls that tripped them,
/// evidence already acted upon. When no rule opens and the pooled windows hold fewer than
/// ``minimumThroughput`` calls, the fleet has no opinion (``FleetDecision/Verdict/noOpinion``).
///
/// ```swift
/// // Open the fleet at 50 % failures over at least 100 pooled calls, or when 3 instances (or a
/// // fifth of them) see the downstream failing.
/// let rules = try FleetBreakerRules(failureRateThreshold: 0.5, minimumThroughput: 100, quorum: 3, quorumShare: 0.2)
/// ```
public struct FleetBreakerRules: Hashable, Sendable {
    /// The pooled failure rate that opens the fleet's circuit (`0 < rate ≤ 1`), or `nil` for no
    /// pooled rule.
    public var failureRateThreshold: Double?
    /// The fewest calls the pooled windows must hold before the pooled rule may open the circuit, and
    /// before the fleet has an opinion at all. At least 1.
    public var minimumThroughput: Int
    /// The number of instances that, seeing the downstream as failing, open the fleet's circuit, or
    /// `nil` for no such rule. At least 1.
    public var quorum: Int?
    /// The share of live instances that, seeing the downstream as failing, open the fleet's circuit
    /// (`0 < share ≤ 1`), or `nil` for no such rule.
    public var quorumShare: Double?
    /// The failure rate of its own window at which a closed instance sees the downstream as failing
    /// (`0 < rate ≤ 1`).
    public var instanceFailureRateThreshold: Double
    /// The fewest calls a closed instance's window must hold before its failure rate counts. At least 1.
    public var instanceMinimumThroughput: Int

    /// The pooled rule at 50 % over at least 100 calls, and a quorum of 3 instances.
    public static let `default` = FleetBreakerRules(
        unchecked: 0.5,
        minimumThroughput: 100,
        quorum: 3,
        quorumShare: nil,
        instanceFailureRateThreshold: 0.5,
        instanceMinimumThroughput: 10
    )

    /// Creates validated rules.
    ///
    /// - Parameters:
    ///   - failureRateThreshold: The pooled failure rate that opens the circuit, or `nil`.
    ///   - minimumThroughput: The fewest pooled calls for the pooled rule, and for any opinion.
    ///   - quorum: The instances that, failing, open the circuit, or `nil`.
    ///   - quorumShare: The share of live instances that, failing, open the circuit, or `nil`.
    ///   - instanceFailureRateThreshold: The failure rate at which a closed instance counts as failing.
    ///   - instanceMinimumThroughput: The fewest calls before an instance's own rate counts.
    /// - Throws: ``ConfigurationError`` naming the invalid field; also when no rule is set.
    public init(
        failureRateThreshold: Double? = 0.5,
        minimumThroughput: Int = 100,
        quorum: Int? = 3,
        quorumShare: Double? = nil,
        instanceFailureRateThreshold: Double = 0.5,
        instanceMinimumThroughput: Int = 10
    ) throws(ConfigurationError) {
        self.init(
            unchecked: failureRateThreshold,
            minimumThroughput: minimumThroughput,
            quorum: quorum,
            quorumShare: quorumShare,
            instanceFailureRateThreshold: instanceFailureRateThreshold,
            instanceMinimumThroughput: instanceMinimumThroughput
        )
        try validate()
    }

    init(
        unchecked failureRateThreshold: Double?,
        minimumThroughput: Int,
        quorum: Int?,
        quorumShare: Double?,
        instanceFailureRateThreshold: Double,
        instanceMinimumThroughput: Int
    ) {
        self.failureRateThreshold = failureRateThreshold
        self.minimumThroughput = minimumThroughput
        self.quorum = quorum
        self.quorumShare = quorumShare
        self.instanceFailureRateThreshold = instanceFailureRateThreshold
        self.instanceMinimumThroughput = instanceMinimumThroughput
    }

    /// A copy with `changes` applied, then checked.
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed rules.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout FleetBreakerRules) -> Void) throws(ConfigurationError) -> FleetBreakerRules {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming `failureRateThreshold`, `minimumThroughput`, `quorum`,
    ///   `quorumShare`, `instanceFailureRateThreshold` or `instanceMinimumThroughput`; also (naming
    ///   `failureRateThreshold`) when no rule is set.
    public func validate() throws(ConfigurationError) {
        if let failureRateThreshold { try validateRate(failureRateThreshold, field: "failureRateThreshold") }
        guard minimumThroughput >= 1 else {
            throw .invalid("minimumThroughput", "must be at least 1, got \(minimumThroughput)")
        }
        if let quorum, quorum < 1 { throw .invalid("quorum", "must be at least 1, got \(quorum)") }
        if let quorumShare { try validateRate(quorumShare, field: "quorumShare") }
        guard failureRateThreshold != nil || quorum != nil || quorumShare != nil else {
            throw .invalid(
                "failureRateThreshold", "must be set when there is no quorum or quorumShare: the fleet would never open")
        }
        try validateRate(instanceFailureRateThreshold, field: "instanceFailureRateThreshold")
        guard instanceMinimumThroughput >= 1 else {
            throw .invalid("instanceMinimumThroughput", "must be at least 1, got \(instanceMinimumThroughput)")
        }
    }
}

extension FleetBreakerRules: CustomStringConvertible {
    /// A summary such as `pooled failure rate 0.5 (min 100 calls), quorum 3`.
    public var description: String {
        var parts: [String] = []
        if let failureRateThreshold { parts.append("pooled failure rate \(failureRateThreshold) (min \(minimumThroughput) calls)") }
        if let quorum { parts.append("quorum \(quorum)") }
        if let quorumShare { parts.append("quorum share \(quorumShare)") }
        return parts.joined(separator: ", ")
    }
}

/// Rules decode from, and encode to, JSON of this shape (every field optional, a missing one taking
/// the ``FleetBreakerRules/default`` value, `null` switching a rule off):
///
/// ```json
/// { "failureRateThreshold": 0.5, "minimumThroughput": 100, "quorum": 3, "quorumShare": null,
///   "instanceFailureRateThreshold": 0.5, "instanceMinimumThroughput": 10 }
/// ```
///
/// Decoding fails with a ``ConfigurationError`` naming the field for an invalid value, a value of the
/// wrong type or an unknown field.
extension FleetBreakerRules: Codable {
    private static let fieldNames: Set<String> = [
        "failureRateThreshold", "minimumThroughput", "quorum", "quorumShare", "instanceFailureRateThreshold",
        "instanceMinimumThroughput",
    ]

    /// Decodes and validates rules.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(decoder, allowed: Self.fieldNames, path: path)
        var rules = FleetBreakerRules.default
        if fields.contains("failureRateThreshold") {
            rules.failureRateThreshold = try fields.decodeIfPresent(Double.self, "failureRateThreshold", expected: "a number")
        }
        if let value = try fields.decodeIfPresent(Int.self, "minimumThroughput", expected: "a whole number") {
            rules.minimumThroughput = value
        }
        if fields.contains("quorum") { rules.quorum = try fields.decodeIfPresent(Int.self, "quorum", expected: "a whole number") }
        if fields.contains("quorumShare") {
            rules.quorumShare = try fields.decodeIfPresent(Double.self, "quorumShare", expected: "a number")
        }
        if let value = try fields.decodeIfPresent(Double.self, "instanceFailureRateThreshold", expected: "a number") {
            rules.instanceFailureRateThreshold = value
        }
        if let value = try fields.decodeIfPresent(Int.self, "instanceMinimumThroughput", expected: "a whole number") {
            rules.instanceMinimumThroughput = value
        }
        do { try rules.validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
        self = rules
    }

    /// Encodes the rules, `null` for a rule that is off.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(failureRateThreshold, forKey: FieldKey("failureRateThreshold"))
        try container.encode(minimumThroughput, forKey: FieldKey("minimumThroughput"))
        try container.encode(quorum, forKey: FieldKey("quorum"))
        try container.encode(quorumShare, forKey: FieldKey("quorumShare"))
        try container.encode(instanceFailureRateThreshold, forKey: FieldKey("instanceFailureRateThreshold"))
        try container.encode(instanceMinimumThroughput, forKey: FieldKey("instanceMinimumThroughput"))
    }
}
