import Foundation
import Resilience
import ResilienceCommands

// The command line's parsers: `resilience run`'s and `resilience simulate`'s options (one
// argument per line; a first line of `run` or `simulate` picks the command, anything else fuzzes
// the value parsers on every line). Crash checks, and round trips: what the tool prints of a
// value (a duration, an exit status set, a size) parses back to the same value, or for a rounded
// duration, to one that prints the same.

func checkValue(_ text: String) {
    if let duration = try? DurationArgument.parse(text) {
        let printed = DurationArgument.format(duration)
        do {
            let reparsed = try DurationArgument.parse(printed)
            require(
                DurationArgument.format(reparsed) == printed,
                "\"\(text)\" prints as \(printed), which prints as \(DurationArgument.format(reparsed))")
        } catch {
            require(false, "\"\(text)\" prints as \(printed), which does not parse: \(error)")
        }
    }
    if let set = try? ExitStatusSet(parsing: text) {
        require((try? ExitStatusSet(parsing: set.description)) == set, "\"\(text)\" prints as \(set.description), which parses otherwise")
    }
    if let size = try? ByteCount(parsing: text) {
        require((try? ByteCount(parsing: size.description))?.bytes == size.bytes, "\"\(text)\" prints as \(size), which parses otherwise")
    }
    _ = try? JitterArgument.parse(text)
    _ = try? AttemptCount(parsing: text)
    _ = try? ClientCounts.parse(text, step: max(text.count % 50, 1))
}

func fuzz(_ data: Data) {
    var arguments = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    // --breaker-config reads a file: not from fuzzed input.
    guard let command = arguments.first, !arguments.contains(where: { $0.contains("breaker-config") }) else { return }
    arguments.removeFirst()
    switch command {
    case "run":
        guard let options = try? RunOptions.parse(arguments) else { return }
        if let configuration = try? options.configuration() {
            _ = configuration.policy.description
            _ = try? options.breakerSettings(for: configuration)
        }
    case "simulate":
        guard let options = try? SimulateOptions.parse(arguments), let sweep = try? options.sweep() else { return }
        require(!sweep.clientCounts.isEmpty && !sweep.strategies.isEmpty, "an empty sweep")
    default:
        for argument in [command] + arguments { checkValue(argument) }
    }
}
