/// Randomisation applied to a backoff delay, so that clients that failed together do not retry together
/// (the "thundering herd").
///
/// With `d` the schedule's nominal delay, `base` its ``Backoff/initialDelay`` and `cap` its
/// ``Backoff/maxDelay``:
///
/// | jitter | delay |
/// |---|---|
/// | ``none`` | `d` |
/// | ``full`` | uniform in `0..<d` |
/// | ``equal`` | `d/2` + uniform in `0..<d/2` |
/// | ``decorrelated`` | `min(cap, uniform in base..<3 × previous)`, ignoring `d`; `previous` starts at `base` |
/// | ``proportional(_:)`` | `d + uniform in 0..<fraction × d`: `.proportional(0.5)` adds 0–50 % |
/// | ``symmetric(_:)`` | uniform in `d − fraction × d ..< d + fraction × d` (Polly, Failsafe: "± 25 %") |
///
/// The cap holds after jitter, and so does an exponential schedule's ``Backoff/minDelay``. Where `d + fraction × d` would pass the cap, proportional jitter draws
/// from the same width just under it (`cap − fraction × d ..< cap`), so that clients waiting at the cap
/// still spread out instead of all retrying at exactly the cap. Draws come from the injected `RandomNumberGenerator`, mapped to
/// fractions by the library itself, so a seeded generator gives the same delays on every platform.
/// M. Brooker's "Exponential Backoff And Jitter" (AWS Architecture Blog, 2015) compares the kinds;
/// `resilience simulate` reproduces it.
public struct Jitter: Hashable, Sendable {
    @usableFromInline
    enum Kind: Hashable, Sendable {
        case none, full, equal, decorrelated
        case proportional(Double)
        case symmetric(Double)

        var isDecorrelated: Bool {
            if case .decorrelated = self { true } else { false }
        }
    }

    @usableFromInline
    let kind: Kind

    @inlinable
    init(kind: Kind) {
        self.kind = kind
    }

    /// No randomisation: the schedule's delay as is.
    public static let none = Jitter(kind: .none)
    /// Uniform in `0..<d`: the most spread, and the fewest total calls under contention.
    public static let full = Jitter(kind: .full)
    /// `d/2` plus uniform in `0..<d/2`: never less than half the delay.
    public static let equal = Jitter(kind: .equal)
    /// `min(cap, uniform in base..<3 × previous delay)`: each delay drawn from the one before.
    public static let decorrelated = Jitter(kind: .decorrelated)

    /// The delay plus uniform in `0..<fraction × d`: `.proportional(0.5)` is
    /// `delay + random.uniform(0, delay * 0.5)`, adding up to half the delay. Near the cap the window slides under it, keeping its width.
    ///
    /// - Parameter fraction: The largest share of the delay to add, in `0...1`.
    public static func proportional(_ fraction: Double) -> Jitter {
        Jitter(kind: .proportional(fraction))
    }

    /// The delay, give or take up to `fraction × d`: uniform in `d − fraction × d ..< d + fraction × d`,
    /// then within the schedule's cap (Polly's and Failsafe's jitter factor: `.symmetric(0.25)` is
    /// "± 25 %").
    ///
    /// - Parameter fraction: The largest share of the delay to add or take away, in `0...1`.
    public static func symmetric(_ fraction: Double) -> Jitter {
        Jitter(kind: .symmetric(fraction))
    }

