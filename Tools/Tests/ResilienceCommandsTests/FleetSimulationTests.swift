import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("The fleet simulation")
struct FleetSimulationTests {
    let strategies = FleetStrategy.standard()

    func strategy(_ name: String) throws -> FleetStrategy {
        try #require(strategies.first { $0.name == name })
    }

    /// A busy fleet whose calls take 1 µs: 1,000 requests a second per instance, so a breaker trips
    /// 5 ms into the outage and probes within a few milliseconds of each break's end.
    func busy(_ instances: Int) -> FleetScenario {
        var scenario = FleetScenario.standard(instances: instances)
        scenario.requestRate = 1_000
        scenario.latency = .fixed(.microseconds(1))
        scenario.observation = .seconds(15)
        return scenario
    }

    @Test(
        "busy local breakers, by hand: each trips after 5 calls, probes at 40, 50, 60, 70 and 80 s, and once more just after the return",
        arguments: [1, 3, 10])
    func localByHand(instances: Int) throws {
        let result = FleetSimulation(scenario: busy(instances), strategy: try strategy("local")).run(seed: 1)
        #expect(result.outageCalls == 10 * instances)
        #expect(result.outageProbes == 5 * instances)
        #expect(result.returnProbes == instances)
        let recovery = try #require(result.recoveryTime)
        #expect(recovery < .milliseconds(100))
    }

    @Test(
        "busy shared breakers, by hand: every instance trips itself (5 calls each) before any sync, then one lease holder probes per break",
        arguments: [3, 10, 30])
    func sharedByHand(instances: Int) throws {
        for name in ["shared-rate", "shared-quorum"] {
            let result = FleetSimulation(scenario: busy(instances), strategy: try strategy(name)).run(seed: 1)
            #expect(result.outageProbes == 5, "\(name)")
            #expect(result.outageCalls == 5 * instances + 5, "\(name)")
            #expect(result.returnProbes == 1, "\(name)")
            // The holder's probe closes it; it reports at its next sync, the others follow at theirs.
            let recovery = try #require(result.recoveryTime)
            #expect(recovery <= .milliseconds(2_100), "\(name)")
        }
    }

    @Test("without a breaker every request reaches the downstream: about rate × outage × instances", arguments: [1, 10])
    func noBreaker(instances: Int) throws {
        let result = FleetSimulation(scenario: .standard(instances: instances), strategy: try strategy("none")).run(seed: 4)
        let expected = 2.0 * 60 * Double(instances)
        #expect(abs(Double(result.outageCalls) - expected) < 4 * expected.squareRoot())
        #expect(result.outageProbes == 0)
        #expect(result.returnProbes == 0)
        #expect(result.recoveryTime == .zero)
    }

    @Test("every strategy sees the same requests: no breaker counts them all, and the same seed reproduces a run exactly")
    func seeds() throws {
        for strategy in strategies {
            let simulation = FleetSimulation(scenario: .standard(instances: 20), strategy: strategy)
            #expect(simulation.run(seed: 7) == simulation.run(seed: 7))
        }
        let none = FleetSimulation(scenario: .standard(instances: 20), strategy: try strategy("none"))
        #expect(none.run(seed: 7) != none.run(seed: 8))
    }

    @Test("the issue's result: shared breakers cut the probes by the fleet's size, and the outage's calls too")
    func sharedCutsByFleetSize() async throws {
        let results = await FleetSweep(instanceCounts: [10, 100], runs: 2, seed: 1).run(parallelism: 2)
        for instances in [10, 100] {
            let local = try #require(results.cell(strategy: "local", instances: instances))
            let none = try #require(results.cell(strategy: "none", instances: instances))
            #expect(local.returnProbes >= Double(instances))
            for name in ["shared-rate", "shared-quorum"] {
                let shared = try #require(results.cell(strategy: name, instances: instances))
                #expect(shared.returnProbes <= 2, "\(name) at \(instances)")
                #expect(shared.outageProbes * Double(instances) <= local.outageProbes * 1.5, "\(name) at \(instances)")
                #expect(shared.outageCalls < local.outageCalls / 1.5, "\(name) at \(instances)")
                #expect(shared.recoveredRuns == 2)
            }
            #expect(local.outageCalls < none.outageCalls / 10)
        }
    }

