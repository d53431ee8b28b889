#if Postgres
import Logging
import PostgresNIO
import Resilience

/// Shares circuit breakers and retry budgets across the instances of a service through PostgreSQL:
/// a background task that, every `FleetConfiguration.syncInterval`, sends this instance's
/// summaries and probe-lease requests and reads the fleet's back, in one statement for all of the
/// instance's shared breakers and budgets, and feeds them to each breaker's `FleetCoordination`
/// and each budget's fleet veto.
///
/// ```swift
/// let client = PostgresClient(configuration: ...)
/// let fleet = FleetConfiguration.default
/// let ocrFleet = FleetCoordination(instance: podName, configuration: fleet)
/// let ocr = CircuitBreaker(name: "ocr", configuration: .default, fleet: ocrFleet)
/// let sync = try PostgresFleetSync(client: client, instance: podName, fleet: fleet)
/// try sync.register(ocrFleet)
/// await withDiscardingTaskGroup { group in
///     group.addTask { await client.run() }
///     group.addTask { await sync.run() }
///     // ... serve, calling ocr.execute { ... } as usual
/// }
/// ```
///
/// **Calls never touch the database.** The breakers and budgets decide on their own state, under
/// their own locks; only this task talks to PostgreSQL. When the database is unreachable, slow
/// (a round trip longer than ``PostgresFleetStoreConfiguration/syncTimeout``) or restarting, rounds
/// fail with a ``PostgresFleetSyncEvent/Kind/syncFailed`` event; after
/// `FleetConfiguration.staleAfter` without a successful round every breaker and budget acts on
/// its local evidence alone (``PostgresFleetSyncEvent/Kind/viewStale``, ``isStale``), and the first
/// round that succeeds again brings the fleet's view back (``PostgresFleetSyncEvent/Kind/viewFresh``).
///
/// The first round creates the schema (see ``PostgresFleetSchema``). Times in the tables are the
/// database's clock, in nanoseconds since the Unix epoch, so instances' clocks may drift.
public final class PostgresFleetSync<ClockType: Clock>: Sendable where ClockType.Duration == Duration {
    /// This instance's name in the fleet: unique, stable for the life of the process.
    public let instance: String
    /// The fleet's configuration: the sync interval, time to live, staleness, leases and rules.
    public let fleet: FleetConfiguration
    /// Where the tables are, and how long a round trip may take.
    public let configuration: PostgresFleetStoreConfiguration

    private let client: PostgresClient
    private let clock: ClockType
    private let logger: Logger
    private let onEvent: (@Sendable (PostgresFleetSyncEvent) -> Void)?
    private let statement: PostgresFleetStatement
    private let state: AnnotatedMutex<State>

    private struct SharedBudget: Sendable {
        let budget: RetryBudget
        let share: FleetRetryBudgetShare
    }

    private struct State: Sendable {
        var coordinations: [FleetCoordination] = []
        var budgets: [SharedBudget] = []
        var prepared = false
        var repairs = false
        var unixNow: (value: Int64, at: ClockType.Instant)?
        var lastSuccess: ClockType.Instant?
        var reportedStale = false
        var inFlight = false
        var statistics = PostgresFleetSyncStatistics()
        var decisions: [String: FleetDecision] = [:]
        var ownCounts: [String: (requests: Int, retries: Int)] = [:]
    }

    /// Creates a sync; it does nothing until ``run()`` (or ``sync()``).
    ///
    /// - Parameters:
    ///   - client: The PostgreSQL client, run by the caller (`client.run()`); a pool of its own is best,
    ///     so that the sync never waits behind the application's queries.
    ///   - instance: This instance's name in the fleet; the same as its coordinations'.
    ///   - fleet: The fleet's configuration, the same on every instance (and in every coordination).
    ///   - configuration: The schema, table prefix and round-trip timeout.
    ///   - clock: The clock of the sync interval, the timeout and staleness; the breakers' clock.
    ///   - logger: Where the events are logged.
    ///   - onEvent: Called with every event, on the sync's task: keep it short.
    /// - Throws: `ConfigurationError` naming `instance` (empty), `fleet` or `configuration` fields.
    public init(
        client: PostgresClient,
        instance: String,
        fleet: FleetConfiguration = .default,
        configuration: PostgresFleetStoreConfiguration = .default,
        clock: ClockType,
        logger: Logger = Logger(label: "resilience.postgres.fleet"),
        onEvent: (@Sendable (PostgresFleetSyncEvent) -> Void)? = nil
    ) throws(ConfigurationError) {
        guard !instance.isEmpty else { throw ConfigurationError(.invalidValue, field: "instance", reason: "must not be empty") }
        do { try fleet.validate() } catch { throw ConfigurationError(error.code, field: "fleet.\(error.field)", reason: error.reason) }
        try configuration.validate()
        self.client = client
        self.instance = instance
        self.fleet = fleet
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.onEvent = onEvent
        self.statement = PostgresFleetStatement(configuration: configuration)
        self.state = AnnotatedMutex(State())
    }

