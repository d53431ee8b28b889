/// Policies decode from, and encode to, JSON (or any `Codable` format) of this shape:
///
/// ```json
/// {
///   "preset": "aggressive",
///   "maxAttempts": 4,
///   "backoff": { "type": "exponential", "initialDelay": 0.5, "multiplier": 2, "maxDelay": 30 },
///   "jitter": "full",
///   "maxElapsedTime": 60,
///   "retryableCategories": ["timeout", "connectionFailure", "rateLimited"],
///   "backoffByCategory": { "rateLimited": { "type": "exponential", "initialDelay": 4, "maxDelay": 32 } }
/// }
/// ```
///
/// Every field is optional: missing ones come from `preset` (a name in ``RetryPolicy/presets``; default
/// `default`). Durations are seconds. Backoff `type`s: `constant` (`delay`), `linear` (`initialDelay`,
/// `increment`, `maxDelay`), `exponential` (`initialDelay`, `multiplier` default 2, `maxDelay`,
/// optional `minDelay`), `custom` (`delays`). Jitter: `none`, `full`, `equal`, `decorrelated`,
/// `{ "type": "proportional", "fraction": 0.5 }` or `{ "type": "symmetric", "fraction": 0.25 }`.
///
/// Decoding fails with a ``ConfigurationError`` naming the field, with its full path, for an invalid
/// value, a value of the wrong type or an unknown field; never with a crash.
extension RetryPolicy: Codable {
    private static let fieldNames: Set<String> = [
        "preset", "maxAttempts", "backoff", "jitter", "maxElapsedTime", "retryableCategories", "backoffByCategory",
    ]

    /// Decodes and validates a policy.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        let path = dottedPath(decoder.codingPath)
        let fields = try ConfigurationFields(decoder, allowed: Self.fieldNames, path: path)

        var base = RetryPolicy.default
        if let preset = try fields.decodeIfPresent(String.self, "preset", expected: "a preset name") {
            guard let policy = RetryPolicy.presets[preset] else {
                throw ConfigurationError.invalid(
                    fields.fieldPath("preset"),
                    "must be one of \(RetryPolicy.presets.keys.sorted().joined(separator: ", ")), got \"\(preset)\""
                )
            }
            base = policy
        }

        let maxAttempts = try fields.decodeIfPresent(Int.self, "maxAttempts", expected: "a whole number")
        let backoff = try fields.nestedDecoder("backoff").map { decoder throws(ConfigurationError) in
            try Backoff(decoding: decoder, path: fields.fieldPath("backoff"))
        }
        let jitter = try fields.nestedDecoder("jitter").map { decoder throws(ConfigurationError) in
            try Jitter(decoding: decoder, path: fields.fieldPath("jitter"))
        }
        let maxElapsedTime = try fields.decodeSecondsIfPresent("maxElapsedTime")
        let categories = try fields.decodeIfPresent([String].self, "retryableCategories", expected: "a list of category names")
            .map { names throws(ConfigurationError) in
                try Set(Self.categories(named: names, field: fields.fieldPath("retryableCategories")))
            }
        var backoffByCategory = base.backoffByCategory
        if let decoder = try fields.nestedDecoder("backoffByCategory") {
            backoffByCategory = try Self.decodeBackoffByCategory(decoder, path: fields.fieldPath("backoffByCategory"))
        }

        do {
            try self.init(
                maxAttempts: maxAttempts ?? base.maxAttempts,
                backoff: backoff ?? base.backoff,
                jitter: jitter ?? base.jitter,
                maxElapsedTime: fields.contains("maxElapsedTime") ? maxElapsedTime : base.maxElapsedTime,
                retryableCategories: categories ?? base.retryableCategories,
                backoffByCategory: backoffByCategory
            )
        } catch {
            throw path.isEmpty ? error : error.nested(under: path)
        }
    }

    /// Encodes every field (not a preset name); durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        try container.encode(maxAttempts, forKey: FieldKey("maxAttempts"))
        try container.encode(backoff, forKey: FieldKey("backoff"))
        try container.encode(jitter, forKey: FieldKey("jitter"))
        if let maxElapsedTime {
            try container.encode(maxElapsedTime.inSeconds, forKey: FieldKey("maxElapsedTime"))
        }
        try container.encode(retryableCategories.map(\.name).sorted(), forKey: FieldKey("retryableCategories"))
        if !backoffByCategory.isEmpty {
            var nested = container.nestedContainer(keyedBy: FieldKey.self, forKey: FieldKey("backoffByCategory"))
            for (category, schedule) in backoffByCategory.sorted(by: { $0.key.name < $1.key.name }) {
                try nested.encode(schedule, forKey: FieldKey(category.name))
            }
        }
    }

    private static func categories(named names: [String], field: String) throws(ConfigurationError) -> [ErrorCategory] {
        var categories: [ErrorCategory] = []
        for (index, name) in names.enumerated() {
            guard let category = ErrorCategory(name: name) else {
                throw ConfigurationError.invalid(
                    "\(field)[\(index)]",
                    "must be one of \(ErrorCategory.allNames), got \"\(name)\""
                )
            }
            categories.append(category)
        }
        return categories
    }

    private static func decodeBackoffByCategory(
        _ decoder: any Decoder,
        path: String
    ) throws(ConfigurationError) -> [ErrorCategory: Backoff] {
        let names = Set(ErrorCategory.allCases.map(\.name))
        let fields = try ConfigurationFields(decoder, allowed: names, path: path)
        var result: [ErrorCategory: Backoff] = [:]
        for name in fields.names.sorted() {
            guard let category = ErrorCategory(name: name), let nested = try fields.nestedDecoder(name) else { continue }
            result[category] = try Backoff(decoding: nested, path: fields.fieldPath(name))
        }
        return result
    }
}