    @Test(
        "a small seeded run, exactly: 10 instances of the standard scenario, the sweep's first run of seed 1",
        arguments: [
            ("none", 1_202, 0, 0),
            ("local", 101, 50, 10),
            ("shared-rate", 56, 5, 1),
            ("shared-quorum", 44, 5, 1),
        ])
    func smallSeededRun(name: String, outageCalls: Int, outageProbes: Int, returnProbes: Int) throws {
        let sweep = FleetSweep(instanceCounts: [10], runs: 1, seed: 1)
        let result = FleetSimulation(scenario: .standard(instances: 10), strategy: try strategy(name))
            .run(seed: sweep.seed(instances: 10, run: 0))
        #expect(result.outageCalls == outageCalls)
        #expect(result.outageProbes == outageProbes)
        #expect(result.returnProbes == returnProbes)
        #expect(result.recoveryTime == FleetSimulationTests.recoveryOfSmallRun[name])
    }

    /// The exact times to recover of ``smallSeededRun(name:outageCalls:outageProbes:returnProbes:)``.
    static let recoveryOfSmallRun: [String: Duration] = [
        "none": .zero,
        "local": .nanoseconds(8_427_335_376),
        "shared-rate": .nanoseconds(5_418_725_941),
        "shared-quorum": .nanoseconds(5_418_725_941),
    ]

    @Test(
        "with a shared breaker at most N instances probe per break, fleet-wide, whatever the fleet's size",
        arguments: [1, 3], [10, 30])
    func probesAtMostN(holders: Int, instances: Int) throws {
        var scenario = busy(instances)
        scenario.requestRate = 200
        scenario.fleet.probeHolders = holders
        let local = FleetSimulation(scenario: scenario, strategy: try strategy("local")).run(seed: 2)
        for name in ["shared-rate", "shared-quorum"] {
            let result = FleetSimulation(scenario: scenario, strategy: try strategy(name)).run(seed: 2)
            // 5 breaks end during the outage (at 40, 50, 60, 70 and 80 s), one more after it.
            #expect(result.outageProbes <= 5 * holders, "\(name)")
            #expect(result.outageProbes >= 5, "\(name)")
            #expect(result.returnProbes <= holders, "\(name)")
            #expect(result.returnProbes >= 1, "\(name)")
            #expect(result.outageCalls < local.outageCalls, "\(name)")
            #expect(result.recoveryTime != nil, "\(name)")
        }
        #expect(local.outageProbes == 5 * instances)
    }

    @Test("a shared breaker sends fewer calls during the outage than local ones, on the standard scenario", arguments: [10, 100])
    func sharedBelowLocal(instances: Int) throws {
        let scenario = FleetScenario.standard(instances: instances)
        for seed: UInt64 in 1...2 {
            let local = FleetSimulation(scenario: scenario, strategy: try strategy("local")).run(seed: seed)
            let none = FleetSimulation(scenario: scenario, strategy: try strategy("none")).run(seed: seed)
            #expect(local.outageCalls < none.outageCalls)
            for name in ["shared-rate", "shared-quorum"] {
                let shared = FleetSimulation(scenario: scenario, strategy: try strategy(name)).run(seed: seed)
                #expect(shared.outageCalls < local.outageCalls, "\(name)")
                #expect(shared.outageProbes <= 5, "\(name)")
                #expect(shared.returnProbes <= 1, "\(name)")
                let sharedRecovery = try #require(shared.recoveryTime)
                let localRecovery = try #require(local.recoveryTime)
                #expect(sharedRecovery < localRecovery, "\(name)")
            }
        }
    }

    @Test("a sweep's results do not depend on how its cells are spread over threads")
    func parallelism() async {
        let sweep = FleetSweep(instanceCounts: [3, 7], runs: 2, seed: 5)
        let one = await sweep.run(parallelism: 1)
        let three = await sweep.run(parallelism: 3)
        #expect(one == three)
        #expect(one.strategies == ["none", "local", "shared-rate", "shared-quorum"])
    }
}

