import Resilience

/// A validated `--breaker FILE` with its configuration: what ``BreakerGate`` needs.
public struct BreakerSettings: Hashable, Sendable {
    /// The state file's path.
    public var path: String
    /// When the breaker trips, how long it stays open, how it probes.
    public var configuration: CircuitBreakerConfiguration
    /// Whether to forget the file's state (start from a closed breaker) before running
    /// (`--breaker-reset`).
    public var resets: Bool

    /// Creates settings.
    ///
    /// - Parameters:
    ///   - path: The state file's path.
    ///   - configuration: The breaker's configuration; ``CircuitBreakerConfiguration/default`` (5
    ///     failures in a row, open for 60 s) unless given.
    ///   - resets: Whether to forget the file's state before running.
    public init(path: String, configuration: CircuitBreakerConfiguration = .default, resets: Bool = false) {
        self.path = path
        self.configuration = configuration
        self.resets = resets
    }
}
