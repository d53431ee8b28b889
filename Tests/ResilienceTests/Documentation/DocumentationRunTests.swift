import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// Runs the documentation's examples whose results the documentation states (exact virtual-time sleeps,
/// what a call throws, a printed description), so that the values shown are the values the library
/// gives.
///
/// Each example's code sits between `// doc-example: begin NAME FILE…` and `// doc-example: end`, and
/// must be, line for line (ignoring `import` lines, blank lines and indentation), a Swift block of each
/// Markdown FILE: the tests read this source and the Markdown to check it, so the documentation cannot
/// drift from what runs here. A line ending in `// doc-example: not shown` runs without being in the
/// Markdown (it checks a value the Markdown states in prose or in the `text` block after the example).
/// Examples that call the stand-in services run in an extension of ``DocumentationStandIns``.
@Suite("Documentation examples that run", .timeLimit(.minutes(5)))
struct DocumentationRunTests {
    @Test("the virtual-time example gives the exact sleeps the README and the article state")
    func virtualTime() async throws {
        try Self.requireExample(named: "virtual-time")
        // doc-example: begin virtual-time README.md Sources/Resilience/Resilience.docc/TestingOnVirtualTime.md
        let clock = ManualClock(advancesAutomatically: true)
        let flaky = ScriptedOperation(failures: 2, with: TimeoutError(timeout: .seconds(5)), thenReturning: "success")
        let result = try await retry(.default, clock: clock, random: .seeded(42)) { try await flaky() }
        #expect(result == "success" && flaky.callCount == 3)
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
        // doc-example: end
    }

    @Test("a cancelled wait ends the call with no further attempt, as the article says")
    func stepByStep() async throws {
        try Self.requireExample(named: "step-by-step")
        // doc-example: begin step-by-step Sources/Resilience/Resilience.docc/TestingOnVirtualTime.md
        let clock = ManualClock()
        let flaky = ScriptedOperation(failures: 2, with: TimeoutError(timeout: .seconds(5)), thenReturning: "success")
        let call = Task { try await retry(.default, clock: clock) { try await flaky() } }
        await clock.waitForSleepers()  // the loop waits after the first attempt
        call.cancel()  // ends the wait at once, with no further attempt
        await #expect(throws: CancellationError.self) { try await call.value }
        #expect(flaky.callCount == 1)
        // doc-example: end
    }

    @Test("the timeout's timer fires on the manual clock, as the article says")
    func timeoutRace() async throws {
        try Self.requireExample(named: "timeout-race")
        // doc-example: begin timeout-race Sources/Resilience/Resilience.docc/TestingOnVirtualTime.md
        let clock = ManualClock()
        let pipeline = ResiliencePipeline { Timeout(.seconds(3), clock: clock) }
        let call = Task {
            try await pipeline.execute { try await clock.sleep(until: clock.now.advanced(by: .seconds(10))) }
        }
        await clock.advance(toSleeperDeadline: .init(offset: .seconds(3)))  // the timeout's timer fires
        await #expect(throws: TimeoutError.self) { try await call.value }
        // doc-example: end
    }

    @Test("the recording example records the kinds the article states")
    func recording() async throws {
        try Self.requireExample(named: "recording")
        try await DocumentationStandIns.recordingExample()
    }

    @Test("a breaker on virtual time opens, and its probe closes it, as the article says")
    func breakerOnVirtualTime() async throws {
        try Self.requireExample(named: "breaker")
        // doc-example: begin breaker Sources/Resilience/Resilience.docc/CircuitBreakers.md
        let clock = ManualClock()
        let breaker = CircuitBreaker(name: "ocr", configuration: .consecutiveFailures(2, breakDuration: .seconds(5)), clock: clock)
        for _ in 0..<2 {
            _ = try? await breaker.execute { () async throws -> String in throw TimeoutError(timeout: .seconds(1)) }
        }
        await #expect(throws: CircuitOpenError.self) { try await breaker.execute { "text" } }
        clock.advance(by: .seconds(5))
        #expect(try await breaker.execute { "text" } == "text")  // the probe closes the circuit
        #expect(breaker.state == .closed)
        // doc-example: end
    }