@Suite("resilience simulate fleet's options and output")
struct FleetOutputTests {
    @Test("the options build the sweep: counts, strategies, scenario and fleet")
    func options() throws {
        let sweep = try FleetOptions.parse([
            "--instances", "10,50", "--runs", "3", "--seed", "9", "--rate", "4", "--outage", "30s", "--break", "5s", "--threshold", "3",
            "--sync", "500ms", "--ttl", "2s", "--probes", "2", "--quorum", "4", "--strategies", "local,shared-quorum",
        ]).sweep()
        #expect(sweep.instanceCounts == [10, 50])
        #expect(sweep.runs == 3)
        #expect(sweep.seed == 9)
        #expect(sweep.strategies.map(\.name) == ["local", "shared-quorum"])
        #expect(sweep.scenario.requestRate == 4)
        #expect(sweep.scenario.outageDuration == .seconds(30))
        #expect(sweep.scenario.breaker == .consecutiveFailures(3, breakDuration: .seconds(5)))
        #expect(sweep.scenario.fleet.syncInterval == .milliseconds(500))
        #expect(sweep.scenario.fleet.timeToLive == .seconds(2))
        #expect(sweep.scenario.fleet.staleAfter == .milliseconds(1_500))
        #expect(sweep.scenario.fleet.probeHolders == 2)
        let defaults = try FleetOptions.parse([]).sweep()
        #expect(defaults.instanceCounts == [10, 100, 1_000])
        #expect(defaults.strategies == FleetStrategy.standard())
    }

    @Test(
        "bad options are refused with a message naming the option",
        arguments: [
            (["--runs", "0"], "--runs must be from 1"),
            (["--instances", "0"], "--instances:"),
            (["--instances", "5000"], "--instances must be at most 2000"),
            (["--rate", "0"], "--rate must be above 0"),
            (["--outage", "0s"], "--outage must be above 0"),
            (["--threshold", "0"], "--threshold must be at least 1"),
            (["--sync", "2s", "--ttl", "1s"], "--ttl must exceed syncInterval"),
            (["--probes", "0"], "--probes must be at least 1"),
            (["--pooled-rate", "2"], "--pooled-rate must be greater than 0"),
            (["--quorum", "0"], "--quorum must be at least 1"),
            (["--strategies", "global"], "unknown strategy \"global\""),
            (["--jobs", "0"], "--jobs must be at least 1"),
        ])
    func badOptions(arguments: [String], message: String) {
        #expect {
            _ = try FleetOptions.parse(arguments)
        } throws: { error in
            FleetOptions.message(for: error).contains(message)
        }
    }

    let results = FleetResults(
        instanceCounts: [10, 100],
        strategies: ["local", "shared-quorum"],
        runs: 2,
        seed: 3,
        cells: [
            [
                Self.cell(calls: 100.5, outageProbes: 50, returnProbes: 10, recovery: 9.27, recovered: 2),
                Self.cell(calls: 1_004.5, outageProbes: 499.5, returnProbes: 100, recovery: 10.1, recovered: 2),
            ],
            [
                Self.cell(calls: 47, outageProbes: 5, returnProbes: 1, recovery: 5.18, recovered: 2),
                Self.cell(calls: 343.5, outageProbes: 5, returnProbes: 1, recovery: nil, recovered: 0),
            ],
        ]
    )

    static func cell(calls: Double, outageProbes: Double, returnProbes: Double, recovery: Double?, recovered: Int) -> FleetResults.Cell {
        var cell = FleetResults.Cell()
        cell.outageCalls = calls
        cell.outageProbes = outageProbes
        cell.returnProbes = returnProbes
        cell.recoverySeconds = recovery
        cell.recoveredRuns = recovered
        return cell
    }

    @Test("the tables have a row per instance count and a column per strategy; a cell that never recovered says so")
    func table() {
        #expect(
            FleetReport.table(results, outage: .seconds(60)) == """
                Calls the downstream received during its 1m outage (mean of 2 runs, seed 3)
                instances   local  shared-quorum
                       10   100.5           47.0
                      100  1004.5          343.5

                Probes during the outage (mean of 2 runs, seed 3)
                instances  local  shared-quorum
                       10   50.0            5.0
                      100  499.5            5.0

                Probes when it came back (mean of 2 runs, seed 3)
                instances  local  shared-quorum
                       10   10.0            1.0
                      100  100.0            1.0

                Time to recover: seconds from its return until every breaker is closed (mean of the runs that recovered)
                instances  local  shared-quorum
                       10   9.27           5.18
                      100  10.10          never

                """
        )
    }

    @Test("the CSV has a header and a line per strategy and instance count")
    func csv() {
        #expect(
            FleetReport.csv(results) == """
                instances,strategy,outage_calls,outage_probes,return_probes,recovery_s,recovered_runs
                10,local,100.50,50.00,10.00,9.270,2
                10,shared-quorum,47.00,5.00,1.00,5.180,2
                100,local,1004.50,499.50,100.00,10.100,2
                100,shared-quorum,343.50,5.00,1.00,,0

                """
        )
    }

    @Test("the SVG is well-formed XML with four panels, a line per strategy where it has values, and a legend")
    func svg() throws {
        let document = try XMLDocument(xmlString: FleetChart.render(results, outage: .seconds(60)))
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        // Four panels × two strategies, less the recovery panel's point that never recovered (the line stays).
        #expect(try root.nodes(forXPath: "//*[local-name()='polyline']").count == 8)
        #expect(try root.nodes(forXPath: "//*[local-name()='circle']").count == 15)
        let texts = try root.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("Calls during the outage (log scale)"))
        #expect(texts.contains("Time to recover, s"))
        #expect(texts.filter { $0 == "instances" }.count == 4)
        #expect(texts.filter { $0 == "shared-quorum" }.count == 1)
    }
}

