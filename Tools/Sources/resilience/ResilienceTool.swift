import ArgumentParser
import ResilienceCommands
import ResilienceDemo

/// The `resilience` command-line tool.
@main
struct ResilienceTool: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resilience",
        abstract: "Resilience tools: retry any command, and see why jitter matters.",
        version: ToolVersion.current,
        subcommands: [DemoCommand.self, RunCommand.self, SimulateCommand.self]
    )
}
