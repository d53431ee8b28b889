import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// A generator that counts its draws and always draws the largest fraction, so a throttle using it
/// never rejects (a draw must fall below the probability).
private struct CountingGenerator: RandomNumberGenerator, Sendable {
    let draws: Counter

    mutating func next() -> UInt64 {
        draws.increment()
        return .max
    }
}

/// The error of an overloaded backend, and of one that answered "not found".
private let overloaded = CategorizedError(category: .transient)
private let notFound = CategorizedError(category: .permanent)

@Suite("Adaptive throttling", .timeLimit(.minutes(5)))
struct AdaptiveThrottleTests {
    /// Makes `accepts` accepted calls and `overloads` overloaded ones through `throttle`.
    private func feed(_ throttle: AdaptiveThrottle<ManualClock>, accepts: Int, overloads: Int) async {
        for _ in 0..<accepts { _ = try? await throttle.execute { 1 } }
        for _ in 0..<overloads {
            _ = try? await throttle.execute { () async throws -> Int in throw overloaded }
        }
    }

    /// K, accepted calls, overloaded calls, and the probability they give.
    struct FormulaCase: Sendable, CustomTestStringConvertible {
        var multiplier: Double
        var accepts: Int
        var overloads: Int
        var expected: Double
        var testDescription: String { "K \(multiplier), \(accepts) accepts of \(accepts + overloads)" }
    }

    static let formulaCases: [FormulaCase] = [
        FormulaCase(multiplier: 2, accepts: 3, overloads: 7, expected: 4.0 / 11),  // (10 − 6) / 11
        FormulaCase(multiplier: 2, accepts: 5, overloads: 5, expected: 0),  // 10 − 10 ≤ 0
        FormulaCase(multiplier: 2, accepts: 0, overloads: 10, expected: 10.0 / 11),
        FormulaCase(multiplier: 1.5, accepts: 4, overloads: 6, expected: 4.0 / 11),  // (10 − 6) / 11
        FormulaCase(multiplier: 1, accepts: 99, overloads: 1, expected: 1.0 / 101),
        FormulaCase(multiplier: 3, accepts: 1, overloads: 9, expected: 7.0 / 11),
    ]

    @Test("the rejection probability is max(0, (requests − K × accepts) / (requests + 1)), exactly", arguments: formulaCases)
    func probabilityFormula(_ formula: FormulaCase) async throws {
        let (multiplier, accepts, overloads, expected) = (formula.multiplier, formula.accepts, formula.overloads, formula.expected)
        let draws = Counter()
        let throttle = AdaptiveThrottle(
            configuration: try AdaptiveThrottleConfiguration(multiplier: multiplier),
            clock: ManualClock(),
            random: .shared(CountingGenerator(draws: draws))
        )
        await feed(throttle, accepts: accepts, overloads: overloads)
        let snapshot = throttle.snapshot()
        #expect(snapshot.requests == accepts + overloads)
        #expect(snapshot.accepts == accepts)
        #expect(snapshot.rejectionProbability == expected)
    }

    @Test("while the backend accepts everything, nothing is rejected and no random number is drawn")
    func healthyBackend() async throws {
        let draws = Counter()
        let throttle = AdaptiveThrottle(clock: ManualClock(), random: .shared(CountingGenerator(draws: draws)))
        for index in 0..<1_000 {
            #expect(try await throttle.execute { index } == index)
        }
        #expect(throttle.snapshot() == AdaptiveThrottleSnapshot(requests: 1_000, accepts: 1_000, rejectionProbability: 0))
        #expect(draws.value == 0)
    }

    @Test("a rejected call throws LimitExceededError(.throttled), never runs, counts as a request and is reported")
    func rejection() async throws {
        let recorder = RecordingObserver()
        let throttle = AdaptiveThrottle(name: "search", clock: ManualClock(), random: .seeded(7), observer: recorder)
        let ran = Counter()
        var rejected = 0
        for _ in 0..<1_000 {
            do {
                _ = try await throttle.execute { () async throws -> Int in
                    ran.increment()
                    throw overloaded  // the backend is down
                }
            } catch let error as LimitExceededError {
                #expect(error == LimitExceededError(limiterName: "search", reason: .throttled))
                rejected += 1
            } catch {
                #expect(error as? CategorizedError == overloaded)
            }
        }
        #expect(rejected + ran.value == 1_000)
        #expect(ran.value < 20)  // p = requests / (requests + 1): the backend hardly sees a call
        #expect(throttle.snapshot() == AdaptiveThrottleSnapshot(requests: 1_000, accepts: 0, rejectionProbability: 1_000.0 / 1_001))
        #expect(recorder.events(.limitExceeded).count == rejected)
        #expect(recorder.events(.limitExceeded).allSatisfy { $0.limitReason == .throttled && $0.strategy == "search" })
        #expect(ErrorClassifier.default.classify(LimitExceededError(limiterName: "x", reason: .throttled)).category == .rejected)
    }