    @Test("an exponential schedule with a floor gives the delays the article states")
    func floor() throws {
        try Self.requireExample(named: "floor")
        // doc-example: begin floor Sources/Resilience/Resilience.docc/ChoosingAPolicy.md
        let schedule = Backoff.exponential(initial: .seconds(2), multiplier: 2, maxDelay: .seconds(10), minDelay: .seconds(4))
        let delays = (1...4).map { schedule.delay(forRetry: $0) }  // 4, 4, 8, 10 s
        #expect(delays == [.seconds(4), .seconds(4), .seconds(8), .seconds(10)])  // doc-example: not shown
        // doc-example: end
    }

    @Test("a pipeline prints the description the article shows")
    func pipelineDescription() throws {
        try Self.requireExample(named: "pipeline-description")
        // doc-example: begin pipeline-description Sources/Resilience/Resilience.docc/Pipelines.md
        let ocrBudget = try RetryBudget.ratio(0.1, window: .seconds(10))
        let ocrPipeline = ResiliencePipeline(name: "ocr", observer: LoggingObserver()) {
            Timeout(.seconds(30))  // the whole call, retries and waits included
            Retry(.aggressive, budget: ocrBudget)  // retries, within a shared budget
            Timeout(.seconds(5))  // each attempt
        }
        print(ocrPipeline)
        #expect("\(ocrPipeline)" == (try Self.shownOutput(of: "pipeline-description")))  // doc-example: not shown
        // doc-example: end
    }

    @Test("the statistics example prints the report the article shows, and its JSON is the article's")
    func statisticsReport() async throws {
        try Self.requireExample(named: "statistics-report")
        // doc-example: begin statistics-report Sources/Resilience/Resilience.docc/Statistics.md
        struct InvalidImage: Error {}
        let statistics = ResilienceStatistics()
        let clock = ManualClock(advancesAutomatically: true)
        let policy = try RetryPolicy(maxAttempts: 3, backoff: .constant(.seconds(1)), jitter: .none)
        let ocrPipeline = ResiliencePipeline(name: "ocr", observer: statistics, clock: clock) {
            Retry(policy, name: "ocr-retry", clock: clock)
        }
        let timeout = ScriptedOperation<String>.Step.fail(TimeoutError(timeout: .seconds(5)))
        let outcomes = ScriptedOperation<String>(
            Array(repeating: .succeed("text"), count: 6)  // calls 1-6 succeed at once
                + [timeout, .succeed("text")]  // call 7 after one time-out
                + [timeout, timeout, .succeed("text")]  // call 8 after two
                + [.fail(InvalidImage())]  // call 9: permanent, not retried
                + [timeout, timeout, timeout]  // call 10: attempts exhausted
        )
        for _ in 1...10 {
            _ = try? await ocrPipeline.execute { () async throws -> String in
                clock.advance(by: .milliseconds(200))  // each attempt takes 200 ms
                return try await outcomes()
            }
        }
        print(statistics.report())
        #expect(statistics.report() == (try Self.shownOutput(of: "statistics-report")))  // doc-example: not shown
        // doc-example: end
        let path = "Sources/Resilience/Resilience.docc/Statistics.md"
        let markdown = try String(contentsOf: DocumentationExamples.packageRoot.appendingPathComponent(path), encoding: .utf8)
        let json = try #require(try MarkdownCodeBlocks.parse(markdown, file: path).first { $0.language == "json" })
        let shown = try JSONDecoder().decode(StrategyStatistics.self, from: Data(json.text.utf8))
        #expect(shown == statistics.snapshot().strategy(named: "ocr-retry", inPipeline: "ocr"))
    }

    @Test("the JSON configurations of the articles decode")
    func configurations() throws {
        let decoder = JSONDecoder()
        for (file, decode) in [
            ("ChoosingAPolicy.md", { (data: Data) in _ = try decoder.decode(RetryPolicy.self, from: data) }),
            ("CircuitBreakers.md", { (data: Data) in _ = try decoder.decode(CircuitBreakerConfiguration.self, from: data) }),
        ] as [(String, (Data) throws -> Void)] {
            let path = "Sources/Resilience/Resilience.docc/\(file)"
            let markdown = try String(contentsOf: DocumentationExamples.packageRoot.appendingPathComponent(path), encoding: .utf8)
            let blocks = try MarkdownCodeBlocks.parse(markdown, file: path).filter { $0.language == "json" }
            #expect(!blocks.isEmpty, "\(path) has no JSON block")
            for block in blocks {
                #expect(throws: Never.self, "\(block.location)") { try decode(Data(block.text.utf8)) }
            }
        }
    }

