/// Calls that a strategy refused, by kind: a circuit breaker's ``ResilienceEvent/Kind/callRejected``
/// (by the circuit's state), a limiter's ``ResilienceEvent/Kind/limitExceeded`` (by reason), a retry
/// budget's ``ResilienceEvent/Kind/retryBudgetRefused``.
public struct RejectionStatistics: Sendable, Hashable, Codable {
    /// The calls a circuit breaker rejected, by the state that rejected them (open, half-open with no
    /// probe slot free, isolated).
    public var byCircuitState: [CircuitState: Int]
    /// The calls a limiter refused, by reason.
    public var byLimitReason: [LimitExceededError.Reason: Int]
    /// The retries a retry budget refused.
    public var retryBudget: Int

    /// Creates rejection statistics.
    ///
    /// - Parameters:
    ///   - byCircuitState: The calls a circuit breaker rejected, by state.
    ///   - byLimitReason: The calls a limiter refused, by reason.
    ///   - retryBudget: The retries a retry budget refused.
    public init(
        byCircuitState: [CircuitState: Int] = [:],
        byLimitReason: [LimitExceededError.Reason: Int] = [:],
        retryBudget: Int = 0
    ) {
        self.byCircuitState = byCircuitState
        self.byLimitReason = byLimitReason
        self.retryBudget = retryBudget
    }

    /// The calls a circuit breaker rejected, in every state.
    public var circuitBreaker: Int {
        byCircuitState.values.saturatingSum
    }

    /// The calls a limiter refused, for every reason.
    public var limiter: Int {
        byLimitReason.values.saturatingSum
    }

    /// Every rejection: circuit breaker, limiter and retry budget.
    public var total: Int {
        [circuitBreaker, limiter, retryBudget].saturatingSum
    }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case byCircuitState, byLimitReason, retryBudget
    }

    /// Decodes rejection statistics; a missing field is zero (or empty).
    ///
    /// - Throws: `DecodingError` for a negative count, or an unknown state or reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            byCircuitState: try container.decodeCounts(CircuitState.self, forKey: .byCircuitState),
            byLimitReason: try container.decodeCounts(LimitExceededError.Reason.self, forKey: .byLimitReason),
            retryBudget: try container.decodeCount(forKey: .retryBudget)
        )
    }

    /// Encodes the statistics, counts by name.
    ///
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeCounts(byCircuitState, forKey: .byCircuitState)
        try container.encodeCounts(byLimitReason, forKey: .byLimitReason)
        try container.encode(retryBudget, forKey: .retryBudget)
    }
}