    @Test("a seeded throttle rejects the same calls every time")
    func seededRepeatability() async throws {
        func rejections() async -> [Int] {
            let throttle = AdaptiveThrottle(clock: ManualClock(), random: .seeded(2_024))
            var rejected: [Int] = []
            for index in 0..<300 {
                do {
                    _ = try await throttle.execute { () async throws -> Int in
                        guard index % 4 == 0 else { throw overloaded }  // a backend that accepts a quarter
                        return index
                    }
                } catch is LimitExceededError {
                    rejected.append(index)
                } catch {}
            }
            return rejected
        }
        let first = await rejections()
        #expect(!first.isEmpty)
        #expect(await rejections() == first)
    }

    @Test("counts expire bucket by bucket as the window slides")
    func windowExpiry() async throws {
        let clock = ManualClock()
        let throttle = AdaptiveThrottle(
            configuration: try AdaptiveThrottleConfiguration(window: .seconds(10), bucketCount: 10),
            clock: clock,
            random: .shared(CountingGenerator(draws: Counter()))
        )
        await feed(throttle, accepts: 0, overloads: 4)  // bucket [0, 1)
        clock.advance(to: .at(5))
        await feed(throttle, accepts: 1, overloads: 5)  // bucket [5, 6)
        #expect(throttle.snapshot().requests == 10)
        clock.advance(to: .at(9.999))
        #expect(throttle.snapshot().requests == 10)  // the first bucket is still in the window
        clock.advance(to: .at(10))
        #expect(throttle.snapshot() == AdaptiveThrottleSnapshot(requests: 6, accepts: 1, rejectionProbability: 4.0 / 7))
        clock.advance(to: .at(15))
        #expect(throttle.snapshot() == AdaptiveThrottleSnapshot(requests: 0, accepts: 0, rejectionProbability: 0))
        clock.advance(to: .at(100))  // long idle: every bucket cleared once
        await feed(throttle, accepts: 2, overloads: 0)
        #expect(throttle.snapshot().requests == 2)
    }

