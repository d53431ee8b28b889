/// A check around every attempt of `resilience run`: the place where a circuit breaker plugs in.
///
/// ``CommandRunner`` asks each gate, in order, to ``admit(attempt:)`` an attempt before starting
/// the command. A gate that refuses an attempt returns an ``AttemptRejection``: the command is not
/// started, the attempt's outcome is ``AttemptOutcome/Termination/rejected(_:)``, and the run stops
/// with the rejection's exit status (rejections are not retried: waiting against a service known to
/// be down only delays the failure).
///
/// Every gate that admitted an attempt is told its outcome with ``record(_:)``, whatever happened
/// next: the command's exit, a time-out, a signal, a failure to start, or a later gate's refusal. So a
/// circuit breaker always gets its half-open permit back. `--breaker FILE` is meant to be such a
/// gate, keeping its state in FILE.
package protocol AttemptGate: Sendable {
    /// Decides whether attempt `attempt` may start.
    ///
    /// - Parameter attempt: The attempt's number, from 1.
    /// - Returns: `nil` to let it start, or why it may not.
    func admit(attempt: Int) async -> AttemptRejection?

    /// Learns how an attempt this gate admitted ended.
    ///
    /// - Parameter outcome: The attempt's outcome; a rejection when a later gate refused it.
    func record(_ outcome: AttemptOutcome) async
}
