#if canImport(Glibc)
@_spi(ResilienceTools) import Resilience
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How long one network hop takes in ``ContentionSimulation``.
package struct NetworkLatency: Hashable, Sendable, CustomStringConvertible {
    enum Kind: Hashable, Sendable {
        case normal(mean: Double, standardDeviation: Double)
        case fixed(Int64)
    }

    let kind: Kind

    /// `|Normal(mean, standardDeviation)|`, drawn afresh for every hop.
    ///
    /// - Parameters:
    ///   - mean: The mean.
    ///   - standardDeviation: The standard deviation.
    package static func normal(mean: Duration, standardDeviation: Duration) -> NetworkLatency {
        NetworkLatency(
            kind: .normal(mean: Double(mean.saturatingNanoseconds), standardDeviation: Double(standardDeviation.saturatingNanoseconds)))
    }

    /// The same time for every hop, for cases worked by hand.
    ///
    /// - Parameter latency: The time of each hop.
    package static func fixed(_ latency: Duration) -> NetworkLatency {
        NetworkLatency(kind: .fixed(max(latency.saturatingNanoseconds, 0)))
    }

    /// Brooker's network: `|Normal(10 ms, 2 ms)|` per hop.
    package static let brooker = normal(mean: .milliseconds(10), standardDeviation: .milliseconds(2))

    /// A description such as `|Normal(10ms, 2ms)|` or `10ms`.
    package var description: String {
        switch kind {
        case .normal(let mean, let deviation):
            "|Normal(\(DurationArgument.format(.nanoseconds(Int64(mean)))), \(DurationArgument.format(.nanoseconds(Int64(deviation)))))|"
        case .fixed(let nanoseconds):
            DurationArgument.format(.nanoseconds(nanoseconds))
        }
    }
}

/// Draws hop times for one run: Box-Muller pairs from the run's generator, the second kept for the
/// next hop, so that the draws are the same on every platform.
struct LatencySampler {
    private let latency: NetworkLatency
    private var spare: Double?

    init(_ latency: NetworkLatency) {
        self.latency = latency
    }

    /// The next hop's time in nanoseconds.
    mutating func next<Generator: RandomNumberGenerator>(using generator: inout Generator) -> Int64 {
        switch latency.kind {
        case .fixed(let nanoseconds):
            return nanoseconds
        case .normal(let mean, let deviation):
            let standard: Double
            if let spare {
                standard = spare
                self.spare = nil
            } else {
                // u1 in (0, 1], so the logarithm is finite; u2 in [0, 1).
                let u1 = (Double(generator.next() >> 11) + 1) * 0x1p-53
                let u2 = Double(generator.next() >> 11) * 0x1p-53
                let radius = (-2 * log(u1)).squareRoot()
                let angle = 2 * Double.pi * u2
                standard = radius * cos(angle)
                spare = radius * sin(angle)
            }
            return Int64(abs(mean + deviation * standard).rounded())
        }
    }
}