    /// Shares a breaker: every round reports it and makes it follow the fleet, until it is gone.
    ///
    /// - Parameter coordination: The breaker's coordination, of this `instance`.
    /// - Throws: `ConfigurationError` naming `instance` when the coordination is another instance's.
    public func register(_ coordination: FleetCoordination) throws(ConfigurationError) {
        guard coordination.instance == instance else {
            throw ConfigurationError(
                .invalidValue, field: "instance",
                reason: "the coordination is of instance \"\(coordination.instance)\", the sync of \"\(instance)\"")
        }
        state.withLock { $0.coordinations.append(coordination) }
    }

    /// Shares a ratio retry budget: every round reports its requests and retries, and vetoes its
    /// retries while the fleet's pooled retries exceed `share` (a token bucket takes no part). A veto
    /// is lifted only while this instance's part of the room left under the share (by its share of
    /// the fleet's requests) covers twice what it could retry before the next round (one retry per
    /// request of the last interval), since between rounds each instance retries on its own budget.
    ///
    /// - Parameters:
    ///   - budget: The budget, keyed in the store by its name.
    ///   - share: The fleet-wide limit.
    public func register(_ budget: RetryBudget, share: FleetRetryBudgetShare = .default) {
        state.withLock { $0.budgets.append(SharedBudget(budget: budget, share: share)) }
    }

    /// Whether the shared view is stale: no round has succeeded for `FleetConfiguration.staleAfter`
    /// (or none yet). Every breaker and budget then decides alone.
    public var isStale: Bool {
        let now = clock.now
        return state.withLock { state in
            state.lastSuccess.map { $0.duration(to: now) >= fleet.staleAfter } ?? true
        }
    }

    /// The counters so far.
    public var statistics: PostgresFleetSyncStatistics {
        let stale = isStale
        return state.withLock { state in
            var statistics = state.statistics
            statistics.isStale = stale
            return statistics
        }
    }

    /// The fleet's decision for the breaker named `breaker` at the last successful round, if it took part.
    ///
    /// - Parameter breaker: The breaker's name.
    /// - Returns: The decision, with the live instances and pooled counts behind it.
    public func lastDecision(for breaker: String) -> FleetDecision? {
        state.withLock { $0.decisions[breaker] }
    }

    /// Runs a round every `FleetConfiguration.syncInterval` until the task is cancelled. Never
    /// throws: failed rounds are events, and the next round tries again.
    public func run() async {
        var next = clock.now
        while !Task.isCancelled {
            await sync()
            next = next.advanced(by: fleet.syncInterval)
            let now = clock.now
            // A round that took longer than the interval: start the next one now, not a burst of them.
            if next < now { next = now }
            do { try await clock.sleep(until: next, tolerance: nil) } catch { return }
        }
    }

    /// Runs one round now: creates the schema on the first, then upserts, sweeps, leases and reads in
    /// one statement, and makes every registered breaker and budget follow what it read.
    ///
    /// - Returns: Whether the round succeeded (the events say why not).
    @discardableResult
    public func sync() async -> Bool {
        do {
            try await round()
            return true
        } catch is CancellationError where Task.isCancelled {
            // The sync is stopping: not a failure of the database.
            return false
        } catch {
            let failure: PostgresFleetSyncError =
                switch error {
                case let error as PostgresFleetSyncError: error
                case is CancellationError: PostgresFleetSyncError(.database, "cancelled")
                case let error as PSQLError: PostgresFleetSyncError(.database, Self.describe(error))
                default: PostgresFleetSyncError(.database, "\(error)")
                }
            state.withLock { state in
                state.statistics.failedRounds += 1
                // The tables are gone (dropped, or lost in a crash of a server without durable commits):
                // the next round creates them again.
                if let error = error as? PSQLError, let code = error.serverInfo?[.sqlState], Self.missingSchemaStates.contains(code) {
                    state.prepared = false
                    state.repairs = true
                }
            }
            emit(PostgresFleetSyncEvent(.syncFailed, instance: instance, error: failure))
            noteFailure()
            return false
        }
    }

