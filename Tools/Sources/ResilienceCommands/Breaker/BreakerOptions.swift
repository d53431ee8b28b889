import ArgumentParser
import Foundation
import Resilience

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The circuit breaker options of `resilience run`: `--breaker FILE` and its configuration.
///
/// Parsing only collects the text; ``settings(attemptTimeout:killGrace:)`` checks it and builds the
/// ``BreakerSettings``, reporting problems as ``ArgumentError``s naming the option (usage errors,
/// exit status 64).
package struct BreakerOptions: ParsableArguments {
    @Option(
        name: .customLong("breaker"),
        help: ArgumentHelp(
            "Keep a circuit breaker's state in this file (or, for a postgres:// URL, in a database row shared by many machines), shared by every invocation naming it: after --breaker-failures failures in a row (across runs), runs are refused (status 75) without starting the command until --breaker-break has passed; then one run probes.",
            valueName: "file|url"
        )
    )
    var file: String?

    // Values are parsed by their types (see `RunOptions`), `.unconditional` so that a negative one is
    // said to be negative.

    @Option(
        name: .customLong("breaker-failures"),
        parsing: .unconditional,
        help: ArgumentHelp("Failed attempts in a row that open the breaker. (default: 5)", valueName: "n"),
        transform: { text in
            guard let value = Int(text.trimmingSpaces()), value >= 1 else {
                let negative = Int(text.trimmingSpaces()).map { $0 < 0 } ?? false
                throw ArgumentError(
                    "expected a whole number of failures, at least 1, got \"\(text)\"\(negative ? " (a negative number)" : "")")
            }
            return value
        }
    )
    var failures: Int?

    @Option(
        name: .customLong("breaker-break"),
        parsing: .unconditional,
        help: ArgumentHelp("How long the breaker stays open before a run may probe. (default: 60s)", valueName: "duration"),
        transform: { try DurationArgument(parsing: $0) }
    )
    var breakDuration: DurationArgument?

    @Option(
        name: .customLong("breaker-probe-timeout"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "How long a probing run may hold the probe before another run may probe (a probe whose process died frees it then). (default: 60s, or --timeout plus --kill-after when longer)",
            valueName: "duration"
        ),
        transform: { try DurationArgument(parsing: $0) }
    )
    var probeTimeout: DurationArgument?

    @Option(
        name: .customLong("breaker-lock-timeout"),
        parsing: .unconditional,
        help: ArgumentHelp(
            "How long to wait for another invocation to release the state file's lock before failing (status 74); time this process spends stopped does not count. (default: 10s)",
            valueName: "duration"
        ),
        transform: { try DurationArgument(parsing: $0) }
    )
    var lockTimeout: DurationArgument?

    @Option(
        name: .customLong("breaker-config"),
        help: ArgumentHelp(
            "A circuit breaker configuration in JSON (failure rate, exponential breaks, probes to close, ...); the --breaker-* flags override its fields.",
            valueName: "file"
        )
    )
    var configurationFile: String?

    @Flag(
        name: .customLong("breaker-reset"),
        help: "Forget the breaker's state (even a damaged file), closing it, before running; without a command, only reset."
    )
    var reset = false

    /// Creates the options with their defaults (for ArgumentParser).
    package init() {}

    /// Whether `--breaker-reset` was given.
    package var resets: Bool { reset }

    /// The validated breaker settings, or `nil` without `--breaker`.
    ///
    /// - Parameters:
    ///   - attemptTimeout: `--timeout`, which the default probe timeout covers.
    ///   - killGrace: `--kill-after`, likewise.
    /// - Returns: The settings, or `nil` when no `--breaker` was given.
    /// - Throws: ``ArgumentError`` naming the option at fault.
    package func settings(attemptTimeout: Duration?, killGrace: Duration) throws(ArgumentError) -> BreakerSettings? {
        guard let file else {
            let given: [(String, Bool)] = [
                ("--breaker-failures", failures != nil), ("--breaker-break", breakDuration != nil),
                ("--breaker-probe-timeout", probeTimeout != nil), ("--breaker-lock-timeout", lockTimeout != nil),
                ("--breaker-config", configurationFile != nil), ("--breaker-reset", reset),
            ]
            if let (option, _) = given.first(where: \.1) {
                throw ArgumentError("\(option) needs --breaker FILE")
            }
            return nil
        }
        guard !file.isEmpty else {
            throw ArgumentError("--breaker needs the path of a state file, got an empty value")
        }

        let base = try configurationFile.map { path throws(ArgumentError) in try Self.loadConfiguration(path) } ?? .default
        let threshold = failures
        let breakDuration = try positiveDuration("--breaker-break", breakDuration)
        let lockTimeout = try positiveDuration("--breaker-lock-timeout", lockTimeout) ?? BreakerSettings.defaultLockTimeout
        var probeTimeout = try positiveDuration("--breaker-probe-timeout", probeTimeout) ?? base.probeTimeout
        if self.probeTimeout == nil, let current = probeTimeout, let attemptTimeout, attemptTimeout + killGrace > current {
            // A probe may legitimately run that long: do not presume it lost before.
            probeTimeout = attemptTimeout + killGrace
        }

        do {
            let configuration = try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: threshold ?? base.consecutiveFailureThreshold,
                failureRateThreshold: base.failureRateThreshold,
                slowCalls: base.slowCalls,
                slidingWindow: base.slidingWindow,
                minimumThroughput: base.minimumThroughput,
                breakDuration: breakDuration.map { .constant($0) } ?? base.breakDuration,
                maxConcurrentProbes: base.maxConcurrentProbes,
                halfOpenRule: base.halfOpenRule,
                halfOpensAutomatically: base.halfOpensAutomatically,
                probeTimeout: probeTimeout,
                failureCategories: base.failureCategories
            )
            if let size = configuration.slidingWindow.size, size > BreakerSettings.maximumCountWindow {
                throw ArgumentError(
                    "--breaker-config: a --breaker state file holds a count window of at most \(BreakerSettings.maximumCountWindow) calls, got \(size) (every run reads and writes the whole window under the lock)"
                )
            }
            return BreakerSettings(path: file, configuration: configuration, resets: reset, lockTimeout: lockTimeout)
        } catch let error as ArgumentError {
            throw error
        } catch {
            throw ArgumentError("the circuit breaker options: \(error)")
        }
    }

    private func positiveDuration(_ option: String, _ value: DurationArgument?) throws(ArgumentError) -> Duration? {
        guard let value else { return nil }
        guard value.duration > .zero else { throw ArgumentError("\(option) must be positive, got \(value)") }
        return value.duration
    }

    /// Reads a ``CircuitBreakerConfiguration`` from a JSON file.
    static func loadConfiguration(_ path: String) throws(ArgumentError) -> CircuitBreakerConfiguration {
        // O_NONBLOCK: a FIFO named by mistake must not hang the run; it is refused below.
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw ArgumentError("--breaker-config: cannot read \"\(path)\": \(SystemError.message(errno))")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        if let kind = BreakerFile.kindOfNonRegularFile(descriptor: descriptor) {
            throw ArgumentError("--breaker-config: \"\(path)\" is \(kind); name a JSON file")
        }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw ArgumentError("--breaker-config: cannot read \"\(path)\": \(error.localizedDescription)")
        }
        do {
            return try JSONDecoder().decode(CircuitBreakerConfiguration.self, from: data)
        } catch let error as ConfigurationError {
            throw ArgumentError("--breaker-config \"\(path)\": \(error)")
        } catch {
            throw ArgumentError("--breaker-config \"\(path)\": \(BreakerFile.describe(error))")
        }
    }
}
