import Resilience

/// A validated `--breaker FILE` with its configuration: what ``BreakerGate`` needs.
package struct BreakerSettings: Hashable, Sendable {
    /// The state file's path.
    package var path: String
    /// When the breaker trips, how long it stays open, how it probes.
    package var configuration: CircuitBreakerConfiguration
    /// Whether to forget the file's state (start from a closed breaker) before running
    /// (`--breaker-reset`).
    package var resets: Bool
    /// How long to wait for the state file's lock before giving up with an error
    /// (`--breaker-lock-timeout`); see ``BreakerFile/lockTimeout``.
    package var lockTimeout: Duration

    /// How long to wait for the state file's lock unless told: the lock is held for a read-modify-write
    /// of a small file only, so a wait this long means a stuck holder or a very slow disk.
    package static let defaultLockTimeout = Duration.seconds(10)

    /// The largest count window (``SlidingWindow/count(_:)``) a breaker kept in a file may have.
    ///
    /// Every run reads, decodes, encodes and writes the whole window under the file's lock, twice. The
    /// library allows a million calls, a state file of about 2 MB whose update takes about a second:
    /// eight concurrent runs then time out waiting for the lock. Ten thousand calls keep the file
    /// around 20 kB and an update in milliseconds.
    package static let maximumCountWindow = 10_000

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - path: The state file's path.
    ///   - configuration: The breaker's configuration; ``CircuitBreakerConfiguration/default`` (5
    ///     failures in a row, open for 60 s) unless given.
    ///   - resets: Whether to forget the file's state before running.
    ///   - lockTimeout: How long to wait for the state file's lock; ``defaultLockTimeout`` unless given.
    package init(
        path: String,
        configuration: CircuitBreakerConfiguration = .default,
        resets: Bool = false,
        lockTimeout: Duration = defaultLockTimeout
    ) {
        self.path = path
        self.configuration = configuration
        self.resets = resets
        self.lockTimeout = lockTimeout
    }
}
