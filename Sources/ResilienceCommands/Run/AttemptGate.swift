/// A check around every attempt of `resilience run`: the place where a circuit breaker plugs in.
///
/// ``CommandRunner`` asks each gate, in order, to ``admit(attempt:)`` an attempt before starting
/// the command, and tells each gate the outcome with ``record(_:)`` after it ends. A gate that
/// refuses an attempt returns an ``AttemptRejection``: the command is not started, the attempt's
/// outcome is ``AttemptOutcome/Termination/rejected(_:)``, and the run stops with the rejection's exit
/// status (rejections are not retried: waiting against a service known to be down only delays the
/// failure). `--breaker FILE` is meant to be such a gate, keeping its state in FILE.
public protocol AttemptGate: Sendable {
    /// Decides whether attempt `attempt` may start.
    ///
    /// - Parameter attempt: The attempt's number, from 1.
    /// - Returns: `nil` to let it start, or why it may not.
    func admit(attempt: Int) async -> AttemptRejection?

    /// Learns how an admitted attempt ended.
    ///
    /// - Parameter outcome: The attempt's outcome (never a rejection).
    func record(_ outcome: AttemptOutcome) async
}
