/// A growable kind that statistics count by (an error category, a circuit state, a stop reason, a
/// limiter's reason), encoded in JSON by its name.
protocol StatisticsCountKey: Hashable, Sendable {
    /// What the names are of, for decoding errors: `error category`.
    static var kindDescription: String { get }
    /// The name used in JSON and reports, such as `timeout`.
    var statisticsName: String { get }
    /// The value named `statisticsName`, or `nil` for an unknown name.
    init?(statisticsName: String)
}

extension ErrorCategory: StatisticsCountKey {
    static var kindDescription: String { "error category" }
    var statisticsName: String { name }
    init?(statisticsName: String) { self.init(name: statisticsName) }
}

extension CircuitState: StatisticsCountKey {
    static var kindDescription: String { "circuit state" }
    var statisticsName: String { name }
    init?(statisticsName: String) { self.init(name: statisticsName) }
}

extension RetryStopReason: StatisticsCountKey {
    static var kindDescription: String { "retry stop reason" }
    var statisticsName: String { description }
    init?(statisticsName: String) {
        guard let storage = Storage(rawValue: statisticsName) else { return nil }
        self.init(storage)
    }
}

extension LimitExceededError.Reason: StatisticsCountKey {
    static var kindDescription: String { "limit reason" }
    var statisticsName: String { name }
    init?(statisticsName: String) {
        guard let storage = Storage(rawValue: statisticsName) else { return nil }
        self.init(storage)
    }
}

// MARK: - Encoding

extension KeyedEncodingContainer {
    /// Encodes `counts` as an object from names to counts, such as `{"timeout": 3}`.
    mutating func encodeCounts<Name: StatisticsCountKey>(_ counts: [Name: Int], forKey key: Key) throws {
        var named: [String: Int] = [:]
        for (name, count) in counts { named[name.statisticsName] = count }
        try encode(named, forKey: key)
    }

    /// Encodes counts by number of attempts as an object, such as `{"1": 90, "2": 10}`.
    mutating func encodeAttemptCounts(_ counts: [Int: Int], forKey key: Key) throws {
        var named: [String: Int] = [:]
        for (attempts, count) in counts { named[String(attempts)] = count }
        try encode(named, forKey: key)
    }

    /// Encodes `duration` as whole nanoseconds.
    mutating func encodeNanoseconds(_ duration: Duration, forKey key: Key) throws {
        try encode(duration.saturatingNanoseconds, forKey: key)
    }
}

// MARK: - Decoding

extension KeyedDecodingContainer {
    /// A count: zero when absent, a `DecodingError` when negative.
    func decodeCount(forKey key: Key) throws -> Int {
        let count = try decodeIfPresent(Int.self, forKey: key) ?? 0
        guard count >= 0 else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "a count must not be negative, got \(count)")
        }
        return count
    }

    /// Counts by name: empty when absent, a `DecodingError` for an unknown name or a negative count.
    func decodeCounts<Name: StatisticsCountKey>(_ type: Name.Type, forKey key: Key) throws -> [Name: Int] {
        let named = try decodeIfPresent([String: Int].self, forKey: key) ?? [:]
        var counts: [Name: Int] = [:]
        for (name, count) in named {
            guard let value = Name(statisticsName: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "unknown \(Name.kindDescription) \"\(name)\""
                )
            }
            guard count >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "the count of \"\(name)\" must not be negative, got \(count)"
                )
            }
            counts[value] = count
        }
        return counts
    }

    /// Counts by number of attempts: empty when absent, a `DecodingError` for a key that is not a
    /// positive whole number or a negative count.
    func decodeAttemptCounts(forKey key: Key) throws -> [Int: Int] {
        let named = try decodeIfPresent([String: Int].self, forKey: key) ?? [:]
        var counts: [Int: Int] = [:]
        for (name, count) in named {
            guard let attempts = Int(name), attempts >= 1 else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "attempts must be a whole number from 1, got \"\(name)\""
                )
            }
            guard count >= 0 else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: self, debugDescription: "the count of \(attempts) attempts must not be negative, got \(count)"
                )
            }
            counts[attempts] = count
        }
        return counts
    }

    /// A duration in whole nanoseconds: zero when absent, a `DecodingError` when negative.
    func decodeNanoseconds(forKey key: Key) throws -> Duration {
        try decodeNanosecondsIfPresent(forKey: key) ?? .zero
    }

    /// A duration in whole nanoseconds, or `nil` when absent or `null`; a `DecodingError` when negative.
    func decodeNanosecondsIfPresent(forKey key: Key) throws -> Duration? {
        guard let nanoseconds = try decodeIfPresent(Int64.self, forKey: key) else { return nil }
        guard nanoseconds >= 0 else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: self, debugDescription: "a duration must not be negative, got \(nanoseconds) ns"
            )
        }
        return .nanoseconds(nanoseconds)
    }
}

extension Sequence where Element == Int {
    /// The sum, saturated to the `Int` range: decoded statistics may hold any counts.
    var saturatingSum: Int {
        reduce(0) { sum, count in
            let (result, overflow) = sum.addingReportingOverflow(count)
            return overflow ? (count > 0 ? .max : .min) : result
        }
    }
}
