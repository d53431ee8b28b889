import ArgumentParser
import Resilience
import ResilienceCommands

/// `resilience run`: retries a command with backoff and jitter.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command, retrying it with backoff and jitter until it succeeds.",
        discussion: """
            Exit status: the last attempt's; 128+N when signal N ended it (or interrupted a wait); \
            124 when it timed out; 127 when the command is not found, 126 when it cannot be executed; \
            64 for bad options; 74 when standard input or an attempt's output cannot be kept (past \
            --spool-limit, or the temporary file cannot be written). With --breaker: 75 when the breaker refuses to run the command, 65 when \
            its state file is damaged, 74 when the file cannot be read or written.

            Standard input is passed to the first attempt as it arrives and kept, to be replayed to \
            every later attempt; it and each attempt's output are kept in memory up to 8 MiB, beyond \
            that in a temporary file in $TMPDIR, up to --spool-limit. Only the attempt that ends the \
            run writes to standard output; earlier attempts' output goes to standard error. SIGINT, \
            SIGTERM and SIGHUP are forwarded to the running attempt's process group and stop the run.

            Without flags the 'default' policy applies: 3 attempts, 1s doubling up to 60s, plus \
            up to 50% jitter; any failure is retried.

            Examples:
              resilience run --attempts 5 --jitter full -- curl -fsS https://example.org
              resilience run --policy aggressive --timeout 30s -- ./sync.sh
              resilience run --retry-on 75,100-110 --deadline 10m -- ./deploy.sh
              pg_dump db | resilience run -- upload-backup
              resilience run --breaker /var/tmp/api.breaker -- curl -fsS https://example.org
            """
    )

    @OptionGroup var options: RunOptions

    func run() async throws {
        if options.resetsBreakerOnly {
            try resetBreaker()
            return
        }
        let configuration = try options.configuration()
        let interruption = Interruption(terminatesProcess: true)
        var gates: [any AttemptGate] = []
        if let settings = try options.breakerSettings(for: configuration) {
            let gate = BreakerGate(settings: settings, run: configuration, interruption: interruption)
            try prepare(gate)
            gates.append(gate)
        }
        let standardInput = options.replaysStandardInput ? StandardInput.spool(limit: configuration.spoolLimit) : nil
        let forwarder = SignalForwarder(to: interruption)
        let runner = CommandRunner(
            configuration: configuration,
            clock: ContinuousClock(),
            random: options.jitterSeed.map { RandomSource.seeded($0) } ?? .system,
            interruption: interruption,
            gates: gates
        )
        let summary = await runner.run(standardInput: standardInput)
        withExtendedLifetime(forwarder) {}
        throw ExitCode(summary.exitStatus)
    }

    /// `--breaker FILE --breaker-reset` without a command: closes the breaker and exits.
    private func resetBreaker() throws {
        guard let settings = try options.breakerSettings(for: nil) else { return }
        let run = RunConfiguration(command: [], policy: .default, quiet: options.isQuiet)
        try prepare(BreakerGate(settings: settings, run: run, interruption: Interruption()))
    }

    /// Checks (creates, resets) the breaker's state file; a problem is an error with its own status.
    private func prepare(_ gate: BreakerGate) throws {
        do {
            try gate.prepare()
        } catch {
            FileDescriptorSink.standardError.write("resilience: \(error.message)\n")
            throw ExitCode(error.exitStatus)
        }
    }
}
