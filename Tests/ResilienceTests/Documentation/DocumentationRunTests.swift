import Foundation
import Resilience
import ResilienceTestKit
import Testing

/// Runs the documentation's examples whose output the documentation states (exact virtual-time sleeps),
/// so that the values shown are the values the library gives.
///
/// Each test's body, between its `// doc-example:` markers, must be a Swift block of each Markdown file
/// listed in the begin marker, line for line (ignoring `import` lines and indentation): the test reads
/// its own source and the Markdown to check it, so the example cannot drift from what runs here.
@Suite("Documentation examples that run", .timeLimit(.minutes(5)))
struct DocumentationRunTests {
    @Test("the virtual-time example gives the exact sleeps the README states")
    func virtualTime() async throws {
        try Self.requireExample(named: "virtual-time")
        // doc-example: begin virtual-time README.md
        let clock = ManualClock(advancesAutomatically: true)
        let flaky = ScriptedOperation(failures: 2, with: TimeoutError(timeout: .seconds(5)), thenReturning: "success")
        let result = try await retry(.default, clock: clock, random: .seeded(42)) { try await flaky() }
        #expect(result == "success" && flaky.callCount == 3)
        #expect(clock.requestedSleeps == [.nanoseconds(1_370_782_439), .nanoseconds(2_159_910_392)])
        // doc-example: end
    }

    /// Checks that the example `name` in this file is a block of each Markdown file its marker lists.
    static func requireExample(named name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let beginPrefix = "// doc-example: begin \(name) "
        guard let begin = source.firstIndex(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(beginPrefix) }),
            let end = source[begin...].firstIndex(where: { $0.trimmingCharacters(in: .whitespaces) == "// doc-example: end" })
        else {
            Issue.record("no doc-example \(name) in \(#filePath)", sourceLocation: sourceLocation)
            return
        }
        let files = source[begin].trimmingCharacters(in: .whitespaces).dropFirst(beginPrefix.count).split(separator: " ")
        let example = normalized(source[(begin + 1)..<end])
        for file in files {
            let markdown = try String(contentsOf: DocumentationExamples.packageRoot.appendingPathComponent(String(file)), encoding: .utf8)
            let blocks = try MarkdownCodeBlocks.parse(markdown, file: String(file)).filter { $0.language == "swift" }
            #expect(
                blocks.contains { normalized($0.lines[...]) == example },
                "\(file) has no Swift block that is, line for line, the doc-example \(name) of \(#fileID):\n\(example.joined(separator: "\n"))",
                sourceLocation: sourceLocation
            )
        }
    }

    /// The lines without indentation, blank lines and imports.
    static func normalized(_ lines: ArraySlice<String>) -> [String] {
        lines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("import ") }
    }
}
