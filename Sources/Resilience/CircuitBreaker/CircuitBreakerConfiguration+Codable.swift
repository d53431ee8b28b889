/// Configurations decode from, and encode to, JSON (or any `Codable` format) of this shape:
///
/// ```json
/// {
///   "consecutiveFailureThreshold": 5,
///   "failureRateThreshold": 0.5,
///   "slowCalls": { "threshold": 2, "rateThreshold": 0.8 },
///   "slidingWindow": { "type": "time", "duration": 60, "buckets": 12 },
///   "minimumThroughput": 20,
///   "breakDuration": { "type": "exponential", "initialDelay": 30, "multiplier": 2, "maxDelay": 300 },
///   "maxConcurrentProbes": 1,
///   "halfOpenRule": { "successes": 2 },
///   "halfOpensAutomatically": false,
///   "probeTimeout": 60,
///   "failureCategories": ["timeout", "connectionFailure", "ioFailure", "transient", "rateLimited"]
/// }
/// ```
///
/// Every field is optional: a missing one takes the ``CircuitBreakerConfiguration/default`` value, and
/// `null` switches an optional rule off (`"consecutiveFailureThreshold": null`, `"probeTimeout": null`).
/// Durations are seconds. `slidingWindow` is `{ "type": "count", "size": 100 }` or
/// `{ "type": "time", "duration": 60, "buckets": 10 }`; `slowCalls` without `rateThreshold` counts slow
/// calls as failures; `breakDuration` is a ``Backoff`` as in ``RetryPolicy``'s JSON. `halfOpenRule` is
/// `{ "successes": 2 }` (``HalfOpenRule/consecutiveSuccesses(_:)``) or
/// `{ "failureRate": 0.5, "probes": 10 }` (``HalfOpenRule/failureRate(_:overProbes:)``); the older
/// `"successesToClose": 2` means `{ "successes": 2 }`.
///
/// Decoding fails with a ``ConfigurationError`` naming the field, with its full path, for an invalid
/// value, a value of the wrong type or an unknown field; never with a crash.
extension CircuitBreakerConfiguration: Codable {
    private static let fieldNames: Set<String> = [
        "consecutiveFailureThreshold", "failureRateThreshold", "slowCalls", "slidingWindow", "minimumThroughput",
        "breakDuration", "maxConcurrentProbes", "halfOpenRule", "successesToClose", "halfOpensAutomatically",
        "probeTimeout", "failureCategories",
    ]

    /// Decodes and validates a configuration.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        let path = dottedPath(decoder.codingPath)
        let fields = try ConfigurationFields(decoder, allowed: Self.fieldNames, path: path)
        let base = CircuitBreakerConfiguration.default

        let consecutive = try fields.decodeIfPresent(Int.self, "consecutiveFailureThreshold", expected: "a whole number")
        let failureRate = try fields.decodeIfPresent(Double.self, "failureRateThreshold", expected: "a number")
        let slowCalls = try fields.nestedDecoder("slowCalls").map { decoder throws(ConfigurationError) in
            try SlowCallRule(decoding: decoder, path: fields.fieldPath("slowCalls"))
        }
        let window = try fields.nestedDecoder("slidingWindow").map { decoder throws(ConfigurationError) in
            try SlidingWindow(decoding: decoder, path: fields.fieldPath("slidingWindow"))
        }
        let minimumThroughput = try fields.decodeIfPresent(Int.self, "minimumThroughput", expected: "a whole number")
        let breakDuration = try fields.nestedDecoder("breakDuration").map { decoder throws(ConfigurationError) in
            try Backoff(decoding: decoder, path: fields.fieldPath("breakDuration"))
        }
        let probes = try fields.decodeIfPresent(Int.self, "maxConcurrentProbes", expected: "a whole number")
        let successes = try fields.decodeIfPresent(Int.self, "successesToClose", expected: "a whole number")
        var halfOpenRule = try fields.nestedDecoder("halfOpenRule").map { decoder throws(ConfigurationError) in
            try HalfOpenRule(decoding: decoder, path: fields.fieldPath("halfOpenRule"))
        }
        if let successes {
            guard halfOpenRule == nil else {
                throw ConfigurationError.invalid(fields.fieldPath("successesToClose"), "must not be given with halfOpenRule")
            }
            halfOpenRule = .consecutiveSuccesses(successes)
        }
        let automatic = try fields.decodeIfPresent(Bool.self, "halfOpensAutomatically", expected: "true or false")
        let probeTimeout = try fields.decodeSecondsIfPresent("probeTimeout")
        var categories = base.failureCategories
        if let names = try fields.decodeIfPresent([String].self, "failureCategories", expected: "a list of category names") {
            categories = []
            for (index, name) in names.enumerated() {
                guard let category = ErrorCategory(name: name) else {
                    throw ConfigurationError.invalid(
                        fields.fieldPath("failureCategories[\(index)]"),
                        "must be one of \(ErrorCategory.allNames), got \"\(name)\""
                    )
                }
                categories.insert(category)
            }
        }

