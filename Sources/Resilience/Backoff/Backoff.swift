/// How long to wait before each retry, before jitter: constant, linear, exponential, or a custom list.
///
/// A schedule maps the retry number (1 for the wait after the first failed attempt) to a nominal
/// delay. ``Jitter`` then randomises it within the schedule's ``maxDelay``.
///
/// ```swift
/// let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))
/// schedule.delay(forRetry: 1)      // 1 s
/// schedule.delay(forRetry: 4)      // 8 s
/// schedule.delay(forRetry: 1_000)  // 60 s: the cap, never an overflow
/// ```
///
/// Computing a delay never traps: arithmetic saturates, negative values count as zero and results
/// never exceed ``maxDelay``. Out-of-range parameters are reported, naming the field, by
/// ``validate()`` and by ``RetryPolicy``'s initialiser.
public struct Backoff: Hashable, Sendable {
    @usableFromInline
    enum Kind: Hashable, Sendable {
        case constant(Duration)
        case linear(initial: Duration, increment: Duration, maxDelay: Duration)
        case exponential(initial: Duration, multiplier: Double, maxDelay: Duration)
        case custom([Duration])
    }

    @usableFromInline
    let kind: Kind

    @inlinable
    init(kind: Kind) {
        self.kind = kind
    }

    /// The same delay before every retry.
    ///
    /// - Parameter delay: The delay; `.zero` retries immediately (without sleeping).
    public static func constant(_ delay: Duration) -> Backoff {
        Backoff(kind: .constant(delay))
    }

    /// A delay growing by a fixed step: `initial`, `initial + increment`, `initial + 2 × increment`, …,
    /// never more than `maxDelay`.
    ///
    /// - Parameters:
    ///   - initial: The delay before the first retry.
    ///   - increment: What each further retry adds.
    ///   - maxDelay: The cap. Must be at least `initial`.
    public static func linear(initial: Duration, increment: Duration, maxDelay: Duration) -> Backoff {
        Backoff(kind: .linear(initial: initial, increment: increment, maxDelay: maxDelay))
    }

    /// A delay multiplied on each retry: `initial`, `initial × multiplier`, `initial × multiplier²`, …,
    /// never more than `maxDelay`.
    ///
    /// The guide's `min(base_delay * 2 ** attempt, max_delay)` is
    /// `.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))`.
    ///
    /// - Parameters:
    ///   - initial: The delay before the first retry.
    ///   - multiplier: The growth factor, at least 1.
    ///   - maxDelay: The cap. Must be at least `initial`.
    public static func exponential(initial: Duration, multiplier: Double = 2, maxDelay: Duration) -> Backoff {
        Backoff(kind: .exponential(initial: initial, multiplier: multiplier, maxDelay: maxDelay))
    }

    /// Delays given one by one; the last repeats for any further retries.
    ///
    /// - Parameter delays: The delays before retries 1, 2, 3, …; at least one.
    public static func custom(_ delays: [Duration]) -> Backoff {
        Backoff(kind: .custom(delays))
    }

    /// The first delay of the schedule; the floor of decorrelated jitter.
    public var initialDelay: Duration {
        switch kind {
        case .constant(let delay): max(delay, .zero)
        case .linear(let initial, _, _), .exponential(let initial, _, _): max(initial, .zero)
        case .custom(let delays): max(delays.first ?? .zero, .zero)
        }
    }

    /// The longest delay the schedule yields, which jitter and server hints may not exceed either;
    /// `nil` for ``constant(_:)`` and ``custom(_:)`` schedules, which have no cap of their own.
    public var maxDelay: Duration? {
        switch kind {
        case .constant, .custom: nil
        case .linear(_, _, let maxDelay), .exponential(_, _, let maxDelay): max(maxDelay, .zero)
        }
    }

