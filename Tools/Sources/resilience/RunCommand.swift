import ArgumentParser
import Resilience
import ResilienceBreakerPostgres
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
            its state (file or row) is damaged, 74 when it cannot be read or written.

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
              resilience run --breaker 'postgres://ci@db.internal/ops?breaker=api' -- curl -fsS https://example.org

            --breaker postgres://[user[:password]@][host][:port][/database][?breaker=NAME&schema=S&table=T&connect_timeout=SECONDS&sslmode=MODE] \
            keeps the breaker in a row of a PostgreSQL table instead, shared by every invocation on every \
            machine naming the same database, table and breaker (default: resilience.cli_breakers, breaker \
            'default'): each update is one transaction that locks the row (SELECT ... FOR UPDATE) and uses \
            the database's clock. What the URL leaves out comes from PGHOST, PGPORT, PGUSER, PGPASSWORD, \
            PGDATABASE, PGCONNECT_TIMEOUT and PGSSLMODE. The tables are created on first use; a role that \
            may not create them can use tables a DBA made with the SQL in the README. An unreachable \
            server, a refused login or a lock not had within --breaker-lock-timeout is status 74; a row \
            that holds no state this resilience reads is 65 (--breaker-reset replaces it).
            """
    )

    @OptionGroup var options: RunOptions

    /// A `--breaker postgres://...` URL that cannot be understood is a usage error (64).
    func validate() throws {
        do {
            if let settings = try options.breakerSettings(for: nil), PostgresBreakerLocation.isDatabaseURL(settings.path) {
                _ = try PostgresBreakerLocation(url: settings.path)
            }
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        if options.resetsBreakerOnly {
            try await resetBreaker()
            return
        }
        let configuration = try options.configuration()
        let interruption = Interruption(terminatesProcess: true)
        var gates: [any AttemptGate] = []
        if let settings = try options.breakerSettings(for: configuration) {
            let gate = BreakerGate(settings: settings, store: try Self.store(for: settings), run: configuration, interruption: interruption)
            try await prepare(gate)
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

    /// `--breaker FILE|URL --breaker-reset` without a command: closes the breaker and exits.
    private func resetBreaker() async throws {
        guard let settings = try options.breakerSettings(for: nil) else { return }
        let run = RunConfiguration(command: [], policy: .default, quiet: options.isQuiet)
        try await prepare(BreakerGate(settings: settings, store: try Self.store(for: settings), run: run, interruption: Interruption()))
    }

    /// Where the breaker's state lives: a row in PostgreSQL for a `postgres://` URL, the file otherwise.
    private static func store(for settings: BreakerSettings) throws -> any BreakerStore {
        guard PostgresBreakerLocation.isDatabaseURL(settings.path) else {
            return BreakerFile(path: settings.path, lockTimeout: settings.lockTimeout, configuration: settings.configuration)
        }
        do {
            return PostgresBreakerStore(
                location: try PostgresBreakerLocation(url: settings.path), lockTimeout: settings.lockTimeout,
                configuration: settings.configuration)
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Checks (creates, resets) the breaker's stored state; a problem is an error with its own status.
    private func prepare(_ gate: BreakerGate) async throws {
        do {
            try await gate.prepare()
        } catch {
            FileDescriptorSink.standardError.write("resilience: \(error.message)\n")
            throw ExitCode(error.exitStatus)
        }
    }
}