    /// `undefined_table` and `invalid_schema_name`.
    private static var missingSchemaStates: Set<String> { ["42P01", "3F000"] }

    private static func describe(_ error: PSQLError) -> String {
        if let message = error.serverInfo?[.message] { return "\(error.code): \(message)" }
        return "\(error.code)"
    }

    private func round() async throws {
        let timeout = configuration.syncTimeout ?? fleet.syncInterval
        let (prepared, repairs) = state.withLock { ($0.prepared, $0.repairs) }
        if !prepared {
            let client = client
            let configuration = configuration
            let logger = logger
            // The schema is recorded as prepared when the statement ends, even past the deadline: on a
            // loaded server a migration slower than the sync timeout would otherwise be redone, and
            // time out again, on every round.
            try await withDeadline(timeout) {
                let (unixNow, applied) = try await PostgresFleetSchema.prepare(
                    client: client, configuration: configuration, repairing: repairs, logger: logger)
                self.notePrepared(unixNow: unixNow, applied: applied)
            }
        }

        // This round's reports, on the estimate of the database's clock.
        let estimate = unixEstimate(at: clock.now)
        let (coordinations, budgets) = state.withLock { state in
            state.coordinations.removeAll { $0.breakerName == nil }
            return (state.coordinations, state.budgets)
        }
        var breakerInputs: [PostgresFleetStatement.BreakerInput] = []
        var followers: [FleetCoordination] = []
        var names = Set<String>()
        for coordination in coordinations {
            guard let name = coordination.breakerName, let report = coordination.report(unixTime: estimate),
                names.insert(name).inserted
            else { continue }
            breakerInputs.append(.init(name: name, report: report))
            followers.append(coordination)
        }
        var budgetInputs: [PostgresFleetStatement.BudgetInput] = []
        var budgetFollowers: [SharedBudget] = []
        names = []
        for shared in budgets {
            guard let summary = shared.budget.fleetSummary(instance: instance, unixTime: estimate),
                names.insert(shared.budget.name).inserted
            else { continue }
            budgetInputs.append(.init(name: shared.budget.name, summary: summary))
            budgetFollowers.append(shared)
        }

        let query = statement.query(instance: instance, breakers: breakerInputs, budgets: budgetInputs, fleet: fleet)
        let client = client
        let logger = logger
        let sent = clock.now
        let result = try await withDeadline(timeout) {
            try await client.query(query, logger: logger).collect()
        }
        let received = clock.now
        let rows = try PostgresFleetRows(result, timeToLive: fleet.timeToLive)

        for rejected in rows.rejected {
            emit(PostgresFleetSyncEvent(.rowRejected, instance: instance, rowError: rejected))
        }
        var decisions: [String: FleetDecision] = [:]
        for (coordination, input) in zip(followers, breakerInputs) {
            var own = input.report.summary
            own.stateSince = rows.unixNow.subtractingSaturated(max(own.heartbeat.subtractingSaturated(own.stateSince), 0))
            own.heartbeat = rows.unixNow
            let view = FleetBreakerView(
                summaries: (rows.summaries[input.name] ?? []) + [own], leases: rows.leases[input.name] ?? FleetProbeLeases())
            if let result = coordination.apply(view, acknowledging: input.report, unixTime: rows.unixNow) {
                decisions[input.name] = result.decision
            }
        }
        for (shared, input) in zip(budgetFollowers, budgetInputs) {
            var own = input.summary
            own.heartbeat = rows.unixNow
            var decision = FleetRetryBudgetDecision(
                evaluating: (rows.budgets[input.name] ?? []) + [own], ratio: shared.share.ratio,
                minimumRetries: shared.share.minimumRetries, timeToLive: fleet.timeToLive, now: rows.unixNow)
            // Until the next round, every instance retries on its own budget, and every instance reads
            // the same room left under the share: lift the veto only when this instance's part of the
            // room (by its share of the requests) covers twice what it could retry before the next
            // round, taken as one retry for each request (or retry) it had in the last interval.
            let previous = state.withLock { state in
                defer { state.ownCounts[input.name] = (own.requests, own.retries) }
                return state.ownCounts[input.name]
            }
            let lastInterval = max(
                own.requests - (previous?.requests ?? own.requests), own.retries - (previous?.retries ?? own.retries), 1)
            let room = decision.allowance - Double(decision.pooledRetries)
            let part = room * Double(own.requests) / Double(max(decision.pooledRequests, 1))
            if decision.allowsRetries, part < 2 * Double(lastInterval) {
                decision = FleetRetryBudgetDecision(
                    evaluating: [], ratio: 0, minimumRetries: 0, timeToLive: fleet.timeToLive, now: rows.unixNow)
            }
            shared.budget.followFleet(decision, for: fleet.staleAfter)
        }

        let roundTrip = sent.duration(to: received)
        let wasStale = state.withLock { state in
            state.unixNow = (rows.unixNow, received)
            state.lastSuccess = received
            state.statistics.rounds += 1
            state.statistics.rejectedRows += rows.rejected.count
            state.statistics.lastRoundTrip = roundTrip
            state.decisions = decisions
            defer { state.reportedStale = false }
            return state.reportedStale || state.statistics.rounds == 1
        }
        emit(
            PostgresFleetSyncEvent(
                .synced, instance: instance, roundTrip: roundTrip, breakers: breakerInputs.count, budgets: budgetInputs.count))
        if wasStale { emit(PostgresFleetSyncEvent(.viewFresh, instance: instance)) }
    }

