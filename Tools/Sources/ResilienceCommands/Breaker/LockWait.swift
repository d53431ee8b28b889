/// The time spent waiting for the state file's lock, counted so that a stopped process does not give up
/// on resuming.
///
/// A waiter polls for the lock with short pauses. A pause that takes far longer than asked means the
/// process was stopped (`SIGSTOP`, a suspended laptop, a stalled VM), and most likely the holder with
/// it; that time is not waiting for the holder, so each pause adds at most ``longestCountedPause``.
package struct LockWait {
    /// The most that one pause adds to the time waited.
    package static let longestCountedPause = Duration.milliseconds(100)

    /// How long to wait before giving up.
    package let limit: Duration
    /// The time counted as waited so far.
    package private(set) var waited = Duration.zero

    /// Starts a wait that gives up after `limit`.
    package init(limit: Duration) {
        self.limit = limit
    }

    /// Whether the wait has reached its limit.
    package var isOver: Bool { waited >= limit }

    /// Counts a pause between two tries that took `elapsed` on the clock.
    package mutating func count(_ elapsed: Duration) {
        waited += min(max(elapsed, .zero), Self.longestCountedPause)
    }
}
