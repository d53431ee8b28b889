import Testing

@testable import ResilienceCommands

/// The `resilience` command itself, the real binary: what it says about itself.
@Suite("resilience (the real binary)")
struct ToolCommandTests {
    @Test("--version prints the version defined in ToolVersion and exits 0")
    func version() async throws {
        let scratch = try Scratch()
        let result = try await ResilienceBinary.run(["--version"], in: scratch)
        #expect(result.status == 0)
        #expect(result.standardOutput == ToolVersion.current + "\n")
        #expect(ToolVersion.current.split(separator: ".").count == 3)
    }
}