    @Test("failures that do not signal overload count as accepted; cancellations count neither way")
    func whatCounts() async throws {
        let throttle = AdaptiveThrottle(clock: ManualClock())
        _ = try? await throttle.execute { () async throws -> Int in throw notFound }
        _ = try? await throttle.execute { () async throws -> Int in throw CategorizedError.timeout }
        _ = try? await throttle.execute { () async throws -> Int in throw CategorizedError.rateLimited() }
        _ = try? await throttle.execute { () async throws -> Int in throw CancellationError() }
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await throttle.execute { 1 }
        }
        _ = try? await cancelled.value  // never ran: nothing counted
        #expect(throttle.snapshot().requests == 3)
        #expect(throttle.snapshot().accepts == 2)  // not found and the timeout: the backend did answer
    }

    @Test("a predicate decides what signals overload, instead of the categories")
    func overloadPredicate() async throws {
        struct Shed: Error {}
        let throttle = AdaptiveThrottle(
            clock: ManualClock(),
            random: .shared(CountingGenerator(draws: Counter())),
            countsAsOverload: { error, _ in error is Shed }
        )
        _ = try? await throttle.execute { () async throws -> Int in throw Shed() }
        _ = try? await throttle.execute { () async throws -> Int in throw overloaded }  // transient, but not Shed
        #expect(throttle.snapshot().requests == 2 && throttle.snapshot().accepts == 1)
    }

    @Test("a result classified as overload counts as not accepted, and is still returned")
    func classifiedResults() async throws {
        let throttle = AdaptiveThrottle(clock: ManualClock(), random: .shared(CountingGenerator(draws: Counter())))
        let status = try await throttle.execute(classifyingResult: { $0 == 503 ? .transient : nil }) { 503 }
        #expect(status == 503)
        let pipeline = ResiliencePipeline(name: "http") {
            throttle.classifyingResults { (status: Int) in status == 429 ? .rateLimited() : nil }
        }
        #expect(try await pipeline.execute { 429 } == 429)
        #expect(try await pipeline.execute { 200 } == 200)
        #expect(throttle.snapshot().requests == 3 && throttle.snapshot().accepts == 1)
    }

    @Test("the cap on the rejection probability holds")
    func cap() async throws {
        let throttle = AdaptiveThrottle(
            configuration: try AdaptiveThrottleConfiguration(maxRejectionProbability: 0.25),
            clock: ManualClock(),
            random: .shared(CountingGenerator(draws: Counter()))
        )
        await feed(throttle, accepts: 0, overloads: 100)
        #expect(throttle.snapshot().rejectionProbability == 0.25)
    }

    @Test("reset forgets every count")
    func reset() async throws {
        let throttle = AdaptiveThrottle(clock: ManualClock())
        await feed(throttle, accepts: 0, overloads: 3)
        throttle.reset()
        #expect(throttle.snapshot() == AdaptiveThrottleSnapshot(requests: 0, accepts: 0, rejectionProbability: 0))
    }

    @Test("in a pipeline, the throttle shares its counts and its events carry the pipeline's name")
    func inPipeline() async throws {
        let recorder = RecordingObserver()
        let throttle = AdaptiveThrottle(name: "api", clock: ManualClock(), random: .seeded(1))
        let pipeline = ResiliencePipeline(name: "search", observer: recorder) { throttle }
        for _ in 0..<50 {
            _ = try? await pipeline.execute { () async throws -> Int in throw overloaded }
        }
        #expect(throttle.snapshot().requests == 50)
        #expect(!recorder.events(.limitExceeded).isEmpty)
        // Every event is the throttle's, but for the pipeline's own end of each call.
        #expect(recorder.events.filter { $0.kind != .callCompleted }.allSatisfy { $0.pipeline == "search" && $0.strategy == "api" })
        #expect(pipeline.description == "search: adaptive-throttle(api: K 2.0 over 30.0 s)")
    }

    @Test("an already-cancelled caller gets CancellationError and the operation never runs")
    func cancelledCaller() async throws {
        let throttle = AdaptiveThrottle(clock: ManualClock())
        let ran = Counter()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await throttle.execute { ran.increment() }
        }
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ran.value == 0)
    }

    @Test("an invalid configuration is rejected by name")
    func invalidConfiguration() {
        func field(_ make: () throws -> AdaptiveThrottleConfiguration) -> String? {
            do {
                _ = try make()
                return nil
            } catch let error as ConfigurationError {
                return error.field
            } catch {
                return "\(error)"
            }
        }
        #expect(field { try AdaptiveThrottleConfiguration(multiplier: 0.5) } == "multiplier")
        #expect(field { try AdaptiveThrottleConfiguration(multiplier: .infinity) } == "multiplier")
        #expect(field { try AdaptiveThrottleConfiguration(window: .zero) } == "window")
        #expect(field { try AdaptiveThrottleConfiguration(bucketCount: 0) } == "bucketCount")
        #expect(field { try AdaptiveThrottleConfiguration(window: .nanoseconds(5), bucketCount: 10) } == "bucketCount")
        #expect(field { try AdaptiveThrottleConfiguration(maxRejectionProbability: 1.5) } == "maxRejectionProbability")
        #expect(field { try AdaptiveThrottleConfiguration(maxRejectionProbability: .nan) } == "maxRejectionProbability")
        #expect(field { try AdaptiveThrottleConfiguration(overloadCategories: [.cancellation]) } == "overloadCategories")
        #expect(field { try AdaptiveThrottleConfiguration.default.with { $0.multiplier = 1.1 } } == nil)
    }

    @Test("an unchecked configuration is made total")
    func uncheckedConfiguration() async throws {
        var configuration = AdaptiveThrottleConfiguration.default
        configuration.multiplier = -1
        configuration.window = .seconds(-5)
        configuration.bucketCount = 0
        configuration.maxRejectionProbability = .nan
        let throttle = AdaptiveThrottle(configuration: configuration, clock: ManualClock(), random: .seeded(3))
        await feed(throttle, accepts: 1, overloads: 3)
        #expect(throttle.snapshot().requests >= 0)  // no crash; the window is one nanosecond long
    }
}