    // MARK: - Checking examples against the Markdown

    /// This file's lines.
    static func sourceLines() throws -> [String] {
        try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The example `name` of this file: the files its marker lists, and its lines.
    static func example(named name: String) throws -> (files: [String], lines: [String])? {
        let source = try sourceLines()
        let beginPrefix = "// doc-example: begin \(name) "
        guard let begin = source.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(beginPrefix) }),
            let end = source[begin...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// doc-example: end" })
        else { return nil }
        let files = source[begin].trimmingCharacters(in: .whitespaces).dropFirst(beginPrefix.count).split(separator: " ")
        return (files.map(String.init), Array(source[(begin + 1)..<end]))
    }

    /// The Swift block of `file` that is the example, and the blocks after it.
    static func block(of example: [String], in file: String) throws -> (MarkdownCodeBlock, next: MarkdownCodeBlock?)? {
        let markdown = try String(contentsOf: DocumentationExamples.packageRoot.appendingPathComponent(file), encoding: .utf8)
        let blocks = try MarkdownCodeBlocks.parse(markdown, file: file)
        let shown = normalized(example[...])
        guard let index = blocks.firstIndex(where: { $0.language == "swift" && normalized($0.lines[...]) == shown }) else {
            return nil
        }
        return (blocks[index], index + 1 < blocks.count ? blocks[index + 1] : nil)
    }

    /// Checks that the example `name` is a block of each Markdown file its marker lists.
    static func requireExample(named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        guard case (let files, let lines)? = try example(named: name) else {
            Issue.record("no doc-example \(name) in \(#filePath)", sourceLocation: sourceLocation)
            return
        }
        for file in files where try block(of: lines, in: file) == nil {
            let example = normalized(lines[...]).joined(separator: "\n")
            Issue.record(
                "\(file) has no Swift block that is, line for line, the doc-example \(name) of \(#fileID):\n\(example)",
                sourceLocation: sourceLocation
            )
        }
    }

    /// The `text` block that follows the example `name` in the first file its marker lists.
    static func shownOutput(of name: String) throws -> String? {
        guard case (let files, let lines)? = try example(named: name), let file = files.first,
            case (_, let next)? = try block(of: lines, in: file), let next, next.language == "text"
        else { return nil }
        return next.text
    }

    /// The lines as the Markdown must show them: without indentation, blank lines, imports, trailing
    /// comments' alignment, and lines that are not shown.
    static func normalized(_ lines: ArraySlice<String>) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("import ") && !$0.hasSuffix("// doc-example: not shown") }
            .map(collapsingSpacesBeforeComments)
    }

    /// `code   // comment` as `code // comment`: swift-format aligns trailing comments with two spaces,
    /// the Markdown aligns them in columns.
    static func collapsingSpacesBeforeComments(_ line: String) -> String {
        guard let range = line.range(of: " //") else { return line }
        let code = line[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
        return code.isEmpty ? line : "\(code) \(line[line.index(after: range.lowerBound)...])"
    }
}

extension DocumentationStandIns {
    /// The recording example, which calls the stand-ins.
    static func recordingExample() async throws {
        // doc-example: begin recording Sources/Resilience/Resilience.docc/TestingOnVirtualTime.md
        let recorder = RecordingObserver()
        let clock = ManualClock(advancesAutomatically: true)
        let responses = ScriptedOperation<Response>([.succeed(Response(status: 503)), .succeed(Response(status: 200))])
        let response = try await retry(.default, clock: clock, observer: recorder, retryingWhen: { $0.status == 503 }) {
            try await responses()
        }
        #expect(response.status == 200)
        #expect(recorder.kinds == [.resultRejected, .retryScheduled, .attemptSucceeded])
        #expect(recorder.events(.retryScheduled).first?.attempt == 1)
        // doc-example: end
    }
}
