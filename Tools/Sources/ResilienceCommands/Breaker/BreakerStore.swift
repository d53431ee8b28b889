/// Where `resilience run --breaker` keeps a circuit breaker's ``BreakerState``, shared by every
/// invocation naming it: a file on this machine (``BreakerFile``), or a row in a PostgreSQL database
/// shared by many machines (`PostgresBreakerStore`, for `--breaker postgres://...`).
///
/// Every ``update(_:)`` is one read-modify-write, atomic against every other invocation's: a store
/// holds an exclusive lock (a file lock, a row lock) from the read to the write, never while a command
/// runs. ``BreakerGate`` is written against this protocol alone.
package protocol BreakerStore: Sendable {
    /// How messages name the state: `state file "PATH"`, or the database row and where it is (never
    /// with a password).
    var stateDescription: String { get }

    /// How messages name the breaker: the file's path as given, or the database URL without its
    /// password.
    var breakerName: String { get }

    /// Reads the state, lets `body` change it, and writes it back if it changed, all under the lock.
    ///
    /// - Parameters:
    ///   - now: This machine's wall clock. A store shared by many machines reads its own clock
    ///     instead (the database's), under the lock: one clock for every invocation, whose readings
    ///     never run behind the last change's.
    ///   - body: Gets the state, or `nil` when there is none yet, and the time to act at; it may change
    ///     the state. Setting a state writes it; setting `nil` leaves the stored state as it is.
    /// - Returns: What `body` returns.
    /// - Throws: ``BreakerStoreError`` when the state cannot be locked, read, decoded or written; `body`
    ///   does not run when it cannot be read or decoded.
    func update<Result>(
        clock now: @Sendable () -> WallClock.Instant,
        _ body: (inout BreakerState?, WallClock.Instant) -> Result
    ) async throws(BreakerStoreError) -> Result

    /// Replaces the state, whatever is stored, without decoding it: nothing stored, however damaged,
    /// can stop this (`--breaker-reset`).
    ///
    /// - Parameters:
    ///   - now: This machine's wall clock (see ``update(clock:_:)``).
    ///   - state: Makes the new state at the store's time.
    /// - Throws: ``BreakerStoreError`` when the state cannot be written.
    func replace(
        clock now: @Sendable () -> WallClock.Instant,
        with state: (WallClock.Instant) -> BreakerState
    ) async throws(BreakerStoreError)
}

extension BreakerFile: BreakerStore {
    /// `state file "PATH"`.
    package var stateDescription: String { "state file \"\(path)\"" }

    /// The path, as given.
    package var breakerName: String { path }
}

extension BreakerFile {
    /// One locked read-modify-write, at `now()` read under the lock.
    package func update<Result>(
        clock now: @Sendable () -> WallClock.Instant,
        _ body: (inout BreakerState?, WallClock.Instant) -> Result
    ) throws(BreakerStoreError) -> Result {
        try update { state in body(&state, now()) }
    }

    /// Replaces the state with one made at `now()`.
    package func replace(
        clock now: @Sendable () -> WallClock.Instant,
        with state: (WallClock.Instant) -> BreakerState
    ) throws(BreakerStoreError) {
        try replace(with: state(now()))
    }
}