    /// Records the schema as prepared (and the database's clock as read then), and reports the
    /// migrations applied.
    private func notePrepared(unixNow: Int64, applied: [Int]) {
        let now = clock.now
        state.withLock { state in
            state.prepared = true
            state.repairs = false
            state.unixNow = (unixNow, now)
        }
        for version in applied {
            emit(PostgresFleetSyncEvent(.schemaMigrated, instance: instance, schemaVersion: version))
        }
    }

    /// The database's clock now, estimated from its last reading and this clock since.
    private func unixEstimate(at now: ClockType.Instant) -> Int64 {
        state.withLock { state in
            guard let (value, at) = state.unixNow else { return 0 }
            return value.addingSaturated(max(at.duration(to: now), .zero).saturatedNanosecondsValue)
        }
    }

    /// Reports the view stale once it is.
    private func noteFailure() {
        let now = clock.now
        let becameStale = state.withLock { state in
            let stale = state.lastSuccess.map { $0.duration(to: now) >= fleet.staleAfter } ?? true
            guard stale, !state.reportedStale else { return false }
            state.reportedStale = true
            return true
        }
        if becameStale { emit(PostgresFleetSyncEvent(.viewStale, instance: instance)) }
    }

    private func emit(_ event: PostgresFleetSyncEvent) {
        switch event.kind {
        case .synced: logger.trace("fleet sync", metadata: ["event": "\(event)"])
        case .viewFresh, .schemaMigrated: logger.info("fleet sync", metadata: ["event": "\(event)"])
        default: logger.warning("fleet sync", metadata: ["event": "\(event)"])
        }
        onEvent?(event)
    }

    // MARK: - Deadline

    /// Runs `operation` in a task of its own, and returns its result, or throws `timedOut` once
    /// `timeout` has passed on the clock (leaving it to finish), whichever comes first. Refuses to start while
    /// the previous operation still runs (a hung database), so that hung statements do not pile up.
    private func withDeadline<Value: Sendable>(
        _ timeout: Duration,
        _ operation: @escaping @Sendable () async throws -> Value
    ) async throws -> Value {
        let busy = state.withLock { state in
            defer { state.inFlight = true }
            return state.inFlight
        }
        guard !busy else {
            throw PostgresFleetSyncError(.previousRoundRunning, "the previous round's statement has not finished")
        }
        let race = DeadlineRace<Value>()
        let clock = clock
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                guard race.install(continuation) else {
                    state.withLock { $0.inFlight = false }
                    return
                }
                let running = Task {
                    let result: Result<Value, any Error>
                    do { result = .success(try await operation()) } catch { result = .failure(error) }
                    self.state.withLock { $0.inFlight = false }
                    race.finish(result, fromOperation: true)
                }
                let timer = Task {
                    do { try await clock.sleep(for: timeout) } catch { return }
                    race.finish(.failure(PostgresFleetSyncError(.timedOut, "no answer within \(timeout)")))
                }
                race.started(operation: running, timer: timer)
            }
        } onCancel: {
            race.finish(.failure(CancellationError()))
        }
    }
}

