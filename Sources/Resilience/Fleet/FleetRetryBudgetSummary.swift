/// What one instance tells the fleet about its ratio ``RetryBudget``: the requests and retries in its
/// window, and a heartbeat.
///
/// A format, like ``FleetBreakerSummary``: `Codable` as
/// `{ "version": 1, "instance": "api-7f9c", "requests": 480, "retries": 31, "heartbeat": 1767225601000000000 }`;
/// decoding rejects, with a `DecodingError` naming the field, an unknown version, an empty instance,
/// and a negative count or one above `Int32.max`.
public struct FleetRetryBudgetSummary: Hashable, Sendable {
    /// The instance that sent it.
    public var instance: String
    /// The requests (first attempts) in the budget's window.
    public var requests: Int
    /// The retries in the budget's window.
    public var retries: Int
    /// When the summary was made, in nanoseconds since the Unix epoch.
    public var heartbeat: Int64

    /// Creates a summary; total: counts are clamped to `0...Int32.max`.
    ///
    /// - Parameters:
    ///   - instance: The instance that sends it.
    ///   - requests: The requests in the window.
    ///   - retries: The retries in the window.
    ///   - heartbeat: When the summary was made, in nanoseconds since the Unix epoch.
    public init(instance: String, requests: Int, retries: Int, heartbeat: Int64) {
        self.instance = instance
        self.requests = min(max(requests, 0), FleetBreakerSummary.maximumCount)
        self.retries = min(max(retries, 0), FleetBreakerSummary.maximumCount)
        self.heartbeat = heartbeat
    }

    /// Whether the instance is live at `now`: its heartbeat is at most `timeToLive` old.
    ///
    /// - Parameters:
    ///   - now: The current time, in nanoseconds since the Unix epoch.
    ///   - timeToLive: How long an instance stays live without a heartbeat.
    public func isLive(at now: Int64, timeToLive: Duration) -> Bool {
        now.saturatingMinus(heartbeat) <= max(timeToLive.saturatedNanoseconds, 0)
    }
}

extension FleetRetryBudgetSummary: Codable {
    private enum CodingKeys: String, CodingKey {
        case version, instance, requests, retries, heartbeat
    }

    /// Decodes a summary, checking every field.
    ///
    /// - Throws: `DecodingError` naming the field for a missing field, a wrong type, an unknown version,
    ///   an empty instance, or a count out of `0...Int32.max`.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let version = try container.decode(Int.self, forKey: .version)
        guard version == FleetBreakerSummary.formatVersion else {
            throw DecodingError.dataCorruptedError(
                forKey: .version, in: container, debugDescription: "unknown fleet summary version \(version); expected 1")
        }
        let instance = try container.decode(String.self, forKey: .instance)
        guard !instance.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .instance, in: container, debugDescription: "instance is empty")
        }
        func count(_ key: CodingKeys) throws -> Int {
            let value = try container.decode(Int.self, forKey: key)
            guard (0...FleetBreakerSummary.maximumCount).contains(value) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: container,
                    debugDescription: "\(key.stringValue) must be in 0...\(FleetBreakerSummary.maximumCount), got \(value)")
            }
            return value
        }
        self.init(
            instance: instance, requests: try count(.requests), retries: try count(.retries),
            heartbeat: try container.decode(Int64.self, forKey: .heartbeat))
    }

    /// Encodes the summary as a versioned object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(FleetBreakerSummary.formatVersion, forKey: .version)
        try container.encode(instance, forKey: .instance)
        try container.encode(requests, forKey: .requests)
        try container.encode(retries, forKey: .retries)
        try container.encode(heartbeat, forKey: .heartbeat)
    }
}