extension Backoff: Codable {
    private static let fieldNames: Set<String> = [
        "type", "delay", "initialDelay", "increment", "multiplier", "maxDelay", "minDelay", "delays",
    ]

    /// Decodes a schedule such as `{ "type": "exponential", "initialDelay": 1, "maxDelay": 60 }`.
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        let fields = try ConfigurationFields(decoder, allowed: Self.fieldNames, path: path)
        let type = try fields.decode(String.self, "type", expected: "a backoff type")
        switch type {
        case "constant":
            self = .constant(try fields.decodeSeconds("delay"))
        case "linear":
            self = .linear(
                initial: try fields.decodeSeconds("initialDelay"),
                increment: try fields.decodeSeconds("increment"),
                maxDelay: try fields.decodeSeconds("maxDelay")
            )
        case "exponential":
            self = .exponential(
                initial: try fields.decodeSeconds("initialDelay"),
                multiplier: try fields.decodeIfPresent(Double.self, "multiplier", expected: "a number") ?? 2,
                maxDelay: try fields.decodeSeconds("maxDelay"),
                minDelay: try fields.decodeSecondsIfPresent("minDelay") ?? .zero
            )
        case "custom":
            let seconds = try fields.decode([Double].self, "delays", expected: "a list of numbers of seconds")
            var delays: [Duration] = []
            for (index, value) in seconds.enumerated() {
                delays.append(try ConfigurationFields.duration(fromSeconds: value, field: fields.fieldPath("delays[\(index)]")))
            }
            self = .custom(delays)
        default:
            throw ConfigurationError.invalid(
                fields.fieldPath("type"),
                "must be one of constant, linear, exponential, custom, got \"\(type)\""
            )
        }
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    /// Encodes the schedule with its `type` and parameters; durations as seconds.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: FieldKey.self)
        switch kind {
        case .constant(let delay):
            try container.encode("constant", forKey: FieldKey("type"))
            try container.encode(delay.inSeconds, forKey: FieldKey("delay"))
        case .linear(let initial, let increment, let maxDelay):
            try container.encode("linear", forKey: FieldKey("type"))
            try container.encode(initial.inSeconds, forKey: FieldKey("initialDelay"))
            try container.encode(increment.inSeconds, forKey: FieldKey("increment"))
            try container.encode(maxDelay.inSeconds, forKey: FieldKey("maxDelay"))
        case .exponential(let initial, let multiplier, let maxDelay, let minDelay):
            try container.encode("exponential", forKey: FieldKey("type"))
            try container.encode(initial.inSeconds, forKey: FieldKey("initialDelay"))
            try container.encode(multiplier, forKey: FieldKey("multiplier"))
            try container.encode(maxDelay.inSeconds, forKey: FieldKey("maxDelay"))
            if minDelay > .zero { try container.encode(minDelay.inSeconds, forKey: FieldKey("minDelay")) }
        case .custom(let delays):
            try container.encode("custom", forKey: FieldKey("type"))
            try container.encode(delays.map(\.inSeconds), forKey: FieldKey("delays"))
        }
    }
}

extension Jitter: Codable {
    private static let namedKinds: [String: Jitter] = [
        "none": .none, "full": .full, "equal": .equal, "decorrelated": .decorrelated,
    ]

    /// Decodes `"none"`, `"full"`, `"equal"`, `"decorrelated"`, or an object with a `type` (and, for
    /// `proportional`, a `fraction`).
    ///
    /// - Throws: ``ConfigurationError`` naming the offending field.
    public init(from decoder: any Decoder) throws {
        try self.init(decoding: decoder, path: dottedPath(decoder.codingPath))
    }

    init(decoding decoder: any Decoder, path: String) throws(ConfigurationError) {
        if let container = try? decoder.singleValueContainer(), let name = try? container.decode(String.self) {
            try self.init(named: name, fraction: nil, field: path)
            return
        }
        let fields = try ConfigurationFields(decoder, allowed: ["type", "fraction"], path: path)
        let type = try fields.decode(String.self, "type", expected: "a jitter type")
        let fraction = try fields.decodeIfPresent(Double.self, "fraction", expected: "a number")
        try self.init(named: type, fraction: fraction, field: fields.fieldPath("type"))
        do { try validate() } catch { throw path.isEmpty ? error : error.nested(under: path) }
    }

    private init(named name: String, fraction: Double?, field: String) throws(ConfigurationError) {
        if name == "proportional" {
            self = .proportional(fraction ?? 0.5)
        } else if name == "symmetric" {
            self = .symmetric(fraction ?? 0.25)
        } else if let jitter = Self.namedKinds[name] {
            self = jitter
        } else {
            throw ConfigurationError.invalid(
                field,
                "must be one of none, full, equal, decorrelated, proportional, symmetric, got \"\(name)\""
            )
        }
    }

    /// Encodes the jitter's name, or `{ "type": "proportional", "fraction": … }`.
    public func encode(to encoder: any Encoder) throws {
        switch kind {
        case .proportional(let fraction), .symmetric(let fraction):
            var container = encoder.container(keyedBy: FieldKey.self)
            try container.encode(kind == .proportional(fraction) ? "proportional" : "symmetric", forKey: FieldKey("type"))
            try container.encode(fraction, forKey: FieldKey("fraction"))
        case .none, .full, .equal, .decorrelated:
            var container = encoder.singleValueContainer()
            try container.encode(description)
        }
    }
}