@Suite("Adaptive throttling: convergence", .timeLimit(.minutes(5)))
struct AdaptiveThrottleConvergenceTests {
    /// 60 s of a backend able to accept 100 calls a second under 500 offered, then 60 s of it
    /// recovered (accepting up to 1,000).
    private func simulate(multiplier: Double, seed: UInt64 = 42) async throws -> [ThrottleSimulation.Second] {
        let simulation = ThrottleSimulation(
            phases: [.init(seconds: 60, capacityPerSecond: 100), .init(seconds: 60, capacityPerSecond: 1_000)],
            configuration: try AdaptiveThrottleConfiguration(multiplier: multiplier, window: .seconds(10), bucketCount: 10),
            seed: seed
        )
        let seconds = await simulation.run()
        if ProcessInfo.processInfo.environment["RESILIENCE_PRINT_SIMULATION"] != nil {
            let settled = 20..<60
            print(
                "K \(multiplier): sent \(seconds.mean(\.sent, over: settled))/s, accepted \(seconds.mean(\.accepted, over: settled))/s,",
                "throttled \(seconds.mean(\.throttled, over: settled))/s over \(settled);",
                "after recovery at 60 s: 95 % sent from second \(seconds.firstSecond(from: 60, sendingAtLeast: 0.95) ?? -1),",
                "sent per second 60...70: \(seconds[60..<71].map(\.sent)), mean sent 110..<120: \(seconds.mean(\.sent, over: 110..<120))/s"
            )
        }
        return seconds
    }

    @Test("with K = 2, what reaches a backend of capacity 100/s under 500/s offered settles at about 2 × 100/s")
    func convergesWithDefaultMultiplier() async throws {
        let seconds = try await simulate(multiplier: 2)
        let settled = 20..<60
        #expect(abs(seconds.mean(\.sent, over: settled) - 200) <= 20)  // within 10 % of K × capacity
        #expect(abs(seconds.mean(\.accepted, over: settled) - 100) <= 5)  // the backend stays at capacity
        #expect(seconds.mean(\.throttled, over: settled) >= 270)  // the rest never left the client
    }

    @Test("with K = 1.1, what reaches the backend stays within 10 % of what it accepts")
    func convergesWithTightMultiplier() async throws {
        let seconds = try await simulate(multiplier: 1.1)
        let settled = 20..<60
        let sent = seconds.mean(\.sent, over: settled)
        let accepted = seconds.mean(\.accepted, over: settled)
        #expect(sent <= accepted * 1.1 + 5)
        #expect(abs(accepted - 100) <= 5)
    }

    @Test("with K = 2, when the backend recovers the throttle lets traffic back in smoothly, within one window")
    func recovers() async throws {
        let seconds = try await simulate(multiplier: 2)
        let recovered = try #require(seconds.firstSecond(from: 60, sendingAtLeast: 0.95))
        #expect(recovered <= 70)  // the 10 s window turns over
        let ramp = seconds[60...recovered].map(\.sent)
        #expect(zip(ramp, ramp.dropFirst()).allSatisfy { $0.1 >= $0.0 })  // rising, without relapse
        #expect(seconds[75..<120].allSatisfy { $0.throttled == 0 })
    }

    @Test("with K = 1.1, recovery is slower (the excess grows by K − 1 per window), but steady")
    func recoversSlowlyWithTightMultiplier() async throws {
        let seconds = try await simulate(multiplier: 1.1)
        let settled = seconds.mean(\.sent, over: 20..<60)
        let late = seconds.mean(\.sent, over: 110..<120)
        #expect(late > 2 * settled)
        let windows = stride(from: 60, to: 120, by: 10).map { seconds.mean(\.sent, over: $0..<($0 + 10)) }
        #expect(zip(windows, windows.dropFirst()).allSatisfy { $0.1 > $0.0 })  // every window more than the last
    }

    @Test("the simulation is exact for a given seed")
    func reproducible() async throws {
        let first = try await simulate(multiplier: 2, seed: 9)
        let again = try await simulate(multiplier: 2, seed: 9)
        #expect(first == again)
    }
}
