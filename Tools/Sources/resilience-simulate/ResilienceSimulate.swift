import ArgumentParser
import ResilienceCommands

/// `resilience-simulate`: `resilience simulate` alone, in an executable that links neither the demo's
/// HTTP stack nor PostgreSQL, so that a release build of it (CI times the full sweep in one) builds
/// only the library and the commands.
@main
struct ResilienceSimulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resilience-simulate",
        abstract: SimulateCommand.configuration.abstract,
        version: ToolVersion.current,
        subcommands: SimulateCommand.configuration.subcommands,
        defaultSubcommand: SimulateCommand.configuration.defaultSubcommand
    )
}
