/// Everything a ``ResilienceStatistics`` counted, at one moment: per pipeline, per strategy (in its
/// pipeline, or on its own) and per registered circuit breaker.
///
/// A value: `Sendable`, `Hashable` and `Codable` (for JSON: counts by name, durations in whole
/// nanoseconds), and a human report (``report``, also its `description`) aligned as a table.
///
/// ```swift
/// let snapshot = statistics.snapshot()
/// let ocr = snapshot.pipeline(named: "ocr")?.calls
/// logger.info("ocr: \(ocr?.total ?? 0) calls, \(ocr?.failures ?? 0) failed")
/// print(snapshot.report)
/// ```
public struct ResilienceStatisticsSnapshot: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The version of the JSON format this type writes.
    public static let formatVersion = 1

    /// The pipelines that reported calls, by name.
    public var pipelines: [PipelineStatistics]
    /// The strategies that reported events, by pipeline (strategies on their own first) and name.
    public var strategies: [StrategyStatistics]
    /// The registered circuit breakers, by name.
    public var breakers: [BreakerStatistics]

    /// Creates a snapshot.
    ///
    /// - Parameters:
    ///   - pipelines: The pipelines' statistics.
    ///   - strategies: The strategies' statistics.
    ///   - breakers: The registered breakers' statistics.
    public init(pipelines: [PipelineStatistics] = [], strategies: [StrategyStatistics] = [], breakers: [BreakerStatistics] = []) {
        self.pipelines = pipelines
        self.strategies = strategies
        self.breakers = breakers
    }

    /// Whether nothing was counted and no breaker is registered.
    public var isEmpty: Bool {
        pipelines.isEmpty && strategies.isEmpty && breakers.isEmpty
    }

    /// The statistics of the pipeline named `name`, or `nil` when it reported no call.
    ///
    /// - Parameter name: The pipeline's name.
    /// - Returns: Its statistics.
    public func pipeline(named name: String) -> PipelineStatistics? {
        pipelines.first { $0.name == name }
    }

    /// The statistics of the strategy named `name` in the pipeline `pipeline` (`nil` for a strategy on its
    /// own), or `nil` when it reported nothing.
    ///
    /// - Parameters:
    ///   - name: The strategy's name.
    ///   - pipeline: The pipeline's name, or `nil` for a strategy that runs on its own.
    /// - Returns: Its statistics.
    public func strategy(named name: String, inPipeline pipeline: String? = nil) -> StrategyStatistics? {
        strategies.first { $0.name == name && $0.pipeline == pipeline }
    }

    /// The statistics of the registered breaker named `name`, or `nil`.
    ///
    /// - Parameter name: The breaker's name.
    /// - Returns: Its statistics.
    public func breaker(named name: String) -> BreakerStatistics? {
        breakers.first { $0.name == name }
    }

    /// The report: `Resilience statistics: no calls yet` when empty, else a table with, per pipeline and
    /// per strategy, the calls with their success and failure rates, the failures by category, the calls
    /// by number of attempts with the average attempts per call, the retries and time spent waiting,
    /// attempt times, time-outs, rejections by kind, fallbacks, hedges and circuit states; then the
    /// registered breakers. Shares are of the section's calls.
    public var report: String {
        StatisticsReport(self).text
    }

    /// The ``report``.
    public var description: String { report }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case version, pipelines, strategies, breakers
    }

    /// Decodes a snapshot written by ``encode(to:)`` (format version 1).
    ///
    /// - Throws: `DecodingError` for another format version, or for an invalid field (a negative count,
    ///   an unknown category, state or reason, a missing name).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == Self.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container,
                debugDescription: "unsupported statistics format version \(version); expected \(Self.formatVersion)"
            )
        }
        self.init(
            pipelines: try container.decodeIfPresent([PipelineStatistics].self, forKey: .pipelines) ?? [],
            strategies: try container.decodeIfPresent([StrategyStatistics].self, forKey: .strategies) ?? [],
            breakers: try container.decodeIfPresent([BreakerStatistics].self, forKey: .breakers) ?? []
        )
    }

    /// Encodes the snapshot with its format version.
    ///
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.formatVersion, forKey: .version)
        try container.encode(pipelines, forKey: .pipelines)
        try container.encode(strategies, forKey: .strategies)
        try container.encode(breakers, forKey: .breakers)
    }
}