    /// Applies the jitter to one nominal delay.
    ///
    /// - Parameters:
    ///   - delay: The schedule's nominal delay for this retry.
    ///   - previousDelay: The delay actually used before the previous retry, or `nil` before the first
    ///     (only ``decorrelated`` uses it).
    ///   - backoff: The schedule, for its ``Backoff/initialDelay`` and ``Backoff/maxDelay``.
    ///   - generator: The source of randomness.
    /// - Returns: The delay to wait, at most the schedule's cap.
    public func apply<Generator: RandomNumberGenerator>(
        to delay: Duration,
        previousDelay: Duration?,
        backoff: Backoff,
        using generator: inout Generator
    ) -> Duration {
        // A zero (or negative) delay stays zero under every jitter but decorrelated, which ignores
        // it, unless the schedule has a floor: answer without the 128-bit arithmetic of
        // `saturatingNanoseconds` (a zero-delay retry's failure path spent a tenth of its time there).
        if delay.attoseconds <= 0, backoff.floor.attoseconds <= 0, !kind.isDecorrelated {
            return .zero
        }
        let nominal = max(delay.saturatingNanoseconds, 0)
        let cap = backoff.maxDelay?.saturatingNanoseconds ?? .max
        let jittered: Int64
        switch kind {
        case .none:
            jittered = nominal
        case .full:
            jittered = generator.nextNanoseconds(from: 0, upTo: nominal)
        case .equal:
            let half = nominal / 2
            jittered = half.saturatingAdd(generator.nextNanoseconds(from: 0, upTo: nominal - half))
        case .decorrelated:
            let base = backoff.initialDelay.saturatingNanoseconds
            let previous = max(previousDelay?.saturatingNanoseconds ?? base, base)
            jittered = generator.nextNanoseconds(from: base, upTo: previous.saturatingMultiply(3))
        case .proportional(let fraction):
            // The window `d ..< d + f·d` slides down under the cap rather than being cut by it, so
            // clients at the cap keep their spread instead of all waiting exactly the cap.
            let spread = Duration.clampedNanoseconds(Double(nominal) * min(max(fraction, 0), 1)).saturatingNanoseconds
            let upper = min(nominal.saturatingAdd(spread), cap)
            jittered = generator.nextNanoseconds(from: max(upper - spread, 0), upTo: upper)
        case .symmetric(let fraction):
            let spread = Duration.clampedNanoseconds(Double(nominal) * min(max(fraction, 0), 1)).saturatingNanoseconds
            jittered = generator.nextNanoseconds(from: nominal - spread, upTo: nominal.saturatingAdd(spread))
        }
        let floor = min(backoff.minDelay?.saturatingNanoseconds ?? 0, cap)
        return .nanoseconds(max(min(jittered, cap), floor))
    }

    /// Checks the jitter's parameters.
    ///
    /// - Throws: ``ConfigurationError`` naming `fraction` when a proportional or symmetric fraction is
    ///   outside `0...1` or not a number.
    public func validate() throws(ConfigurationError) {
        switch kind {
        case .proportional(let fraction), .symmetric(let fraction):
            guard (0...1).contains(fraction) else { throw .invalid("fraction", "must be in 0...1, got \(fraction)") }
        case .none, .full, .equal, .decorrelated:
            break
        }
    }
}

extension Jitter: CustomStringConvertible {
    /// The jitter's name, such as `full` or `proportional(0.5)`.
    public var description: String {
        switch kind {
        case .none: "none"
        case .full: "full"
        case .equal: "equal"
        case .decorrelated: "decorrelated"
        case .proportional(let fraction): "proportional(\(fraction))"
        case .symmetric(let fraction): "symmetric(\(fraction))"
        }
    }
}

/// A backoff schedule with its jitter, producing the delay before each successive retry.
///
/// Keeps the state jitter needs between retries (the retry number, and the previous delay for
/// ``Jitter/decorrelated``). Use it to drive your own loops or simulations with the library's formulas.
///
/// ```swift
/// var delays = JitteredBackoff(.exponential(initial: .milliseconds(5), maxDelay: .seconds(2)), jitter: .full)
/// var generator = SystemRandomNumberGenerator()
/// let first = delays.nextDelay(using: &generator)   // uniform in 0..<5 ms
/// ```
public struct JitteredBackoff: Hashable, Sendable {
    /// The schedule.
    public var backoff: Backoff
    /// The jitter applied to each delay of the schedule.
    public var jitter: Jitter
    /// How many delays this value has produced.
    public private(set) var retriesSoFar = 0
    /// The last delay produced, or `nil` before the first.
    public private(set) var previousDelay: Duration?

    /// Creates the delay sequence of `backoff` with `jitter`, starting before the first retry.
    ///
    /// - Parameters:
    ///   - backoff: The schedule.
    ///   - jitter: The jitter applied to each delay.
    public init(_ backoff: Backoff, jitter: Jitter) {
        self.backoff = backoff
        self.jitter = jitter
    }

    /// The delay before the next retry.
    ///
    /// - Parameter generator: The source of randomness.
    /// - Returns: The jittered delay for retry number `retriesSoFar + 1`.
    public mutating func nextDelay<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Duration {
        retriesSoFar += 1
        let delay = jitter.apply(
            to: backoff.delay(forRetry: retriesSoFar),
            previousDelay: previousDelay,
            backoff: backoff,
            using: &generator
        )
        previousDelay = delay
        return delay
    }
}
