import ArgumentParser
import Resilience
import ResilienceCommands
import ResilienceTestKit

/// `resilience run`: retries a command with backoff and jitter.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command, retrying it with backoff and jitter until it succeeds.",
        discussion: """
            Exit status: the last attempt's; 128+N when signal N ended it (or interrupted a wait); \
            124 when it timed out; 127 when the command is not found, 126 when it cannot be executed; \
            64 for bad options.

            Standard input is read once and replayed to every attempt. Only the attempt that ends the \
            run writes to standard output; earlier attempts' output goes to standard error. SIGINT, \
            SIGTERM and SIGHUP are forwarded to the running attempt's process group and stop the run.

            Without flags the 'default' policy applies: 3 attempts, 1s doubling up to 60s, plus \
            up to 50% jitter; any failure is retried.

            Examples:
              resilience run --attempts 5 --jitter full -- curl -fsS https://example.org
              resilience run --policy aggressive --timeout 30s -- ./sync.sh
              resilience run --retry-on 75,100-110 --deadline 10m -- ./deploy.sh
              pg_dump db | resilience run -- upload-backup
            """
    )

    @OptionGroup var options: RunOptions

    func run() async throws {
        let configuration = try options.configuration()
        let standardInput = options.replaysStandardInput ? StandardInput.readAll() : nil
        let interruption = Interruption()
        let forwarder = SignalForwarder(to: interruption)
        let runner = CommandRunner(
            configuration: configuration,
            clock: ContinuousClock(),
            random: options.jitterSeed.map { RandomSource.seeded($0) } ?? .system,
            interruption: interruption
        )
        let summary = await runner.run(standardInput: standardInput)
        withExtendedLifetime(forwarder) {}
        throw ExitCode(summary.exitStatus)
    }
}
