/// How calls ended: counted by a pipeline (one per ``ResiliencePipeline`` call) or by a ``Retry`` (one per
/// call of its, whatever the number of attempts).
///
/// ```swift
/// let calls = statistics.snapshot().pipeline(named: "ocr")?.calls
/// print(calls?.successRate ?? 0)   // 0.98
/// ```
///
/// A retry's call fails when retrying ends without success, for whatever reason: attempts used up, and
/// also a first failure that is not retryable, a refused retry budget or a cancellation. Such calls are
/// counted by the category of the error the call throws (``failuresByCategory``) and, for a retry, by
/// why retrying stopped (``failuresByStopReason``); a retry that ends on a result its classification
/// rejected (and returns it) counts in ``rejectedResults`` instead of a category.
public struct CallStatistics: Sendable, Hashable, Codable {
    /// The calls that ended.
    public var total: Int
    /// The calls that succeeded.
    public var successes: Int
    /// The calls that failed.
    public var failures: Int
    /// The failed calls by the category of the error they threw (a cancelled call's is
    /// ``ErrorCategory/cancellation``).
    public var failuresByCategory: [ErrorCategory: Int]
    /// The failed calls of a retry that ended on a result its classification rejected: they return that
    /// result and have no error to categorise.
    public var rejectedResults: Int
    /// A retry's failed calls by why retrying stopped; empty for a pipeline.
    public var failuresByStopReason: [RetryStopReason: Int]
    /// A retry's calls by the number of attempts they made (successful and failed calls alike); empty
    /// for a pipeline.
    public var byAttempts: [Int: Int]
    /// The calls whose duration was measured (every call of a pipeline with an observer).
    public var timedCalls: Int
    /// The sum of the measured calls' durations, in whole nanoseconds (saturating at about 292 years).
    public var totalDuration: Duration

    /// Creates call statistics.
    ///
    /// - Parameters:
    ///   - total: The calls that ended.
    ///   - successes: The calls that succeeded.
    ///   - failures: The calls that failed.
    ///   - failuresByCategory: The failed calls by error category.
    ///   - rejectedResults: A retry's failed calls that ended on a rejected result.
    ///   - failuresByStopReason: A retry's failed calls by why retrying stopped.
    ///   - byAttempts: A retry's calls by number of attempts.
    ///   - timedCalls: The calls whose duration was measured.
    ///   - totalDuration: The sum of the measured durations.
    public init(
        total: Int = 0,
        successes: Int = 0,
        failures: Int = 0,
        failuresByCategory: [ErrorCategory: Int] = [:],
        rejectedResults: Int = 0,
        failuresByStopReason: [RetryStopReason: Int] = [:],
        byAttempts: [Int: Int] = [:],
        timedCalls: Int = 0,
        totalDuration: Duration = .zero
    ) {
        self.total = total
        self.successes = successes
        self.failures = failures
        self.failuresByCategory = failuresByCategory
        self.rejectedResults = rejectedResults
        self.failuresByStopReason = failuresByStopReason
        self.byAttempts = byAttempts
        self.timedCalls = timedCalls
        self.totalDuration = totalDuration
    }

    /// The share of calls that succeeded, from 0 to 1; `nil` before the first call.
    public var successRate: Double? {
        total > 0 ? Double(successes) / Double(total) : nil
    }

    /// The share of calls that failed, from 0 to 1; `nil` before the first call.
    public var failureRate: Double? {
        total > 0 ? Double(failures) / Double(total) : nil
    }

    /// The mean number of attempts per call of a retry, from 1 (attempts, not retries: a call that
    /// succeeds at once made 1 attempt and no retry); `nil` when ``byAttempts`` is empty.
    public var averageAttempts: Double? {
        var calls = 0.0
        var attempts = 0.0
        for (attemptCount, count) in byAttempts {
            calls += Double(count)
            attempts += Double(attemptCount) * Double(count)
        }
        return calls > 0 ? attempts / calls : nil
    }

    /// The mean duration of the measured calls; `nil` when none was measured.
    public var meanDuration: Duration? {
        timedCalls > 0 ? totalDuration / timedCalls : nil
    }

    // MARK: - Recording

    /// Counts a call that succeeded after `attempts` attempts (`nil` for a pipeline's call).
    @inline(__always)
    mutating func recordSuccess(attempts: Int?, duration: Duration?) {
        total += 1
        successes += 1
        record(attempts: attempts, duration: duration)
    }

    /// Counts a call that failed: with an error of `category`, or (`nil`) on a rejected result.
    mutating func recordFailure(category: ErrorCategory?, stopReason: RetryStopReason?, attempts: Int?, duration: Duration?) {
        total += 1
        failures += 1
        if let category {
            failuresByCategory[category, default: 0] += 1
        } else {
            rejectedResults += 1
        }
        if let stopReason { failuresByStopReason[stopReason, default: 0] += 1 }
        record(attempts: attempts, duration: duration)
    }

    @inline(__always)
    private mutating func record(attempts: Int?, duration: Duration?) {
        // A synthetic event may say anything; a call makes at least one attempt.
        if let attempts { byAttempts[max(attempts, 1), default: 0] += 1 }
        if let duration {
            timedCalls += 1
            totalDuration = totalDuration.saturatingAdding(max(duration, .zero))
        }
    }

    // MARK: - Coding

    enum CodingKeys: String, CodingKey {
        case total, successes, failures, failuresByCategory, rejectedResults, failuresByStopReason, byAttempts, timedCalls
        case totalDurationNanoseconds
    }

    /// Decodes call statistics; a missing field is zero (or empty).
    ///
    /// - Throws: `DecodingError` for a negative count or duration, or an unknown category or reason.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            total: try container.decodeCount(forKey: .total),
            successes: try container.decodeCount(forKey: .successes),
            failures: try container.decodeCount(forKey: .failures),
            failuresByCategory: try container.decodeCounts(ErrorCategory.self, forKey: .failuresByCategory),
            rejectedResults: try container.decodeCount(forKey: .rejectedResults),
            failuresByStopReason: try container.decodeCounts(RetryStopReason.self, forKey: .failuresByStopReason),
            byAttempts: try container.decodeAttemptCounts(forKey: .byAttempts),
            timedCalls: try container.decodeCount(forKey: .timedCalls),
            totalDuration: try container.decodeNanoseconds(forKey: .totalDurationNanoseconds)
        )
    }

    /// Encodes the statistics: counts by name, durations in whole nanoseconds.
    ///
    /// - Throws: What the encoder throws.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(total, forKey: .total)
        try container.encode(successes, forKey: .successes)
        try container.encode(failures, forKey: .failures)
        try container.encodeCounts(failuresByCategory, forKey: .failuresByCategory)
        try container.encode(rejectedResults, forKey: .rejectedResults)
        try container.encodeCounts(failuresByStopReason, forKey: .failuresByStopReason)
        try container.encodeAttemptCounts(byAttempts, forKey: .byAttempts)
        try container.encode(timedCalls, forKey: .timedCalls)
        try container.encodeNanoseconds(totalDuration, forKey: .totalDurationNanoseconds)
    }
}
