import Resilience
import ResilienceTestKit
import Testing

@testable import ResilienceCommands

@Suite("The contention simulation")
struct ContentionSimulationTests {
    let strategies = ContentionStrategy.standard()
    let tenMilliseconds = NetworkLatency.fixed(.milliseconds(10))

    func strategy(_ name: String) throws -> ContentionStrategy {
        try #require(strategies.first { $0.name == name })
    }

    @Test("one client makes exactly one call, whatever the strategy and the network", arguments: 0..<6)
    func oneClient(strategyIndex: Int) {
        let simulation = ContentionSimulation(clients: 1, strategy: strategies[strategyIndex])
        for seed in 0..<20 as Range<UInt64> {
            let result = simulation.run(seed: seed)
            #expect(result.writeCalls == 1)
            #expect(result.completionTime > .milliseconds(10))
        }
        // With fixed 10 ms hops: read, reply, write, reply.
        let fixed = ContentionSimulation(clients: 1, strategy: strategies[strategyIndex], latency: tenMilliseconds)
        #expect(fixed.run(seed: 1) == ContentionResult(writeCalls: 1, completionTime: .milliseconds(40)))
    }

    @Test(
        "two clients, fixed 10 ms hops, no backoff: both read version 0 at 10 ms and write at 30 ms; the first wins, the second retries at once and succeeds at 80 ms"
    )
    func twoClientsNoBackoff() throws {
        let result = ContentionSimulation(clients: 2, strategy: try strategy("no-backoff"), latency: tenMilliseconds).run(seed: 1)
        #expect(result == ContentionResult(writeCalls: 3, completionTime: .milliseconds(80)))
    }

    @Test("two clients, fixed hops, exponential backoff: the loser's first backoff is Brooker's base × 2¹ = 10 ms, so it succeeds at 90 ms")
    func twoClientsExponential() throws {
        let result = ContentionSimulation(clients: 2, strategy: try strategy("exponential"), latency: tenMilliseconds).run(seed: 1)
        #expect(result == ContentionResult(writeCalls: 3, completionTime: .milliseconds(90)))
    }

    @Test("two clients, fixed hops, full jitter: the loser waits uniform 0..<10 ms, drawn by the library from the run's generator")
    func twoClientsFullJitter() throws {
        let full = try strategy("full")
        for seed in 0..<50 as Range<UInt64> {
            let result = ContentionSimulation(clients: 2, strategy: full, latency: tenMilliseconds).run(seed: seed)
            #expect(result.writeCalls == 3)
            var generator = SeededRandomNumberGenerator(seed: seed)
            let schedule = try #require(full.backoff)
            let wait = Jitter.full.apply(to: schedule.delay(forRetry: 2), previousDelay: nil, backoff: schedule, using: &generator)
            #expect(result.completionTime == .milliseconds(80) + wait)
        }
    }

    @Test("N clients, fixed hops, no backoff: rounds of 40 ms with one winner each, so N(N+1)/2 calls in 40·N ms", arguments: 1...8)
    func lockstepRounds(clients: Int) throws {
        let result = ContentionSimulation(clients: clients, strategy: try strategy("no-backoff"), latency: tenMilliseconds).run(seed: 3)
        #expect(result.writeCalls == clients * (clients + 1) / 2)
        #expect(result.completionTime == .milliseconds(40 * clients))
    }

    @Test(
        "N clients, fixed hops, exponential without jitter: the herd stays together, each round adds 40 ms plus min(2 s, 5 ms × 2ᵏ)",
        arguments: [2, 3, 5, 12])
    func exponentialHerd(clients: Int) throws {
        let result = ContentionSimulation(clients: clients, strategy: try strategy("exponential"), latency: tenMilliseconds).run(seed: 3)
        let backoffs = (1..<clients).map { min(2_000, 5 << $0) }.reduce(0, +)
        #expect(result.writeCalls == clients * (clients + 1) / 2)
        #expect(result.completionTime == .milliseconds(40 * clients + backoffs))
    }

    @Test("a seed reproduces a run exactly; another seed gives another run")
    func seeds() {
        for strategy in strategies {
            let simulation = ContentionSimulation(clients: 30, strategy: strategy)
            #expect(simulation.run(seed: 7) == simulation.run(seed: 7))
            #expect(simulation.run(seed: 7) != simulation.run(seed: 8))
        }
    }

    @Test("a sweep's results do not depend on how many cells run at once")
    func sweepIsDeterministic() async {
        let sweep = SimulationSweep(clientCounts: [5, 20, 40], runs: 5, seed: 11)
        let serial = await sweep.run(parallelism: 1)
        let parallel = await sweep.run(parallelism: 4)
        #expect(serial == parallel)
        #expect(await sweep.run(parallelism: 2) == serial)
        var reseeded = sweep
        reseeded.seed = 12
        #expect(await reseeded.run(parallelism: 2) != serial)
    }

    @Test(
        "100 clients: every jitter kind makes far fewer calls than exponential backoff without jitter, which takes far longer than full jitter"
    )
    func brookersResult() async throws {
        let results = await SimulationSweep(clientCounts: [100], runs: 20, seed: 2015).run()
        let exponential = try #require(results.cell(strategy: "exponential", clients: 100))
        for jitter in ["full", "equal", "decorrelated", "proportional:0.5"] {
            let jittered = try #require(results.cell(strategy: jitter, clients: 100))
            #expect(jittered.meanWriteCalls < 0.6 * exponential.meanWriteCalls, "\(jitter)")
        }
        let full = try #require(results.cell(strategy: "full", clients: 100))
        #expect(exponential.meanCompletionMilliseconds > 5 * full.meanCompletionMilliseconds)
        let noBackoff = try #require(results.cell(strategy: "no-backoff", clients: 100))
        #expect(noBackoff.meanWriteCalls > exponential.meanWriteCalls)
    }

    @Test("the strategies are every jitter the library offers, by the names the command line uses")
    func strategyNames() throws {
        #expect(strategies.map(\.name) == ["no-backoff", "exponential", "full", "equal", "decorrelated", "proportional:0.5"])
        #expect(strategies.map(\.jitter) == [.none, .none, .full, .equal, .decorrelated, .proportional(0.5)])
        #expect(try ContentionStrategy.named("proportional:0.25").jitter == .proportional(0.25))
        #expect(try ContentionStrategy.named("proportional:0.25").name == "proportional:0.25")
        #expect(try ContentionStrategy.named("decorrelated") == strategies[4])
        #expect(throws: ArgumentError.self) { try ContentionStrategy.named("linear") }
    }
}