    /// The nominal delay before retry number `retry`, before jitter.
    ///
    /// - Parameter retry: 1 for the wait after the first failed attempt, 2 after the second, and so on.
    ///   Values below 1 count as 1.
    /// - Returns: A delay in `0...maxDelay`.
    /// - Complexity: O(1).
    public func delay(forRetry retry: Int) -> Duration {
        let index = Int64(max(retry, 1) - 1)
        switch kind {
        case .constant(let delay):
            return min(max(delay, .zero), .saturatedMaximum)
        case .linear(let initial, let increment, let maxDelay):
            let cap = max(maxDelay.saturatingNanoseconds, 0)
            let step = max(increment.saturatingNanoseconds, 0).saturatingMultiply(index)
            let nanoseconds = max(initial.saturatingNanoseconds, 0).saturatingAdd(step)
            return .nanoseconds(min(nanoseconds, cap))
        case .exponential(let initial, let multiplier, let maxDelay):
            let cap = Double(max(maxDelay.saturatingNanoseconds, 0))
            let growth = power(multiplier, Double(index))
            let nanoseconds = Double(max(initial.saturatingNanoseconds, 0)) * growth
            // NaN (from a NaN multiplier) and infinity both end at the cap.
            guard nanoseconds.isFinite, nanoseconds < cap else { return .clampedNanoseconds(cap) }
            return .clampedNanoseconds(nanoseconds)
        case .custom(let delays):
            guard let last = delays.last else { return .zero }
            return min(max(index < delays.count ? delays[Int(index)] : last, .zero), .saturatedMaximum)
        }
    }

    /// Checks every parameter.
    ///
    /// - Throws: ``ConfigurationError`` naming the field (`initialDelay`, `increment`, `multiplier`,
    ///   `maxDelay`, `delays`) for a negative delay or one over `Int64.max` nanoseconds (about 292 years),
    ///   a multiplier below 1 or not finite, a cap below the initial delay, or an empty custom list.
    public func validate() throws(ConfigurationError) {
        switch kind {
        case .constant(let delay):
            try Self.requireNonNegative(delay, "delay")
        case .linear(let initial, let increment, let maxDelay):
            try Self.requireNonNegative(initial, "initialDelay")
            try Self.requireNonNegative(increment, "increment")
            try Self.requireCap(maxDelay, atLeast: initial)
        case .exponential(let initial, let multiplier, let maxDelay):
            try Self.requireNonNegative(initial, "initialDelay")
            guard multiplier.isFinite else {
                throw .invalid("multiplier", "must be a finite number, got \(multiplier)")
            }
            guard multiplier >= 1 else {
                throw .invalid("multiplier", "must be at least 1, got \(multiplier)")
            }
            try Self.requireCap(maxDelay, atLeast: initial)
        case .custom(let delays):
            guard !delays.isEmpty else { throw .invalid("delays", "must list at least one delay") }
            for (index, delay) in delays.enumerated() {
                try Self.requireNonNegative(delay, "delays[\(index)]")
            }
        }
    }

    private static func requireNonNegative(_ delay: Duration, _ field: String) throws(ConfigurationError) {
        guard delay >= .zero else { throw .invalid(field, "must not be negative, got \(delay)") }
        guard delay <= .saturatedMaximum else {
            throw .invalid(field, "must be at most \(Duration.saturatedMaximum) (about 292 years), got \(delay)")
        }
    }

    private static func requireCap(_ maxDelay: Duration, atLeast initial: Duration) throws(ConfigurationError) {
        try requireNonNegative(maxDelay, "maxDelay")
        guard maxDelay >= initial else {
            throw .invalid("maxDelay", "must be at least initialDelay (\(initial)), got \(maxDelay)")
        }
    }
}

extension Backoff: CustomStringConvertible {
    /// A short description such as `exponential(1.0 s × 2.0, max 60.0 s)`.
    public var description: String {
        switch kind {
        case .constant(let delay):
            "constant(\(delay.inSeconds) s)"
        case .linear(let initial, let increment, let maxDelay):
            "linear(\(initial.inSeconds) s + \(increment.inSeconds) s, max \(maxDelay.inSeconds) s)"
        case .exponential(let initial, let multiplier, let maxDelay):
            "exponential(\(initial.inSeconds) s × \(multiplier), max \(maxDelay.inSeconds) s)"
        case .custom(let delays):
            "custom(\(delays.map { "\($0.inSeconds) s" }.joined(separator: ", ")))"
        }
    }
}
