import Foundation
import Resilience
import Testing

@testable import ResilienceCommands

/// The README's examples of the tool's output and files, checked against the tool.
@Suite("The README's tool examples")
struct ReadmeTests {
    /// The README at the root of the repository.
    static func readme() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The lines of the README from the line containing `marker` on.
    static func lines(after marker: String) throws -> ArraySlice<Substring> {
        let lines = try readme().split(separator: "\n", omittingEmptySubsequences: false)
        let start = try #require(lines.firstIndex { $0.contains(marker) }, "the README has no line with \"\(marker)\"")
        return lines[start...]
    }

    /// The README's label of each strategy, and the column `resilience simulate` prints it under.
    static let strategyColumns = [
        "no backoff": "no-backoff",
        "exponential, no jitter": "exponential",
        "full jitter": "full",
        "equal jitter": "equal",
        "decorrelated jitter": "decorrelated",
        "proportional jitter 0.5 (the presets' default)": "proportional:0.5",
    ]

    @Test("the simulate table in the README is the tool's current output for the README's parameters")
    func simulateTable() async throws {
        // "With 100 clients (mean of 100 runs, seed 1):", then the table.
        let section = try Self.lines(after: "### `resilience simulate`")
        let heading = try #require(section.first { $0.hasPrefix("With ") && $0.contains(" clients (mean of ") })
        let numbers = heading.matches(of: /\d+/).map { Int($0.output)! }
        #expect(numbers.count == 3, "expected clients, runs and seed in \"\(heading)\"")
        let (clients, runs, seed) = (numbers[0], numbers[1], numbers[2])
        let table = section.drop { !$0.hasPrefix("| strategy |") }.dropFirst(2).prefix { $0.hasPrefix("|") }
        var documented: [String: (calls: String, time: String)] = [:]
        for row in table {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            #expect(cells.count == 3, "a row of strategy, write calls and completion time: \(row)")
            guard cells.count == 3 else { continue }
            documented[cells[0]] = (cells[1], cells[2])
        }
        #expect(Set(documented.keys) == Set(Self.strategyColumns.keys), "the README's strategies")

        let result = try await ResilienceBinary.run(
            ["simulate", "--clients", "\(clients)", "--runs", "\(runs)", "--seed", "\(seed)"], in: try Scratch())
        #expect(result.status == 0)
        // Two tables, calls then milliseconds: a header line of column names, then the row for `clients`.
        let output = result.standardOutput.split(separator: "\n")
        let headers = output.indices.filter { output[$0].hasPrefix("clients ") }
        #expect(headers.count == 2)
        guard headers.count == 2 else { return }
        func values(_ header: Int) -> [String: Double] {
            let names = output[header].split(separator: " ").dropFirst().map(String.init)
            let row = output[header + 1].split(separator: " ")
            guard row.first == "\(clients)"[...] else { return [:] }
            return Dictionary(uniqueKeysWithValues: zip(names, row.dropFirst().compactMap { Double($0) }))
        }
        let calls = values(headers[0])
        let milliseconds = values(headers[1])
        for (label, column) in Self.strategyColumns {
            let row = try #require(documented[label])
            let measuredCalls = try #require(calls[column], "no \(column) column in:\n\(result.standardOutput)")
            let measuredTime = try #require(milliseconds[column])
            #expect(row.calls == "\(Int(measuredCalls.rounded()))", "\(label): write calls")
            #expect(row.time == String(format: "%.1f s", measuredTime / 1_000), "\(label): completion time")
        }
    }

    @Test("the README's --breaker state file example is a version 2 file the tool reads, as it writes them")
    func breakerFileExample() throws {
        let section = try Self.lines(after: "- **The file** (format version 2")
        let block = section.drop { !$0.contains("```json") }.dropFirst().prefix { !$0.contains("```") }
        let json = block.map { $0.trimmingCharacters(in: .whitespaces) }.joined()
        let (state, version) = try BreakerState.decode(from: Data(json.utf8), configuration: .default)
        #expect(version == 2)
        #expect(state.machine.state == .open)
        #expect(state.record.openUntil == state.updatedAt.advanced(by: .seconds(60)).nanosecondsSinceEpoch)
        // What the tool writes for that state is the example, byte for byte.
        #expect(String(decoding: try state.encoded(), as: UTF8.self) == json + "\n")
    }
}
