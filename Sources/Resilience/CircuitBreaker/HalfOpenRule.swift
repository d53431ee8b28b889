/// How a half-open circuit's probe calls decide between closing it and opening it again.
///
/// - ``consecutiveSuccesses(_:)``: close after that many probes succeed; open again on the first
///   failed (or slow) probe. The default, with a count of 1: one successful probe closes the
///   circuit, one failed probe opens it again.
/// - ``failureRate(_:overProbes:)``: resilience4j's rule (`permittedNumberOfCallsInHalfOpenState`):
///   admit `probes` probe calls in all (at most ``CircuitBreakerConfiguration/maxConcurrentProbes``
///   at a time) and judge them together: open again when at least `threshold` of them failed, close
///   otherwise. The decision comes as soon as it is certain, so a circuit whose first probes fail
///   does not wait for the rest.
///
/// Probes whose outcome says nothing about the downstream (an ignored error, a cancellation, a
/// probe that timed out) free their slot and are not judged; another probe takes their place.
public struct HalfOpenRule: Hashable, Sendable, CustomStringConvertible {
    @usableFromInline
    enum Kind: Hashable, Sendable {
        case consecutiveSuccesses(Int)
        case failureRate(threshold: Double, probes: Int)
    }

    @usableFromInline
    let kind: Kind

    init(kind: Kind) {
        self.kind = kind
    }

    /// Close after `count` successful probes; open again on the first failed one.
    ///
    /// - Parameter count: The successful probes that close the circuit; at least 1.
    public static func consecutiveSuccesses(_ count: Int) -> HalfOpenRule {
        HalfOpenRule(kind: .consecutiveSuccesses(count))
    }

    /// Judge `probes` probes by their failure rate: open again when at least `threshold` of them
    /// failed, close otherwise.
    ///
    /// - Parameters:
    ///   - threshold: The failure rate that opens the circuit again, in `0 < threshold ≤ 1`.
    ///   - probes: How many probe outcomes are judged; at least 1.
    public static func failureRate(_ threshold: Double, overProbes probes: Int) -> HalfOpenRule {
        HalfOpenRule(kind: .failureRate(threshold: threshold, probes: probes))
    }

    /// The probes judged: the successes needed for ``consecutiveSuccesses(_:)``, the probes for
    /// ``failureRate(_:overProbes:)``; at least 1 whatever was given.
    public var probes: Int {
        switch kind {
        case .consecutiveSuccesses(let count): max(count, 1)
        case .failureRate(_, let probes): max(probes, 1)
        }
    }

    /// The failure rate that opens the circuit again, for ``failureRate(_:overProbes:)``; `nil` for
    /// ``consecutiveSuccesses(_:)``, where any failure does.
    public var failureRateThreshold: Double? {
        guard case .failureRate(let threshold, _) = kind else { return nil }
        return threshold
    }

    /// What `successes` and `failures` among the probes decide: `true` to close, `false` to open
    /// again, `nil` while undecided.
    func verdict(successes: Int, failures: Int) -> Bool? {
        switch kind {
        case .consecutiveSuccesses:
            if failures > 0 { return false }
            return successes >= probes ? true : nil
        case .failureRate(let threshold, _):
            let total = Double(probes)
            // Certain to open: the failures so far reach the threshold whatever the rest do.
            if Double(failures) >= threshold * total { return false }
            // Certain to close: even if every remaining probe failed, the rate would stay below it.
            if Double(probes - successes) < threshold * total { return true }
            return nil
        }
    }

    /// Checks the parameters.
    ///
    /// - Throws: ``ConfigurationError`` naming `successes`, `threshold` or `probes`.
    public func validate() throws(ConfigurationError) {
        switch kind {
        case .consecutiveSuccesses(let count):
            guard count >= 1 else { throw .invalid("successes", "must be at least 1, got \(count)") }
            guard count <= Self.maximumProbes else {
                throw .invalid("successes", "must be at most \(Self.maximumProbes), got \(count)")
            }
        case .failureRate(let threshold, let probes):
            guard threshold > 0, threshold <= 1 else {
                throw .invalid("threshold", "must be in 0 < threshold ≤ 1, got \(threshold)")
            }
            guard probes >= 1 else { throw .invalid("probes", "must be at least 1, got \(probes)") }
            guard probes <= Self.maximumProbes else {
                throw .invalid("probes", "must be at most \(Self.maximumProbes), got \(probes)")
            }
        }
    }

    /// The most probes a rule may judge (or successes it may ask for).
    public static let maximumProbes = 10_000

    /// A summary such as `closes after 1 successful probe` or `opens again at failure rate 0.5 of 10 probes`.
    public var description: String {
        switch kind {
        case .consecutiveSuccesses(let count):
            "closes after \(count) successful probe\(count == 1 ? "" : "s")"
        case .failureRate(let threshold, let probes):
            "opens again at failure rate \(threshold) of \(probes) probes"
        }
    }
}
