import Foundation
import Testing

@testable import ResilienceCommands

#if canImport(FoundationXML)
import FoundationXML
#endif

@Suite("resilience simulate's options and output")
struct SimulationOutputTests {
    @Test(
        "client counts: ranges stepped by --step, lists, or both",
        arguments: [
            ("10...190", 10, Array(stride(from: 10, through: 190, by: 10))),
            ("10-50", 20, [10, 30, 50]),
            ("100", 10, [100]),
            ("1,5,10", 10, [1, 5, 10]),
            ("1-3,10", 1, [1, 2, 3, 10]),
            ("5,5,1-5", 2, [5, 1, 3]),
        ]
    )
    func clientCounts(text: String, step: Int, counts: [Int]) throws {
        #expect(try ClientCounts.parse(text, step: step) == counts)
    }

    @Test("bad client counts are refused", arguments: ["", "0", "-5", "190...10", "ten", "1-2-3", "10..20", "200000"])
    func badClientCounts(text: String) {
        #expect(throws: ArgumentError.self) { try ClientCounts.parse(text, step: 10) }
    }

    @Test("the options build the sweep, with every strategy by default")
    func options() throws {
        let sweep = try SimulateOptions.parse(["--clients", "10-30", "--step", "10", "--runs", "7", "--seed", "9"]).sweep()
        #expect(sweep.clientCounts == [10, 20, 30])
        #expect(sweep.runs == 7)
        #expect(sweep.seed == 9)
        #expect(sweep.strategies == ContentionStrategy.standard())
        let chosen = try SimulateOptions.parse(["--strategies", "exponential,full,proportional:0.2"]).sweep()
        #expect(chosen.strategies.map(\.name) == ["exponential", "full", "proportional:0.2"])
    }

    @Test(
        "bad options are refused with a message",
        arguments: [
            (["--runs", "0"], "--runs must be from 1"),
            (["--clients", "0-10"], "--clients:"),
            (["--step", "0"], "--step must be at least 1"),
            (["--strategies", "linear"], "unknown strategy \"linear\""),
            (["--cap", "1ms"], "--cap must be at least --base"),
            (["--cap", "2h"], "--cap must be at most 1h"),
            (["--base", "fast"], "'--base <duration>': \"fast\" is not a duration"),
            (["--runs", "-5"], "--runs must be from 1 to 1000000, got -5"),
            (["--cap", "-1s"], "'--cap <duration>': \"-1s\" is negative"),
            (["--jobs", "0"], "--jobs must be at least 1"),
        ]
    )
    func badOptions(arguments: [String], message: String) {
        #expect {
            _ = try SimulateOptions.parse(arguments)
        } throws: { error in
            SimulateOptions.message(for: error).contains(message)
        }
    }

    let results = SimulationResults(
        clientCounts: [10, 20],
        strategies: ["exponential", "full"],
        runs: 3,
        seed: 5,
        latency: .brooker,
        cells: [
            [
                .init(meanWriteCalls: 50.25, meanCompletionMilliseconds: 3_353.5),
                .init(meanWriteCalls: 150, meanCompletionMilliseconds: 14_633),
            ],
            [
                .init(meanWriteCalls: 38.8, meanCompletionMilliseconds: 466.5),
                .init(meanWriteCalls: 100.6, meanCompletionMilliseconds: 1_022.25),
            ],
        ]
    )

    @Test("the table has a row per client count and a column per strategy, for calls and for time")
    func table() {
        #expect(
            SimulationReport.table(results) == """
                Mean write calls per run (3 runs, seed 5)
                clients  exponential   full
                     10         50.3   38.8
                     20        150.0  100.6

                Mean completion time per run, ms (3 runs, seed 5)
                clients  exponential    full
                     10       3353.5   466.5
                     20      14633.0  1022.3

                """
        )
    }

    @Test("the CSV has a header and a line per strategy and client count")
    func csv() {
        #expect(
            SimulationReport.csv(results) == """
                clients,strategy,mean_write_calls,mean_completion_ms
                10,exponential,50.25,3353.500
                10,full,38.80,466.500
                20,exponential,150.00,14633.000
                20,full,100.60,1022.250

                """
        )
    }

    @Test("the SVG is well-formed XML with a line per strategy in each chart, axes labels and a legend")
    func svg() throws {
        let svg = SVGChart.render(results)
        let document = try XMLDocument(xmlString: svg)
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(try root.nodes(forXPath: "//*[local-name()='polyline']").count == 4)
        #expect(try root.nodes(forXPath: "//*[local-name()='circle']").count == 8)
        let texts = try root.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #expect(texts.contains("Write calls (mean per run)"))
        #expect(texts.contains("Completion time (mean per run)"))
        #expect(texts.filter { $0 == "clients" }.count == 2)
        #expect(texts.contains("write calls"))
        #expect(texts.contains("time of the last event, ms"))
        #expect(texts.filter { $0 == "exponential" }.count == 1)
        #expect(texts.filter { $0 == "full" }.count == 1)
    }

    @Test(
        "axis ticks are round numbers covering the data",
        arguments: [
            (0.0, 14_633.0), (10, 190), (0, 1), (0, 8_000.4), (5, 5),
        ])
    func ticks(low: Double, high: Double) {
        let ticks = SVGChart.niceTicks(from: low, to: high)
        #expect(ticks.count >= 2 && ticks.count <= 12)
        #expect(ticks.first.map { $0 <= low } == true)
        #expect(ticks.last.map { $0 >= high } == true)
    }
}