        do throws(ConfigurationError) {
            try self.init(
                consecutiveFailureThreshold: fields.contains("consecutiveFailureThreshold")
                    ? consecutive : base.consecutiveFailureThreshold,
                failureRateThreshold: failureRate,
                slowCalls: slowCalls,
                slidingWindow: window ?? base.slidingWindow,
                minimumThroughput: minimumThroughput ?? base.minimumThroughput,
                breakDuration: breakDuration ?? base.breakDuration,
                maxConcurrentProbes: probes ?? base.maxConcurrentProbes,
                halfOpenRule: halfOpenRule ?? base.halfOpenRule,
                halfOpensAutomatically: automatic ?? base.halfOpensAutomatically,
                probeTimeout: fields.contains("probeTimeout") ? probeTimeout : base.probeTimeout,
                failureCategories: categories
            )
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
    }

    /// Encodes every field; durations as seconds, rules that are off as `null`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(consecutiveFailureThreshold, forKey: FieldKey("consecutiveFailureThreshold"))
        try container.encodeIfPresent(failureRateThreshold, forKey: FieldKey("failureRateThreshold"))
        try container.encodeIfPresent(slowCalls, forKey: FieldKey("slowCalls"))
        try container.encode(slidingWindow, forKey: FieldKey("slidingWindow"))
        try container.encode(minimumThroughput, forKey: FieldKey("minimumThroughput"))
        try container.encode(breakDuration, forKey: FieldKey("breakDuration"))
        try container.encode(maxConcurrentProbes, forKey: FieldKey("maxConcurrentProbes"))
        try container.encode(halfOpenRule, forKey: FieldKey("halfOpenRule"))
        try container.encode(halfOpensAutomatically, forKey: FieldKey("halfOpensAutomatically"))
        try container.encode(probeTimeout?.inSeconds, forKey: FieldKey("probeTimeout"))
        try container.encode(failureCategories.map(\.name).sorted(), forKey: FieldKey("failureCategories"))
    }
}

extension SlidingWindow: Codable {
    /// Decodes `{ "type": "count", "size": 100 }` or `{ "type": "time", "duration": 60, "buckets": 10 }`.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(decoder, allowed: ["type", "size", "duration", "buckets"], path: path)
        let type = try fields.decode(String.self, "type", expected: "a window type")
        switch type {
        case "count":
            self = .count(try fields.decode(Int.self, "size", expected: "a whole number"))
        case "time":
            self = .time(
                try fields.decodeSeconds("duration"),
                buckets: try fields.decodeIfPresent(Int.self, "buckets", expected: "a whole number") ?? 10
            )
        default:
            throw ConfigurationError.invalid(fields.fieldPath("type"), "must be one of count, time, got \"\(type)\"")
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes the window with its `type` and parameters; durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        switch kind {
        case .count(let size):
            try container.encode("count", forKey: FieldKey("type"))
            try container.encode(size, forKey: FieldKey("size"))
        case .time(let duration, let buckets):
            try container.encode("time", forKey: FieldKey("type"))
            try container.encode(duration.inSeconds, forKey: FieldKey("duration"))
            try container.encode(buckets, forKey: FieldKey("buckets"))
        }
    }
}

extension SlowCallRule: Codable {
    /// Decodes `{ "threshold": 2 }` (slow calls count as failures) or
    /// `{ "threshold": 2, "rateThreshold": 0.5 }`.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(decoder, allowed: ["threshold", "rateThreshold"], path: path)
        threshold = try fields.decodeSeconds("threshold")
        rateThreshold = try fields.decodeIfPresent(Double.self, "rateThreshold", expected: "a number")
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes the threshold in seconds and the rate, if any.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(threshold.inSeconds, forKey: FieldKey("threshold"))
        try container.encodeIfPresent(rateThreshold, forKey: FieldKey("rateThreshold"))
    }
}

extension HalfOpenRule: Codable {
    /// Decodes `{ "successes": 2 }` or `{ "failureRate": 0.5, "probes": 10 }`.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(decoder, allowed: ["successes", "failureRate", "probes"], path: path)
        if let successes = try fields.decodeIfPresent(Int.self, "successes", expected: "a whole number") {
            guard !fields.contains("failureRate"), !fields.contains("probes") else {
                throw ConfigurationError.invalid(fields.fieldPath("successes"), "must not be given with failureRate or probes")
            }
            self = .consecutiveSuccesses(successes)
        } else if let threshold = try fields.decodeIfPresent(Double.self, "failureRate", expected: "a number") {
            self = .failureRate(threshold, overProbes: try fields.decode(Int.self, "probes", expected: "a whole number"))
        } else {
            throw ConfigurationError.invalid(path.isEmpty ? "successes" : "\(path).successes", "or failureRate (with probes) is required")
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes `{ "successes": n }` or `{ "failureRate": t, "probes": n }`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        switch kind {
        case .consecutiveSuccesses(let count):
            try container.encode(count, forKey: FieldKey("successes"))
        case .failureRate(let threshold, let probes):
            try container.encode(threshold, forKey: FieldKey("failureRate"))
            try container.encode(probes, forKey: FieldKey("probes"))
        }
    }
}
