/// The calls through one ``ResiliencePipeline``, counted from its ``ResilienceEvent/Kind/callCompleted``
/// events: every strategy included, one per call.
public struct PipelineStatistics: Sendable, Hashable, Codable {
    /// The pipeline's name.
    public var name: String
    /// How its calls ended, and how long they took.
    public var calls: CallStatistics

    /// Creates pipeline statistics.
    ///
    /// - Parameters:
    ///   - name: The pipeline's name.
    ///   - calls: How its calls ended.
    public init(name: String, calls: CallStatistics = CallStatistics()) {
        self.name = name
        self.calls = calls
    }
}