@Suite("resilience simulate (the real binary)")
struct SimulateCommandTests {
    @Test("it prints both tables, writes the CSV and the SVG, and the same seed prints the same output")
    func endToEnd() async throws {
        let scratch = try Scratch()
        let arguments = ["simulate", "--clients", "5,20", "--runs", "4", "--seed", "3", "--csv", "out.csv", "--svg", "out.svg"]
        let first = try await ResilienceBinary.run(arguments, in: scratch)
        #expect(first.status == 0)
        #expect(first.standardOutput.contains("Mean write calls per run (4 runs, seed 3)"))
        #expect(first.standardOutput.contains("Mean completion time per run, ms (4 runs, seed 3)"))
        #expect(first.standardOutput.contains("clients  no-backoff  exponential"))
        #expect(scratch.lines("out.csv").count == 1 + 2 * 6)
        #expect(scratch.read("out.svg").hasPrefix("<?xml"))
        let second = try await ResilienceBinary.run(arguments, in: scratch)
        #expect(second.standardOutput == first.standardOutput)
    }

    @Test("resilience-simulate (what CI times in release) is resilience simulate: the same output for both experiments")
    func standalone() async throws {
        let scratch = try Scratch()
        for arguments in [["--clients", "5", "--runs", "2", "--seed", "4"], ["fleet", "--instances", "4", "--runs", "1", "--seed", "4"]] {
            let whole = try await ResilienceBinary.run(["simulate"] + arguments, in: scratch)
            let alone = try await ResilienceBinary.run(arguments, in: scratch, executable: ResilienceBinary.simulatePath)
            #expect(whole.status == 0)
            #expect(alone.status == 0)
            #expect(!alone.standardOutput.isEmpty)
            #expect(alone.standardOutput == whole.standardOutput)
        }
        let bad = try await ResilienceBinary.run(["--runs", "0"], in: scratch, executable: ResilienceBinary.simulatePath)
        #expect(bad.status == 64)
    }

    @Test("a --csv or --svg file that cannot be written is an error naming it, after the table", arguments: ["--csv", "--svg"])
    func unwritableOutput(option: String) async throws {
        let scratch = try Scratch()
        let result = try await ResilienceBinary.run(
            ["simulate", "--clients", "5", "--runs", "1", option, "missing-folder/out"], in: scratch)
        #expect(result.status == 64)
        #expect(result.standardError.contains("cannot write missing-folder/out"))
        #expect(result.standardOutput.contains("clients  no-backoff"))
    }

    @Test("bad options are a usage error", arguments: [["--runs", "0"], ["--clients", "9-3"], ["--strategies", "linear"]])
    func badOptions(arguments: [String]) async throws {
        let result = try await ResilienceBinary.run(["simulate"] + arguments, in: try Scratch())
        #expect(result.status == 64)
        #expect(result.standardError.hasPrefix("Error: "))
    }
}
