import ArgumentParser
import Resilience

/// The options of `resilience run [options] [--] COMMAND [ARGS...]`.
///
/// Parsing only checks each value's syntax; ``configuration()`` checks them together and builds the
/// ``RunConfiguration``. Both report problems as usage errors (exit status 64) naming the option.
package struct RunOptions: ParsableArguments {
    // Values are parsed by their types' `init(parsing:)`, so that ArgumentParser's error says what
    // is wrong with a value; `.unconditional`, so that a negative value (`--attempts -1`) is taken
    // as the value it is, and said to be negative, rather than as an unknown option.

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most attempts, counting the first, or 'forever'. (default: the policy's; 3 for 'default')",
            valueName: "n"
        ),
        transform: { try AttemptCount(parsing: $0) }
    )
    var attempts: AttemptCount?

    @Option(
        help: ArgumentHelp(
            "The preset to start from: default, aggressive, rate-limit, conservative or adaptive; the flags below override its fields.",
            valueName: "preset"
        )
    )
    var policy: String = "default"

    @Option(help: ArgumentHelp("The backoff shape: constant, linear or exponential.", valueName: "kind"))
    var backoff: PolicyArguments.BackoffKind?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The first delay (the only one for a constant backoff), such as 500ms, 2s or 1m; a bare number is seconds.",
            valueName: "duration"
        ),
        transform: { try DurationArgument(parsing: $0) }
    )
    var base: DurationArgument?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The exponential backoff's growth factor, at least 1.", valueName: "factor")
    )
    var multiplier: Double?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("The linear backoff's step. (default: --base)", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var increment: DurationArgument?

    @Option(
        name: .customLong("max-delay"),
        parsing: .unconditional,
        help: ArgumentHelp("The cap on every delay, jitter included.", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var maxDelay: DurationArgument?

    @Option(
        help: ArgumentHelp(
            "The jitter: none, full, equal, decorrelated, proportional (adds 0-50%) or proportional:F.",
            valueName: "kind"
        ),
        transform: { try JitterArgument(parsing: $0) }
    )
    var jitter: JitterArgument?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The time limit of each attempt; past it the attempt's whole process group is killed (SIGTERM, then SIGKILL after --kill-after) and the attempt counts as a time-out (status 124).",
            valueName: "duration"
        ),
        transform: { try DurationArgument(parsing: $0) }
    )
    var timeout: DurationArgument?

    @Option(
        name: .customLong("kill-after"),
        parsing: .unconditional,
        help: ArgumentHelp("How long a timed-out attempt has between SIGTERM and SIGKILL. (default: 2s)", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var killAfter: DurationArgument?

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp(
            "The budget for the whole run: no wait starts that would end past it, and it bounds the running attempt.",
            valueName: "duration"
        ),
        transform: { try DurationArgument(parsing: $0) }
    )
    var deadline: DurationArgument?

    @Option(
        name: .customLong("retry-on"),
        help: ArgumentHelp(
            "Retry only these outcomes: exit statuses, ranges, 'signal' or 'timeout', such as 75,100-110,signal. (default: any failure)",
            valueName: "list"
        ),
        transform: { try ExitStatusSet(parsing: $0) }
    )
    var retryOn: [ExitStatusSet] = []

    @Option(
        name: .customLong("stop-on"),
        help: ArgumentHelp("Never retry these outcomes (same syntax); wins over --retry-on.", valueName: "list"),
        transform: { try ExitStatusSet(parsing: $0) }
    )
    var stopOn: [ExitStatusSet] = []

    @Flag(help: "Leave out progress messages; errors are still reported.")
    var quiet = false

    @Flag(help: "Write a JSON summary of the run to standard error at the end.")
    var json = false

    @Option(name: .customLong("json-file"), help: ArgumentHelp("Write the JSON summary to this file instead.", valueName: "file"))
    var jsonFile: String?

    @Flag(
        name: .customLong("no-stdin"),
        help:
            "Do not read standard input; attempts read /dev/null. (Standard input is otherwise passed to the first attempt as it arrives, and replayed to every later attempt.)"
    )
    var noStandardInput = false

    @Option(
        parsing: .unconditional,
        help: ArgumentHelp("Seed the jitter, for reproducible delays: a whole number from 0 to 2^64-1.", valueName: "n"),
        transform: { text in
            guard let seed = UInt64(text.trimmingSpaces()) else {
                let why = text.trimmingSpaces().hasPrefix("-") ? "is negative" : "is not a whole number"
                throw ArgumentError("\"\(text)\" \(why); a seed is a whole number from 0 to 2^64-1")
            }
            return seed
        }
    )
    var seed: UInt64?

    @Option(
        name: .customLong("spool-limit"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "The most bytes kept of standard input (to replay it) and of each attempt's output, such as 512MiB or 1GiB; past it the attempt is stopped and the run fails (status 74). (default: 1GiB)",
            valueName: "size"
        ),
        transform: { try ByteCount(parsing: $0) }
    )
    var spoolLimit: ByteCount?

    @OptionGroup(title: "Circuit breaker")
    var breaker: BreakerOptions

    @Argument(
        parsing: .captureForPassthrough,
        help: ArgumentHelp("The command to run and its arguments, after '--'.", valueName: "command")
    )
    var command: [String] = []

    /// Creates the options with their defaults (for ArgumentParser).
    package init() {}

    /// Checks the options together; ArgumentParser calls it after parsing.
    ///
    /// - Throws: `ValidationError` with a message naming the option at fault.
    package mutating func validate() throws {
        do {
            _ = try breakerSettings(for: resetsBreakerOnly ? nil : configuration())
        } catch {
            throw ValidationError(error.message)
        }
    }

    /// Whether the options only ask to reset the circuit breaker: `--breaker FILE --breaker-reset`
    /// without a command.
    package var resetsBreakerOnly: Bool {
        breaker.resets && (command.isEmpty || command == ["--"])
    }

    /// The validated `--breaker` settings, or `nil` without `--breaker`.
    ///
    /// - Parameter configuration: The run's configuration (the default probe timeout covers its
    ///   `--timeout` and `--kill-after`), or `nil` when there is no command (``resetsBreakerOnly``).
    /// - Returns: The settings, or `nil`.
    /// - Throws: ``ArgumentError`` naming the option at fault.
    package func breakerSettings(for configuration: RunConfiguration?) throws(ArgumentError) -> BreakerSettings? {
        try breaker.settings(attemptTimeout: configuration?.attemptTimeout, killGrace: configuration?.killGrace ?? .zero)
    }

    /// Whether `--quiet` was given.
    package var isQuiet: Bool { quiet }

    /// Whether standard input is to be read and replayed.
    package var replaysStandardInput: Bool { !noStandardInput }

    /// The seed for the jitter, if one was given.
    package var jitterSeed: UInt64? { seed }

    /// The validated configuration.
    ///
    /// - Returns: The configuration the options describe.
    /// - Throws: ``ArgumentError`` naming the option at fault.
    package func configuration() throws(ArgumentError) -> RunConfiguration {
        var command = command
        if command.first == "--" { command.removeFirst() }
        guard let executable = command.first else {
            throw ArgumentError("missing the command to run, as in: resilience run --attempts 3 -- curl -fsS https://example.com")
        }
        if executable.hasPrefix("-") && executable != "-" {
            throw ArgumentError("unknown option \"\(executable)\"; put the command after '--'")
        }

        var arguments = PolicyArguments()
        arguments.preset = policy
        arguments.attempts = attempts?.count
        arguments.backoff = backoff
        arguments.base = base?.duration
        arguments.multiplier = multiplier
        arguments.increment = increment?.duration
        arguments.maxDelay = maxDelay?.duration
        arguments.jitter = jitter?.jitter
        arguments.deadline = deadline?.duration
        let policy = try arguments.makePolicy()

        let attemptTimeout = timeout?.duration
        if let attemptTimeout, attemptTimeout <= .zero {
            throw ArgumentError("--timeout must be positive, got \(timeout?.description ?? "")")
        }
        let killGrace = killAfter?.duration ?? .seconds(2)

        let retrySet = retryOn.isEmpty ? nil : retryOn.dropFirst().reduce(retryOn[0]) { $0.union($1) }
        let stopSet = stopOn.reduce(ExitStatusSet()) { $0.union($1) }

        let destination: RunConfiguration.SummaryDestination? =
            if let jsonFile { .file(jsonFile) } else if json { .standardError } else { nil }
        return RunConfiguration(
            command: command,
            policy: policy,
            retryOn: retrySet,
            stopOn: stopSet,
            attemptTimeout: attemptTimeout,
            killGrace: killGrace,
            quiet: quiet,
            summaryDestination: destination,
            replaysStandardInput: !noStandardInput,
            spoolLimit: spoolLimit?.bytes ?? Spool.defaultLimit
        )
    }
}
