/// Which attempt of a hedged call is running: the first (number 1) or a hedge (2, 3, …).
///
/// An operation can use it to send each attempt somewhere else, such as another replica:
///
/// ```swift
/// let answer = try await hedging.executeAttempts { attempt in
///     try await replicas[(attempt.number - 1) % replicas.count].query(request)
/// }
/// ```
///
/// The same value is also the task-local ``current`` while the attempt runs, so code deeper down
/// (a client library, a strategy inside the hedging one) can read it without being passed it:
///
/// ```swift
/// let replica = replicas[((HedgingAttempt.current?.number ?? 1) - 1) % replicas.count]
/// ```
public struct HedgingAttempt: Hashable, Sendable, CustomStringConvertible {
    /// The attempt's number: 1 for the first, 2 for the first hedge, and so on, in the order the
    /// attempts started.
    public var number: Int

    /// Creates an attempt's description.
    ///
    /// - Parameter number: The attempt's number, from 1.
    public init(number: Int) {
        self.number = number
    }

    /// Whether this attempt is a hedge, started because an earlier one was slow or failed (number 2
    /// or more), rather than the first.
    public var isHedge: Bool { number > 1 }

    /// The attempt running in the current task, inside a ``Hedging`` strategy; `nil` outside one.
    ///
    /// Set for the duration of each attempt (in the attempt's own child task), so nested hedging
    /// strategies see their own, innermost attempt.
    @TaskLocal public static var current: HedgingAttempt?

    /// `attempt 1`, or `hedge 2`, `hedge 3`, ….
    public var description: String {
        isHedge ? "hedge \(number)" : "attempt \(number)"
    }
}
