/// How long to wait before each retry, before jitter: constant, linear, exponential, or a custom list.
///
/// A schedule maps the retry number (1 for the wait after the first failed attempt) to a nominal
/// delay. ``Jitter`` then randomises it within the schedule's ``minDelay`` and ``maxDelay``.
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
    /// The schedule's shape.
    @usableFromInline
    enum Shape: UInt8, Hashable, Sendable {
        case constant, linear, exponential, custom
    }

    // Plain values (and one optional reference for custom lists) rather than an enum with an array
    // payload, so that copying a schedule, as every `retry(.default) { … }` call copies its policy,
    // is a plain copy: no value witnesses, no reference counting but for a custom list.
    @usableFromInline let shape: Shape
    /// The constant delay, or the first delay of a linear or exponential schedule.
    @usableFromInline let initial: Duration
    /// What each retry adds (linear).
    @usableFromInline let increment: Duration
    /// The growth factor (exponential).
    @usableFromInline let multiplier: Double
    /// The cap (linear, exponential).
    @usableFromInline let cap: Duration
    /// The floor (exponential), zero for none.
    @usableFromInline let floor: Duration
    /// The delays of a custom schedule.
    @usableFromInline let delays: DelayList?

    private init(
        shape: Shape,
        initial: Duration = .zero,
        increment: Duration = .zero,
        multiplier: Double = 1,
        cap: Duration = .zero,
        floor: Duration = .zero,
        delays: DelayList? = nil
    ) {
        self.shape = shape
        self.initial = initial
        self.increment = increment
        self.multiplier = multiplier
        self.cap = cap
        self.floor = floor
        self.delays = delays
    }

    /// The same delay before every retry.
    ///
    /// - Parameter delay: The delay; `.zero` retries immediately (without sleeping).
    public static func constant(_ delay: Duration) -> Backoff {
        Backoff(shape: .constant, initial: delay)
    }

    /// A delay growing by a fixed step: `initial`, `initial + increment`, `initial + 2 × increment`, …,
    /// never more than `maxDelay`.
    ///
    /// - Parameters:
    ///   - initial: The delay before the first retry.
    ///   - increment: What each further retry adds.
    ///   - maxDelay: The cap. Must be at least `initial`.
    public static func linear(initial: Duration, increment: Duration, maxDelay: Duration) -> Backoff {
        Backoff(shape: .linear, initial: initial, increment: increment, cap: maxDelay)
    }

    /// A delay multiplied on each retry: `initial`, `initial × multiplier`, `initial × multiplier²`, …,
    /// never less than `minDelay` nor more than `maxDelay`.
    ///
    /// `min(base_delay * 2 ** attempt, max_delay)` with a 1 s base and a 60 s cap is
    /// `.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))`; tenacity's
    /// `wait_exponential(multiplier=1, min=4, max=10)` is
    /// `.exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(10), minDelay: .seconds(4))`.
    /// The floor holds after jitter too, as the cap does.
    ///
    /// - Parameters:
    ///   - initial: The delay before the first retry.
    ///   - multiplier: The growth factor, at least 1.
    ///   - maxDelay: The cap. Must be at least `initial` and `minDelay`.
    ///   - minDelay: The floor: no delay is shorter, jitter included. Default: none.
    public static func exponential(
        initial: Duration,
        multiplier: Double = 2,
        maxDelay: Duration,
        minDelay: Duration = .zero
    ) -> Backoff {
        Backoff(shape: .exponential, initial: initial, multiplier: multiplier, cap: maxDelay, floor: minDelay)
    }

    /// Delays given one by one; the last repeats for any further retries.
    ///
    /// - Parameter delays: The delays before retries 1, 2, 3, …; at least one.
    public static func custom(_ delays: [Duration]) -> Backoff {
        Backoff(shape: .custom, delays: DelayList(delays))
    }

    /// The schedule's parameters, for code that reads them (encoding, descriptions, validation).
    enum Kind {
        case constant(Duration)
        case linear(initial: Duration, increment: Duration, maxDelay: Duration)
        case exponential(initial: Duration, multiplier: Double, maxDelay: Duration, minDelay: Duration)
        case custom([Duration])
    }

    /// The schedule's parameters.
    var kind: Kind {
        switch shape {
        case .constant: .constant(initial)
        case .linear: .linear(initial: initial, increment: increment, maxDelay: cap)
        case .exponential: .exponential(initial: initial, multiplier: multiplier, maxDelay: cap, minDelay: floor)
        case .custom: .custom(delays?.values ?? [])
        }
    }

    /// The first delay of the schedule; the floor of decorrelated jitter.
    public var initialDelay: Duration {
        switch shape {
        case .constant, .linear, .exponential: max(initial, .zero)
        case .custom: max(delays?.values.first ?? .zero, .zero)
        }
    }

    /// The longest delay the schedule yields, which jitter and server hints may not exceed either;
    /// `nil` for ``constant(_:)`` and ``custom(_:)`` schedules, which have no cap of their own.
    public var maxDelay: Duration? {
        switch shape {
        case .constant, .custom: nil
        case .linear, .exponential: max(cap, .zero)
        }
    }

    /// The shortest delay the schedule yields, jitter included; `nil` when it has no floor.
    public var minDelay: Duration? {
        floor > .zero ? min(floor, .saturatedMaximum) : nil
    }

    /// The nominal delay before retry number `retry`, before jitter.
    ///
    /// - Parameter retry: 1 for the wait after the first failed attempt, 2 after the second, and so on.
    ///   Values below 1 count as 1.
    /// - Returns: A delay in `minDelay...maxDelay`.
    /// - Complexity: O(1).
    @inlinable
    public func delay(forRetry retry: Int) -> Duration {
        switch shape {
        case .constant:
            // The common zero delay costs no arithmetic (`Duration`'s comparisons are calls into the
            // standard library; its 128-bit `attoseconds` compare inline).
            return initial.attoseconds <= 0 ? .zero : min(initial, .saturatedMaximum)
        case .linear, .exponential, .custom:
            return scheduledDelay(forRetry: retry)
        }
    }

    @usableFromInline
    func scheduledDelay(forRetry retry: Int) -> Duration {
        let index = Int64(max(retry, 1) - 1)
        switch shape {
        case .constant:
            return min(max(initial, .zero), .saturatedMaximum)
        case .linear:
            let cap = max(cap.saturatingNanoseconds, 0)
            let step = max(increment.saturatingNanoseconds, 0).saturatingMultiply(index)
            let nanoseconds = max(initial.saturatingNanoseconds, 0).saturatingAdd(step)
            return .nanoseconds(min(nanoseconds, cap))
        case .exponential:
            let cap = max(cap.saturatingNanoseconds, 0)
            let floor = min(max(floor.saturatingNanoseconds, 0), cap)
            let growth = power(multiplier, Double(index))
            let nanoseconds = Double(max(initial.saturatingNanoseconds, 0)) * growth
            // NaN (from a NaN multiplier) and infinity both end at the cap.
            guard nanoseconds.isFinite, nanoseconds < Double(cap) else { return .nanoseconds(cap) }
            return .nanoseconds(max(Duration.clampedNanoseconds(nanoseconds).saturatingNanoseconds, floor))
        case .custom:
            guard let values = delays?.values, let last = values.last else { return .zero }
            return min(max(index < values.count ? values[Int(index)] : last, .zero), .saturatedMaximum)
        }
    }

    /// Checks every parameter.
    ///
    /// - Throws: ``ConfigurationError`` naming the field (`initialDelay`, `increment`, `multiplier`,
    ///   `maxDelay`, `minDelay`, `delays`) for a negative delay or one over `Int64.max` nanoseconds (about
    ///   292 years), a multiplier below 1 or not finite, a cap below the initial delay or the floor, or
    ///   an empty custom list.
    public func validate() throws(ConfigurationError) {
        switch kind {
        case .constant(let delay):
            try Self.requireNonNegative(delay, "delay")
        case .linear(let initial, let increment, let maxDelay):
            try Self.requireNonNegative(initial, "initialDelay")
            try Self.requireNonNegative(increment, "increment")
            try Self.requireCap(maxDelay, atLeast: initial)
        case .exponential(let initial, let multiplier, let maxDelay, let minDelay):
            try Self.requireNonNegative(initial, "initialDelay")
            guard multiplier.isFinite else {
                throw .invalid("multiplier", "must be a finite number, got \(multiplier)")
            }
            guard multiplier >= 1 else {
                throw .invalid("multiplier", "must be at least 1, got \(multiplier)")
            }
            try Self.requireCap(maxDelay, atLeast: initial)
            try Self.requireNonNegative(minDelay, "minDelay")
            guard minDelay <= maxDelay else {
                throw .invalid("minDelay", "must not exceed maxDelay (\(maxDelay)), got \(minDelay)")
            }
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

/// The delays of a custom schedule, boxed so that schedules without one copy without reference counting.
@usableFromInline
final class DelayList: Hashable, Sendable {
    let values: [Duration]

    init(_ values: [Duration]) {
        self.values = values
    }

    @usableFromInline
    static func == (lhs: DelayList, rhs: DelayList) -> Bool {
        lhs.values == rhs.values
    }

    @usableFromInline
    func hash(into hasher: inout Hasher) {
        hasher.combine(values)
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
        case .exponential(let initial, let multiplier, let maxDelay, let minDelay):
            "exponential(\(initial.inSeconds) s × \(multiplier), "
                + (minDelay > .zero ? "min \(minDelay.inSeconds) s, " : "") + "max \(maxDelay.inSeconds) s)"
        case .custom(let delays):
            "custom(\(delays.map { "\($0.inSeconds) s" }.joined(separator: ", ")))"
        }
    }
}
