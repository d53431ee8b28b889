/// What to retry, how often, and how long to wait: a validated value.
///
/// A policy is plain data (`Sendable`, `Hashable`, `Codable`), so it can be a constant, come from a
/// configuration file or travel between tasks. Its initialiser checks every field and throws a
/// ``ConfigurationError`` naming the one that is wrong; decoding checks the same way.
///
/// To adjust a preset, change it with ``with(_:)``, which checks the result, or set fields directly
/// and call ``validate()``:
///
/// ```swift
/// let ocr = try RetryPolicy.aggressive.with { $0.maxAttempts = 7 }
///
/// var vision = RetryPolicy.rateLimit
/// vision.maxElapsedTime = .seconds(90)
/// try vision.validate()
/// ```
///
/// A policy that was never checked still never crashes a retry loop: every field is used within its
/// range (fewer than 1 attempt makes one, a negative delay waits zero, a fraction outside `0...1` is
/// clamped, a negative time budget allows no retry).
///
/// ```swift
/// let policy = try RetryPolicy(
///     maxAttempts: 5,
///     backoff: .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(30)),
///     jitter: .full,
///     maxElapsedTime: .seconds(60),
///     retryableCategories: ErrorCategory.allTransient.union([.rateLimited]),
///     backoffByCategory: [.rateLimited: .exponential(initial: .seconds(4), maxDelay: .seconds(32))]
/// )
/// ```
///
/// The presets carry the guide's values: ``default``, ``aggressive``, ``rateLimit``, ``conservative``
/// and ``adaptive``.
public struct RetryPolicy: Hashable, Sendable {
    /// The most calls of the operation, counting the first: `3` means one call and up to two retries
    /// (the guide's `max_retries`). At least 1.
    public var maxAttempts: Int

    /// The schedule of delays between attempts, used for every category without its own entry in
    /// ``backoffByCategory``.
    public var backoff: Backoff

    /// The randomisation applied to every delay.
    public var jitter: Jitter

    /// The budget for the whole call, measured from the start of the first attempt, or `nil` for none.
    ///
    /// A retry loop never starts a wait that would end past it: when the next delay would cross the
    /// budget, it stops and rethrows the last error at once instead of sleeping. Must be positive.
    public var maxElapsedTime: Duration?

    /// The categories of failure that are retried; all others are rethrown at once.
    /// ``ErrorCategory/cancellation`` may not be included: cancelled work is never retried.
    public var retryableCategories: Set<ErrorCategory> {
        get { Set(ErrorCategory.allCases.filter { retryableMask & $0.bit != 0 }) }
        set { retryableMask = newValue.reduce(0) { $0 | $1.bit } }
    }

    /// Schedules for particular categories, replacing ``backoff`` for failures of that category, such as
    /// a longer schedule for ``ErrorCategory/rateLimited`` (the guide's step 6: 4, 8, 16, 32 s).
    ///
    /// Every schedule is indexed by the overall retry number, so after two transient failures a rate
    /// limit waits the rate-limit schedule's third delay.
    public var backoffByCategory: [ErrorCategory: Backoff] {
        get { categorySchedules?.schedules ?? [:] }
        set { categorySchedules = newValue.isEmpty ? nil : CategorySchedules(newValue) }
    }

    // Storage chosen so that copying a policy (as every `retry(.default) { … }` call does) costs no
    // reference counting: the categories as a bit set, the per-category schedules in an optional box
    // that is `nil` when there are none.
    @usableFromInline
    var retryableMask: UInt16
    @usableFromInline
    var categorySchedules: CategorySchedules?

