import Foundation
import Testing
import ToolsTestSupport

@testable import ResilienceCommands
@testable import ResilienceDemo

#if canImport(Glibc)
import Glibc
#endif

/// `resilience demo` as users run it: the real binary, its services on loopback, its output.
@Suite("resilience demo")
struct DemoCommandTests {
    /// The JSON `--json` prints on standard output.
    private static func report(_ result: ResilienceBinary.Result) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(result.standardOutput.utf8)) as? [String: Any])
    }

    /// The OCR breaker's transitions in a JSON report, as `from->to`.
    private static func ocrTransitions(_ report: [String: Any]) -> [String] {
        let records = report["breakerTransitions"] as? [[String: Any]] ?? []
        return records.filter { $0["breaker"] as? String == "ocr-breaker" }.map { "\($0["from"] ?? "")->\($0["to"] ?? "")" }
    }

    @Test(
        "12 receipts, 2 at once, seed 7: 5 processed, 7 with local OCR (the outage), none failed; the OCR breaker opens, half-opens and closes; exit 0"
    )
    func shortRun() async throws {
        let scratch = try Scratch()
        let result = try await ResilienceBinary.run(
            ["demo", "--receipts", "12", "--concurrency", "2", "--seed", "7", "--json"], in: scratch)
        #expect(result.status == 0, "\(result.standardError)")
        let report = try Self.report(result)
        let outcomes = try #require(report["outcomes"] as? [String: Int])
        #expect(outcomes == ["processed": 5, "processed-with-fallback": 7, "failed": 0])
        let expected = DemoFaultPlan(seed: 7, receipts: 12, concurrency: 2, attemptTimeout: .seconds(10)).expectedOutcomes
        #expect(expected == ReceiptOutcomeCounts(processed: 5, processedWithFallback: 7, failed: 0))
        let ocr = Self.ocrTransitions(report)
        #expect(ocr.first == "closed->open")
        #expect(ocr.contains("open->halfOpen"))
        #expect(ocr.last == "halfOpen->closed")
        #expect((report["results"] as? [Any])?.count == 12)
        #expect(report["statistics"] is [String: Any])
    }

    @Test("the same seed gives the same outcome counts; the plain output shows each receipt, the transitions, the table and the report")
    func repeatable() async throws {
        let scratch = try Scratch()
        let arguments = ["demo", "--receipts", "10", "--concurrency", "3", "--seed", "11"]
        let first = try await ResilienceBinary.run(arguments, in: scratch)
        let second = try await ResilienceBinary.run(arguments + ["--json"], in: scratch)
        #expect(first.status == 0)
        #expect(second.status == 0)
        let counts = try #require(Self.report(second)["outcomes"] as? [String: Int])
        let expected = DemoFaultPlan(seed: 11, receipts: 10, concurrency: 3, attemptTimeout: .seconds(10)).expectedOutcomes
        #expect(counts == ["processed": expected.processed, "processed-with-fallback": expected.processedWithFallback, "failed": 0])
        let lines = first.standardOutput.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("processed                 ") && $0.hasSuffix(" \(expected.processed)") })
        #expect(lines.contains { $0.hasPrefix("processed-with-fallback   ") && $0.hasSuffix(" \(expected.processedWithFallback)") })
        let receiptLines = lines.filter { $0.hasPrefix("receipt ") && $0.contains(": ") }
        #expect(receiptLines.count == 10, "one plain line per receipt when standard output is a file")
        #expect(lines.contains { $0.hasPrefix("ocr-breaker: closed -> open (consecutiveFailures) at ") })
        #expect(first.standardOutput.contains("Resilience statistics"))
        #expect(!first.standardOutput.contains("\u{1B}["), "no terminal codes when standard output is not a terminal")
    }

    @Test(
        "a bad flag is a usage error naming it",
        arguments: [
            (["--receipts", "0"], "--receipts"), (["--concurrency", "-1"], "--concurrency"), (["--time-scale", "0"], "--time-scale"),
            (["--metrics-port", "70000"], "--metrics-port"), (["--ocr-url", "ftp://x"], "--ocr-url"),
            (["--serve", "--vision-url", "http://x"], "--serve"),
        ]
    )
    func badFlag(arguments: [String], flag: String) async throws {
        let scratch = try Scratch()
        let result = try await ResilienceBinary.run(["demo"] + arguments, in: scratch)
        #expect(result.status == 64)
        #expect(result.standardError.contains(flag))
    }

    @Test("--serve only serves the fault services, printing their URLs, until SIGINT ends it with status 0")
    func serve() async throws {
        let scratch = try Scratch()
        let (running, finished) = try ResilienceBinary.start(["demo", "--serve"], in: scratch)
        let output = { (try? String(contentsOfFile: scratch.path(Self.outputName(scratch)), encoding: .utf8)) ?? "" }
        try await scratch.waitUntil { output().contains("vision: http://127.0.0.1:") }
        #expect(output().contains("ocr: http://127.0.0.1:"))
        running.send(SIGINT)
        let result = await finished()
        #expect(result.status == 0)
    }

    @Test("--metrics-port: a scrape during the batch parses as Prometheus text with the demo's series; SIGINT ends it, status 0")
    func metrics() async throws {
        try #require(PrometheusTextParser.isAvailable, Comment(rawValue: PrometheusTextParser.unavailableMessage))
        let scratch = try Scratch()
        let (running, finished) = try ResilienceBinary.start(
            ["demo", "--receipts", "12", "--concurrency", "2", "--seed", "7", "--time-scale", "5", "--metrics-port", "0", "--json"],
            in: scratch)
        try await scratch.waitUntil { running.standardErrorSoFar.contains("/metrics\n") }
        let url = try #require(
            running.standardErrorSoFar.split(separator: "\n").first { $0.contains("metrics at ") }?.split(separator: " ").last.map(
                String.init))
        // At x5 the batch takes about 40 s (its OCR breaker opens for 12 s at a time): scrape while it runs. (At
        // x10, 20 s, a loaded CI host got its first scrape with attempts in only after the batch.)
        try await scratch.waitUntil { (try? PrometheusTextParser.scrape(url).contains { $0.name == "resilience_attempts" }) == true }
        let startedDuringTheBatch = !running.standardErrorSoFar.contains("batch done")
        let during = try PrometheusTextParser.scrape(url)
        #expect(startedDuringTheBatch, "a scrape started while the batch ran")
        try await scratch.waitUntil(timeout: .seconds(120)) { running.standardErrorSoFar.contains("batch done") }
        let after = try PrometheusTextParser.scrape(url)
        let names = Set(after.map(\.name))
        for name in ["resilience_calls", "resilience_attempts", "resilience_circuit_state", "resilience_circuit_transitions"] {
            #expect(names.contains(name), "\(name) in \(names.sorted())")
        }
        #expect(!during.isEmpty)
        let state = after.first { $0.name == "resilience_circuit_state" }?.samples ?? []
        #expect(state.contains { $0.labels["strategy_name"] == "ocr-breaker" && $0.labels["state"] == "closed" && $0.value == 1 })
        running.send(SIGINT)
        let result = await finished()
        #expect(result.status == 0)
    }

    /// The name of the file `ResilienceBinary.start` sends standard output to in `scratch`.
    private static func outputName(_ scratch: Scratch) -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: scratch.url.path)) ?? []
        return files.first { $0.hasPrefix("stdout.") } ?? "stdout"
    }
}
