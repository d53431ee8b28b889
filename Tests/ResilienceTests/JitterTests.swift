import Resilience
import ResilienceTestKit
import Testing

@Suite("Jitter")
struct JitterTests {
    static let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: .seconds(60))

    /// Six delays of `schedule` under `jitter`, drawing from one generator seeded with 42.
    static func delays(_ jitter: Jitter, schedule: Backoff = schedule, seed: UInt64 = 42, count: Int = 6) -> [Duration] {
        var generator = SeededRandomNumberGenerator(seed: seed)
        var delays = JitteredBackoff(schedule, jitter: jitter)
        return (0..<count).map { _ in delays.nextDelay(using: &generator) }
    }

    // Expected values computed independently (SplitMix64 and the documented formulas, in Python).
    @Test(
        "each jitter kind yields an exact, repeatable delay sequence under a seeded generator",
        arguments: [
            (Jitter.none, [1_000_000_000, 2_000_000_000, 4_000_000_000, 8_000_000_000, 16_000_000_000, 32_000_000_000]),
            (.full, [741_564_878, 319_820_785, 1_114_404_521, 2_753_525_732, 608_482_696, 27_783_298_449]),
            (.equal, [870_782_439, 1_159_910_392, 2_557_202_260, 5_376_762_866, 8_304_241_348, 29_891_649_224]),
            (.decorrelated, [2_483_129_757, 2_031_324_372, 2_419_186_667, 3_153_794_060, 1_321_787_790, 3_574_611_734]),
            (
                .proportional(0.5),
                [
                    1_370_782_439, 2_159_910_392, 4_557_202_260, 9_376_762_866, 16_304_241_348, 45_891_649_224,
                ]
            ),
        ] as [(Jitter, [Int64])]
    )
    func exactSequence(jitter: Jitter, nanoseconds: [Int64]) {
        #expect(Self.delays(jitter) == nanoseconds.map(Duration.nanoseconds))
    }

    @Test("jitter stays within its documented bounds over thousands of seeds")
    func boundsOverManySeeds() {
        let nominal = Duration.seconds(8)
        let cap = Duration.seconds(10)
        let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: cap)
        for seed in UInt64(0)..<5_000 {
            var generator = SeededRandomNumberGenerator(seed: seed)
            let full = Jitter.full.apply(to: nominal, previousDelay: nil, backoff: schedule, using: &generator)
            #expect(full >= .zero && full < nominal)
            let equal = Jitter.equal.apply(to: nominal, previousDelay: nil, backoff: schedule, using: &generator)
            #expect(equal >= .seconds(4) && equal < nominal)
            let proportional = Jitter.proportional(0.5).apply(to: .seconds(4), previousDelay: nil, backoff: schedule, using: &generator)
            #expect(proportional >= .seconds(4) && proportional < .seconds(6))
            let decorrelated = Jitter.decorrelated.apply(
                to: nominal, previousDelay: .seconds(2), backoff: schedule, using: &generator
            )
            #expect(decorrelated >= .seconds(1) && decorrelated < .seconds(6))
        }
    }

    @Test("jitter spreads delays over the whole range rather than clustering")
    func spread() {
        var generator = SeededRandomNumberGenerator(seed: 7)
        var buckets = [Int](repeating: 0, count: 10)
        for _ in 0..<10_000 {
            let delay = Jitter.full.apply(to: .seconds(10), previousDelay: nil, backoff: .constant(.seconds(10)), using: &generator)
            buckets[Int(delay.components.seconds)] += 1
        }
        // Each second of the range gets about a tenth of the draws.
        #expect(buckets.allSatisfy { (900...1_100).contains($0) }, "\(buckets)")
    }

    @Test(
        "the cap holds after jitter is applied",
        arguments: [Jitter.proportional(1), .proportional(0.5), .decorrelated, .full, .equal, .none])
    func capHoldsAfterJitter(jitter: Jitter) {
        let cap = Duration.seconds(60)
        let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: cap)
        for seed in UInt64(0)..<500 {
            let delays = Self.delays(jitter, schedule: schedule, seed: seed, count: 12)
            #expect(delays.allSatisfy { $0 <= cap })
        }
        // Near the cap, proportional and decorrelated jitter would exceed it without the clamp.
        if jitter == .proportional(1) {
            #expect(Self.delays(jitter, schedule: schedule, count: 12).suffix(5).allSatisfy { $0 < cap })
        }
    }

    @Test("proportional jitter keeps its spread at the cap instead of sending every client at the cap")
    func proportionalSpreadAtCap() throws {
        let cap = Duration.seconds(60)
        let schedule = Backoff.exponential(initial: .seconds(1), multiplier: 2, maxDelay: cap)
        let delays = (UInt64(0)..<1_000).map { seed in
            var generator = SeededRandomNumberGenerator(seed: seed)
            return Jitter.proportional(0.5).apply(to: cap, previousDelay: nil, backoff: schedule, using: &generator)
        }
        #expect(delays.allSatisfy { $0 >= .seconds(30) && $0 < cap })
        #expect(try #require(delays.max()) - #require(delays.min()) > .seconds(25))  // spread over most of 30 s, not lockstep at 60 s
    }

    @Test("decorrelated jitter draws each delay from base up to three times the previous one")
    func decorrelatedGrowsFromPrevious() {
        let schedule = Backoff.exponential(initial: .milliseconds(100), multiplier: 2, maxDelay: .seconds(100))
        for seed in UInt64(0)..<200 {
            var generator = SeededRandomNumberGenerator(seed: seed)
            var delays = JitteredBackoff(schedule, jitter: .decorrelated)
            var previous = Duration.milliseconds(100)
            for _ in 0..<10 {
                let delay = delays.nextDelay(using: &generator)
                #expect(delay >= .milliseconds(100) && delay < previous * 3)
                previous = delay
            }
        }
    }

    @Test("a zero-delay schedule stays zero under every jitter")
    func zeroDelay() {
        var generator = SeededRandomNumberGenerator(seed: 1)
        let schedule = Backoff.constant(.zero)
        for jitter in [Jitter.none, .full, .equal, .proportional(0.5), .decorrelated] {
            #expect(jitter.apply(to: .zero, previousDelay: nil, backoff: schedule, using: &generator) == .zero)
        }
    }

    @Test("a proportional fraction outside 0...1 is rejected by name", arguments: [-0.1, 1.5, Double.nan, .infinity])
    func invalidFraction(fraction: Double) {
        #expect(throws: ConfigurationError.self) { try Jitter.proportional(fraction).validate() }
        do {
            try Jitter.proportional(fraction).validate()
        } catch {
            #expect(error.field == "fraction")
        }
    }
}
