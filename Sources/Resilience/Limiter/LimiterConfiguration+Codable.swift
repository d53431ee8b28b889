/// Concurrency limits decode from, and encode to, JSON (or any `Codable` format) of this shape:
///
/// ```json
/// { "maxConcurrentCalls": 10, "maxQueuedCalls": 20, "maxWait": 2 }
/// ```
///
/// `maxConcurrentCalls` is required; `maxQueuedCalls` defaults to 0; `maxWait` is in seconds, and a
/// missing or `null` one waits for as long as it takes. Decoding fails with a ``ConfigurationError``
/// naming the field, with its full path, for an invalid value, a value of the wrong type or an unknown
/// field; never with a crash.
extension ConcurrencyLimiterConfiguration: Codable {
    /// Decodes and validates a configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        let path = dottedPath(decoder.codingPath)
        let fields = try ConfigurationFields(decoder, allowed: ["maxConcurrentCalls", "maxQueuedCalls", "maxWait"], path: path)
        let limit = try fields.decode(Int.self, "maxConcurrentCalls", expected: "a whole number")
        let queued = try fields.decodeIfPresent(Int.self, "maxQueuedCalls", expected: "a whole number") ?? 0
        let maxWait = try fields.decodeSecondsIfPresent("maxWait")
        do throws(ConfigurationError) {
            try self.init(maxConcurrentCalls: limit, maxQueuedCalls: queued, maxWait: maxWait)
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
    }

    /// Encodes every field; the wait in seconds, `null` for none.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(maxConcurrentCalls, forKey: FieldKey("maxConcurrentCalls"))
        try container.encode(maxQueuedCalls, forKey: FieldKey("maxQueuedCalls"))
        try container.encode(maxWait?.inSeconds, forKey: FieldKey("maxWait"))
    }
}

/// Rate limits decode from, and encode to, JSON (or any `Codable` format) of this shape:
///
/// ```json
/// { "algorithm": { "type": "tokenBucket", "capacity": 10, "tokensPerPeriod": 5, "period": 1 }, "maxWait": 2 }
/// { "algorithm": { "type": "slidingWindow", "limit": 100, "window": 60, "segments": 6 } }
/// ```
///
/// Durations are seconds; `maxWait` defaults to 0 and `segments` to 10. Decoding fails with a
/// ``ConfigurationError`` naming the field, with its full path (`algorithm.capacity`), for an invalid
/// value, a value of the wrong type or an unknown field; never with a crash.
extension RateLimiterConfiguration: Codable {
    /// Decodes and validates a configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        let path = dottedPath(decoder.codingPath)
        let fields = try ConfigurationFields(decoder, allowed: ["algorithm", "maxWait"], path: path)
        guard let algorithmDecoder = try fields.nestedDecoder("algorithm") else {
            throw ConfigurationError(.invalidValue, field: fields.fieldPath("algorithm"), reason: "is required")
        }
        let algorithm = try Algorithm(decoding: algorithmDecoder, path: fields.fieldPath("algorithm"))
        let maxWait = try fields.decodeSecondsIfPresent("maxWait") ?? .zero
        do throws(ConfigurationError) {
            try self.init(algorithm: algorithm, maxWait: maxWait)
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
    }

    /// Encodes the algorithm with its `type` and values, and the wait; durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(algorithm, forKey: FieldKey("algorithm"))
        try container.encode(maxWait.inSeconds, forKey: FieldKey("maxWait"))
    }
}

extension RateLimiterConfiguration.Algorithm: Codable {
    /// Decodes `{ "type": "tokenBucket", "capacity": 10, "tokensPerPeriod": 5, "period": 1 }` or
    /// `{ "type": "slidingWindow", "limit": 100, "window": 60, "segments": 6 }`.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(
            decoder, allowed: ["type", "capacity", "tokensPerPeriod", "period", "limit", "window", "segments"], path: path)
        let type = try fields.decode(String.self, "type", expected: "an algorithm name")
        let allowed: Set<String>
        switch type {
        case "tokenBucket":
            allowed = ["type", "capacity", "tokensPerPeriod", "period"]
            self = .tokenBucket(
                capacity: try fields.decode(Int.self, "capacity", expected: "a whole number"),
                tokensPerPeriod: try fields.decode(Int.self, "tokensPerPeriod", expected: "a whole number"),
                period: try fields.decodeSeconds("period")
            )
        case "slidingWindow":
            allowed = ["type", "limit", "window", "segments"]
            self = .slidingWindow(
                limit: try fields.decode(Int.self, "limit", expected: "a whole number"),
                window: try fields.decodeSeconds("window"),
                segments: try fields.decodeIfPresent(Int.self, "segments", expected: "a whole number") ?? 10
            )
        default:
            throw ConfigurationError.invalid(fields.fieldPath("type"), "must be one of slidingWindow, tokenBucket, got \"\(type)\"")
        }
        if let stray = fields.names.filter({ !allowed.contains($0) }).sorted().first {
            throw ConfigurationError(
                .unknownField, field: fields.fieldPath(stray),
                reason: "is not a field of a \(type); expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes the algorithm's `type` and values; durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        switch storage {
        case .tokenBucket(let capacity, let tokensPerPeriod, let period):
            try container.encode("tokenBucket", forKey: FieldKey("type"))
            try container.encode(capacity, forKey: FieldKey("capacity"))
            try container.encode(tokensPerPeriod, forKey: FieldKey("tokensPerPeriod"))
            try container.encode(period.inSeconds, forKey: FieldKey("period"))
        case .slidingWindow(let limit, let window, let segments):
            try container.encode("slidingWindow", forKey: FieldKey("type"))
            try container.encode(limit, forKey: FieldKey("limit"))
            try container.encode(window.inSeconds, forKey: FieldKey("window"))
            try container.encode(segments, forKey: FieldKey("segments"))
        }
    }
}
