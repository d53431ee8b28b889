/// The steps a fault server takes for the requests to one path, in order: an explicit list, then a
/// step for every request after it; or a seeded random choice per request, the same for the same seed.
public struct FaultScript: Sendable {
    private enum Source: Sendable {
        case steps([FaultStep], then: FaultStep)
        case seeded(UInt64, faultRate: Double, faults: [FaultStep], otherwise: FaultStep)
        case computed(@Sendable (_ path: String, _ index: Int) -> FaultStep)
    }

    private let source: Source

    /// `steps` for the first requests, one each, then `then` for every later one.
    ///
    /// - Parameters:
    ///   - steps: The first requests' steps, in order.
    ///   - then: The step for every request after them; 200 `ok` by default.
    public init(_ steps: [FaultStep], then: FaultStep = .respond(200, body: "ok")) {
        source = .steps(steps, then: then)
    }

    /// For each request, one of `faults` with probability `faultRate` (each equally likely), else
    /// `otherwise`: drawn from a generator seeded with `seed`, so that the same seed gives the same
    /// sequence of steps.
    ///
    /// - Parameters:
    ///   - seed: The seed.
    ///   - faultRate: The probability of a fault, clamped to 0...1.
    ///   - faults: The faults to choose from; none means `otherwise` always.
    ///   - otherwise: The step when no fault is drawn.
    /// - Returns: The script.
    public static func seeded(
        _ seed: UInt64, faultRate: Double, faults: [FaultStep], otherwise: FaultStep = .respond(200, body: "ok")
    ) -> FaultScript {
        FaultScript(source: .seeded(seed, faultRate: faultRate.isNaN ? 0 : min(max(faultRate, 0), 1), faults: faults, otherwise: otherwise))
    }

    /// For each request, the step `step` gives for its path and its place among the requests to that
    /// path: a script that is a function of what the request names (a receipt in its path, the
    /// attempt it is), never of the order in which requests to other paths arrive.
    ///
    /// - Parameter step: The step for a request to `path` numbered `index` (from 0) on that path.
    /// - Returns: The script.
    public static func computed(_ step: @escaping @Sendable (_ path: String, _ index: Int) -> FaultStep) -> FaultScript {
        FaultScript(source: .computed(step))
    }

    private init(source: Source) {
        self.source = source
    }

    /// The step for the request numbered `index` (from 0) to the script's path.
    ///
    /// - Parameters:
    ///   - index: The request's number.
    ///   - path: The request's path, for a ``computed(_:)`` script.
    /// - Returns: Its step.
    public func step(at index: Int, path: String = "") -> FaultStep {
        switch source {
        case .computed(let step):
            return step(path, index)
        case .steps(let steps, let then):
            return steps.indices.contains(index) ? steps[index] : then
        case .seeded(let seed, let faultRate, let faults, let otherwise):
            // Each request's draw depends on the seed and its index alone (a SplitMix64 step), so
            // concurrent requests cannot change one another's steps.
            var generator = SplitMix64(state: seed &+ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
            let draw = Double(generator.next() >> 11) / Double(1 << 53)
            guard !faults.isEmpty, draw < faultRate else { return otherwise }
            return faults[Int(generator.next() % UInt64(faults.count))]
        }
    }
}

/// SplitMix64, for seeded scripts.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