@Suite("resilience simulate fleet (the real binary)")
struct SimulateFleetCommandTests {
    @Test("it prints the four tables, writes the CSV and the SVG, and the same seed prints the same output")
    func endToEnd() async throws {
        let scratch = try Scratch()
        let arguments = [
            "simulate", "fleet", "--instances", "4,8", "--runs", "1", "--seed", "3", "--outage", "20s", "--observe", "20s", "--csv",
            "out.csv",
            "--svg", "out.svg",
        ]
        let first = try await ResilienceBinary.run(arguments, in: scratch)
        #expect(first.status == 0)
        #expect(first.standardOutput.contains("Calls the downstream received during its 20s outage (mean of 1 run, seed 3)"))
        #expect(first.standardOutput.contains("instances  none  local  shared-rate  shared-quorum"))
        #expect(first.standardOutput.contains("Probes when it came back"))
        #expect(scratch.lines("out.csv").count == 1 + 2 * 4)
        #expect(scratch.read("out.svg").hasPrefix("<?xml"))
        let second = try await ResilienceBinary.run(arguments, in: scratch)
        #expect(second.standardOutput == first.standardOutput)
    }

    @Test(
        "bad options are a usage error (status 64) naming the option, and nothing is simulated",
        arguments: [
            (["--runs", "0"], "--runs"),
            (["--instances", "0"], "--instances"),
            (["--instances", "10,abc"], "--instances"),
            (["--strategies", "global"], "--strategies"),
            (["--rate", "fast"], "--rate"),
            (["--outage", "soon"], "--outage"),
            (["--sync", "0s"], "--sync"),
            (["--ttl", "500ms"], "--ttl"),
            (["--probes", "0"], "--probes"),
            (["--quorum", "0"], "--quorum"),
            (["--pooled-rate", "1.5"], "--pooled-rate"),
            (["--minimum-throughput", "0"], "--minimum-throughput"),
            (["--jobs", "0"], "--jobs"),
            (["--bogus"], "--bogus"),
        ])
    func badOptions(arguments: [String], option: String) async throws {
        let scratch = try Scratch()
        let result = try await ResilienceBinary.run(["simulate", "fleet"] + arguments + ["--csv", "out.csv"], in: scratch)
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("Error: "))
        #expect(result.standardError.contains(option), "\(result.standardError)")
        #expect(result.standardOutput.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: scratch.path("out.csv")))
    }
}