    /// Creates a validated policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: The most calls, counting the first; at least 1.
    ///   - backoff: The schedule of delays between attempts.
    ///   - jitter: The randomisation applied to every delay.
    ///   - maxElapsedTime: The budget for the whole call, or `nil` for none; positive.
    ///   - retryableCategories: The categories of failure that are retried; never ``ErrorCategory/cancellation``.
    ///   - backoffByCategory: Schedules replacing `backoff` for particular categories.
    /// - Throws: ``ConfigurationError`` naming the invalid field: `maxAttempts`, `backoff.multiplier`,
    ///   `jitter.fraction`, `maxElapsedTime`, `retryableCategories`, `backoffByCategory.rateLimited.maxDelay`, ….
    public init(
        maxAttempts: Int = 3,
        backoff: Backoff = .exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60)),
        jitter: Jitter = .proportional(0.5),
        maxElapsedTime: Duration? = nil,
        retryableCategories: Set<ErrorCategory> = [.timeout, .connectionFailure],
        backoffByCategory: [ErrorCategory: Backoff] = [:]
    ) throws(ConfigurationError) {
        self.init(
            unchecked: maxAttempts,
            backoff: backoff,
            jitter: jitter,
            maxElapsedTime: maxElapsedTime,
            retryableCategories: retryableCategories,
            backoffByCategory: backoffByCategory
        )
        try validate()
    }

    /// For presets, whose values are known to be valid.
    init(
        unchecked maxAttempts: Int,
        backoff: Backoff,
        jitter: Jitter,
        maxElapsedTime: Duration? = nil,
        retryableCategories: Set<ErrorCategory>,
        backoffByCategory: [ErrorCategory: Backoff] = [:]
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.jitter = jitter
        self.maxElapsedTime = maxElapsedTime
        self.retryableMask = retryableCategories.reduce(0) { $0 | $1.bit }
        self.categorySchedules = backoffByCategory.isEmpty ? nil : CategorySchedules(backoffByCategory)
    }

    /// A copy with `changes` applied, then checked: the way to adjust a preset.
    ///
    /// ```swift
    /// let policy = try RetryPolicy.aggressive.with {
    ///     $0.maxAttempts = 7
    ///     $0.jitter = .full
    /// }
    /// ```
    ///
    /// - Parameter changes: Sets the fields to change.
    /// - Returns: The changed policy.
    /// - Throws: ``ConfigurationError`` naming the first invalid field.
    public func with(_ changes: (inout RetryPolicy) -> Void) throws(ConfigurationError) -> RetryPolicy {
        var copy = self
        changes(&copy)
        try copy.validate()
        return copy
    }

    /// Checks every field, throwing for the first invalid one.
    ///
    /// - Throws: ``ConfigurationError`` naming the invalid field: `maxAttempts`, `backoff.multiplier`,
    ///   `jitter.fraction`, `maxElapsedTime`, `retryableCategories`, `backoffByCategory.rateLimited.maxDelay`, ….
    public func validate() throws(ConfigurationError) {
        guard maxAttempts >= 1 else {
            throw .invalid("maxAttempts", "must be at least 1, got \(maxAttempts)")
        }
        do { try backoff.validate() } catch { throw error.nested(under: "backoff") }
        do { try jitter.validate() } catch { throw error.nested(under: "jitter") }
        if jitter == .decorrelated {
            // Decorrelated jitter grows each delay from the one before: without a cap it grows without bound.
            for (field, schedule) in [("backoff", backoff)] + backoffByCategory.map({ ("backoffByCategory.\($0.key.name)", $0.value) })
            where schedule.maxDelay == nil {
                throw .invalid("jitter", "decorrelated needs schedules with a maxDelay (linear or exponential); \(field) has none")
            }
        }
        if let maxElapsedTime, maxElapsedTime <= .zero {
            throw .invalid("maxElapsedTime", "must be positive, got \(maxElapsedTime)")
        }
        if retryableMask & ErrorCategory.cancellation.bit != 0 {
            throw .invalid("retryableCategories", "must not contain cancellation: cancelled work is never retried")
        }
        for category in ErrorCategory.allCases {
            guard let schedule = backoffByCategory[category] else { continue }
            if category == .cancellation {
                throw .invalid("backoffByCategory.cancellation", "is not allowed: cancelled work is never retried")
            }
            do { try schedule.validate() } catch { throw error.nested(under: "backoffByCategory.\(category.name)") }
        }
    }

    /// The schedule for failures of `category`: its entry in ``backoffByCategory``, else ``backoff``.
    ///
    /// - Parameter category: The category of the failure.
    public func backoff(for category: ErrorCategory) -> Backoff {
        categorySchedules?.schedules[category] ?? backoff
    }

    /// Whether failures of `category` are retried.
    ///
    /// - Parameter category: The category of the failure.
    public func retries(_ category: ErrorCategory) -> Bool {
        category != .cancellation && retryableMask & category.bit != 0
    }

    /// Equal when every field is equal.
    public static func == (lhs: RetryPolicy, rhs: RetryPolicy) -> Bool {
        lhs.maxAttempts == rhs.maxAttempts && lhs.backoff == rhs.backoff && lhs.jitter == rhs.jitter
            && lhs.maxElapsedTime == rhs.maxElapsedTime && lhs.retryableMask == rhs.retryableMask
            && lhs.backoffByCategory == rhs.backoffByCategory
    }

    /// Hashes every field.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(maxAttempts)
        hasher.combine(backoff)
        hasher.combine(jitter)
        hasher.combine(maxElapsedTime)
        hasher.combine(retryableMask)
        hasher.combine(backoffByCategory)
    }
}

/// A policy's per-category schedules, boxed so that policies without any copy for free.
@usableFromInline
final class CategorySchedules: Sendable {
    let schedules: [ErrorCategory: Backoff]

    init(_ schedules: [ErrorCategory: Backoff]) {
        self.schedules = schedules
    }
}

extension RetryPolicy: CustomStringConvertible {
    /// A one-line summary such as `3 attempts, exponential(1.0 s × 2.0, max 60.0 s), jitter proportional(0.5), retries [connectionFailure, timeout]`.
    public var description: String {
        var parts = [
            "\(maxAttempts) attempts", "\(backoff)", "jitter \(jitter)",
            "retries [\(retryableCategories.map(\.name).sorted().joined(separator: ", "))]",
        ]
        if let maxElapsedTime { parts.append("within \(maxElapsedTime.inSeconds) s") }
        for (category, schedule) in backoffByCategory.sorted(by: { $0.key.name < $1.key.name }) {
            parts.append("\(category.name): \(schedule)")
        }
        return parts.joined(separator: ", ")
    }
}
