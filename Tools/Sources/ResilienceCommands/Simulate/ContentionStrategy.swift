import Resilience

/// How a client of ``ContentionSimulation`` waits after a failed write: no wait, or the library's
/// ``Backoff`` schedule with one of its ``Jitter`` kinds.
///
/// The simulation follows Brooker's model, whose n-th backoff (n = 1 for the first) is
/// `min(cap, base × 2ⁿ)` before jitter: the library's
/// `Backoff.exponential(initial: base, multiplier: 2, maxDelay: cap)` at retry `n + 1`, so the first
/// backoff's nominal delay is 2 × base. Decorrelated jitter draws from `base..<3 × previous`, as his
/// does. Every delay comes from ``Jitter/apply(to:previousDelay:backoff:using:)`` and
/// ``Backoff/delay(forRetry:)``: the simulation has no formula of its own.
package struct ContentionStrategy: Hashable, Sendable, CustomStringConvertible {
    /// The strategy's name in tables, CSV and charts, such as `full` or `proportional:0.5`.
    package var name: String
    /// The schedule, or `nil` to retry at once.
    package var backoff: Backoff?
    /// The jitter applied to the schedule.
    package var jitter: Jitter

    /// Creates a strategy.
    ///
    /// - Parameters:
    ///   - name: Its name in the output.
    ///   - backoff: The schedule, or `nil` to retry at once.
    ///   - jitter: The jitter applied to the schedule.
    package init(name: String, backoff: Backoff?, jitter: Jitter) {
        self.name = name
        self.backoff = backoff
        self.jitter = jitter
    }

    /// Retry at once.
    package static let noBackoff = ContentionStrategy(name: "no-backoff", backoff: nil, jitter: .none)

    /// The names ``named(_:base:cap:)`` accepts, in the order of ``standard(base:cap:)``.
    package static let names = ["no-backoff", "exponential", "full", "equal", "decorrelated", "proportional[:F]"]

    /// Every strategy the library offers: no backoff, exponential without jitter, and exponential with
    /// full, equal, decorrelated and proportional (0.5, the guide's and the presets' default) jitter.
    ///
    /// - Parameters:
    ///   - base: The backoff's base (Brooker: 5 ms).
    ///   - cap: The backoff's cap (Brooker: 2 s).
    /// - Returns: The strategies, in the order of ``names``.
    package static func standard(base: Duration = .milliseconds(5), cap: Duration = .seconds(2)) -> [ContentionStrategy] {
        let schedule = Backoff.exponential(initial: base, multiplier: 2, maxDelay: cap)
        return [
            .noBackoff,
            ContentionStrategy(name: "exponential", backoff: schedule, jitter: .none),
            ContentionStrategy(name: "full", backoff: schedule, jitter: .full),
            ContentionStrategy(name: "equal", backoff: schedule, jitter: .equal),
            ContentionStrategy(name: "decorrelated", backoff: schedule, jitter: .decorrelated),
            ContentionStrategy(name: "proportional:0.5", backoff: schedule, jitter: .proportional(0.5)),
        ]
    }

    /// The strategy called `name`: `no-backoff`, `exponential` (no jitter), or a jitter kind as
    /// `resilience run --jitter` takes it (`full`, `equal`, `decorrelated`, `proportional[:F]`).
    ///
    /// - Parameters:
    ///   - name: The name.
    ///   - base: The backoff's base.
    ///   - cap: The backoff's cap.
    /// - Returns: The strategy.
    /// - Throws: ``ArgumentError`` for an unknown name.
    package static func named(
        _ name: String, base: Duration = .milliseconds(5), cap: Duration = .seconds(2)
    ) throws(ArgumentError)
        -> ContentionStrategy
    {
        let schedule = Backoff.exponential(initial: base, multiplier: 2, maxDelay: cap)
        switch name.trimmingSpaces().lowercased() {
        case "no-backoff", "nobackoff": return .noBackoff
        case "exponential", "none": return ContentionStrategy(name: "exponential", backoff: schedule, jitter: .none)
        default:
            let jitter: Jitter
            do {
                jitter = try JitterArgument.parse(name)
            } catch {
                throw ArgumentError("unknown strategy \"\(name)\"; expected some of \(names.joined(separator: ", "))")
            }
            return ContentionStrategy(name: "\(jitter)".replacingProportional(), backoff: schedule, jitter: jitter)
        }
    }

    /// The wait after a client's `failures`-th failed write.
    ///
    /// - Parameters:
    ///   - failures: How many writes of this client have failed, from 1.
    ///   - previousDelay: The client's previous wait, or `nil` before the first.
    ///   - generator: The run's generator.
    /// - Returns: The library's jittered delay for Brooker's retry number `failures`.
    @inline(__always)
    func delay<Generator: RandomNumberGenerator>(
        afterFailure failures: Int,
        previousDelay: Duration?,
        using generator: inout Generator
    ) -> Duration {
        guard let backoff else { return .zero }
        return jitter.apply(
            to: backoff.delay(forRetry: failures + 1),
            previousDelay: previousDelay,
            backoff: backoff,
            using: &generator
        )
    }

    /// The name.
    package var description: String { name }
}

extension String {
    /// `proportional(0.5)` as `proportional:0.5`, the command line's spelling.
    fileprivate func replacingProportional() -> String {
        guard hasPrefix("proportional("), hasSuffix(")") else { return self }
        return "proportional:" + dropFirst("proportional(".count).dropLast()
    }
}