extension PostgresFleetSync where ClockType == ContinuousClock {
    /// Creates a sync on the continuous clock; it does nothing until ``run()`` (or ``sync()``).
    ///
    /// - Parameters:
    ///   - client: The PostgreSQL client, run by the caller.
    ///   - instance: This instance's name in the fleet.
    ///   - fleet: The fleet's configuration.
    ///   - configuration: The schema, table prefix and round-trip timeout.
    ///   - logger: Where the events are logged.
    ///   - onEvent: Called with every event.
    /// - Throws: `ConfigurationError` naming the invalid field.
    public convenience init(
        client: PostgresClient,
        instance: String,
        fleet: FleetConfiguration = .default,
        configuration: PostgresFleetStoreConfiguration = .default,
        logger: Logger = Logger(label: "resilience.postgres.fleet"),
        onEvent: (@Sendable (PostgresFleetSyncEvent) -> Void)? = nil
    ) throws(ConfigurationError) {
        try self.init(
            client: client, instance: instance, fleet: fleet, configuration: configuration, clock: ContinuousClock(), logger: logger,
            onEvent: onEvent)
    }
}

/// The first of an operation's result, a timeout and a cancellation, delivered once to a continuation.
///
/// When the timeout or the cancellation wins, the operation's task is cancelled too. PostgresNIO
/// gives up a connection lease it is still waiting for (a pool reconnecting to a server that is down
/// would otherwise hold the round, and every later one, until the pool's backoff lets it in); a
/// statement already sent is not cut off (PostgresNIO finishes it, or fails it when its connection
/// closes), so its connection goes back to the pool healthy. Until the task ends, no new round starts.
private final class DeadlineRace<Value: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Value, any Error>?
        var outcome: Result<Value, any Error>?
        var decidedByOperation = false
        var operation: Task<Void, Never>?
        var timer: Task<Void, Never>?
    }

    private let state = AnnotatedMutex(State())

    /// Installs the continuation; `false` (and resumed) when the race was already decided (cancelled).
    func install(_ continuation: CheckedContinuation<Value, any Error>) -> Bool {
        let decided = state.withLock { state -> Result<Value, any Error>? in
            if let outcome = state.outcome { return outcome }
            state.continuation = continuation
            return nil
        }
        guard let decided else { return true }
        continuation.resume(with: decided)
        return false
    }

    /// Notes the operation's task and the timer; when the race is already decided, cancels the timer,
    /// and the operation too unless it decided the race.
    func started(operation: Task<Void, Never>, timer: Task<Void, Never>) {
        // `nil` while undecided; otherwise whether the operation decided it.
        let decidedByOperation = state.withLock { state -> Bool? in
            guard state.outcome == nil else { return state.decidedByOperation }
            state.operation = operation
            state.timer = timer
            return nil
        }
        guard let decidedByOperation else { return }
        timer.cancel()
        if !decidedByOperation { operation.cancel() }
    }

    /// Decides the race, if it is not decided yet: resumes the continuation, cancels the timer, and
    /// cancels the operation when the outcome is not its own.
    func finish(_ outcome: Result<Value, any Error>, fromOperation: Bool = false) {
        let (continuation, operation, timer) = state.withLock {
            state -> (CheckedContinuation<Value, any Error>?, Task<Void, Never>?, Task<Void, Never>?) in
            guard state.outcome == nil else { return (nil, nil, nil) }
            state.outcome = outcome
            state.decidedByOperation = fromOperation
            defer {
                state.continuation = nil
                state.operation = nil
            }
            return (state.continuation, fromOperation ? nil : state.operation, state.timer)
        }
        timer?.cancel()
        operation?.cancel()
        continuation?.resume(with: outcome)
    }
}
#endif
