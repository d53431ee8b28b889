import Foundation
import Logging
import PostgresNIO
import Resilience
import ResiliencePostgres
import Synchronization
import Testing

/// The PostgreSQL server of the integration tests, found through the libpq variables (`PGHOST`,
/// `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`) that `.ci/run` sets for its private cluster.
///
/// Outside CI, with none of them set, the suites are skipped (their trait says why). In CI (`CI`
/// set) they always run, and fail when the server is missing: a CI run that skipped them would look
/// green and test nothing.
enum PostgresTestServer {
    static let environment = ProcessInfo.processInfo.environment
    static let variables = ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"]

    /// Whether the suites run: some PG variable is set, or this is CI.
    static let isConfigured = variables.contains { environment[$0] != nil } || environment["CI"] != nil

    static let skipMessage: Comment =
        "PostgreSQL integration tests need a server: set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (.ci/postgres-cluster start DIR writes them)"

    /// A client configuration for the server (no TLS: a loopback cluster), with short timeouts.
    static func configuration(port: Int? = nil) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: environment["PGHOST"] ?? "127.0.0.1",
            port: port ?? environment["PGPORT"].flatMap(Int.init) ?? 5432,
            username: environment["PGUSER"] ?? "postgres",
            password: environment["PGPASSWORD"],
            database: environment["PGDATABASE"],
            tls: .disable
        )
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.maximumConnections = 4
        configuration.options.keepAliveBehavior = nil
        // A server-side bound too, besides the sync's own timeout.
        configuration.options.additionalStartupParameters = [("statement_timeout", "5000")]
        return configuration
    }

    /// A schema name of its own for one test, so that tests run in parallel on one server.
    static func uniqueSchema(_ label: String) -> String {
        "t_\(label)_\(UInt32.random(in: 0...UInt32.max))"
    }

    static let logger = Logger(label: "resilience.postgres.tests")

    /// Runs `body` with a running client; shuts it down afterwards.
    static func withClient<Result: Sendable>(
        port: Int? = nil,
        _ body: @Sendable (PostgresClient) async throws -> Result
    ) async throws -> Result {
        let client = PostgresClient(configuration: configuration(port: port), backgroundLogger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            return try await body(client)
        }
    }

    /// Runs a statement as the tests' own administrator (to plant rows, read tables, drop schemas).
    static func execute(_ client: PostgresClient, _ sql: String) async throws -> [PostgresRow] {
        try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }

    /// Drops a test's schema.
    static func drop(_ client: PostgresClient, schema: String) async {
        _ = try? await execute(client, "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE")
    }
}

/// The suites that need the PostgreSQL server, one at a time.
///
/// Each fleet test runs up to 8 instances syncing every 100 ms on the wall clock; several at once, beside
/// the rest of the tool's suites on a loaded CI host, starved the server and one another until their
/// rounds timed out. One at a time, each test's timing is its own (they still run beside the other
/// suites, which do not touch the server).
@Suite("PostgreSQL server", .serialized, .enabled(if: PostgresTestServer.isConfigured, PostgresTestServer.skipMessage))
enum PostgresServerTests {}

/// Polls `condition` every 10 ms until it holds or `bound` of polling has passed, then returns whether
/// it holds; not holding is a test failure at the caller.
///
/// The bound counts the polls' own sleeps, not the wall clock: a loaded machine that stalls for
/// seconds stalls the server and the instances under test with it, and must not use up the bound.
/// Each poll counts at least its 10 ms, and at most 100 ms (a poll that took longer was a stall).
func eventually(
    within bound: Duration = .seconds(30),
    _ condition: @Sendable () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let poll = Duration.milliseconds(10)
    var polled = Duration.zero
    while polled < bound {
        if try await condition() { return true }
        let started = clock.now
        try? await clock.sleep(for: poll)
        polled += min(max(started.duration(to: clock.now), poll), poll * 10)
    }
    return try await condition()
}

/// A downstream that can be up, down (every call fails) or held (every call waits until released),
/// counting the calls it receives, and who made them.
final class Downstream: Sendable {
    struct Failure: Error {}

    enum Mode: Sendable { case up, down, held }

    private struct State {
        var mode = Mode.up
        var calls = 0
        var callers: [String] = []
        var waiting: [CheckedContinuation<Void, Never>] = []
        var heldCalls = 0
    }

    private let state = Locked(State())

    var calls: Int { state.withLock { $0.calls } }
    var callers: [String] { state.withLock { $0.callers } }

    func set(_ mode: Mode) {
        let waiting = state.withLock { state in
            state.mode = mode
            defer { state.waiting = [] }
            return mode == .held ? [] : state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func resetCount() {
        state.withLock { state in
            state.calls = 0
            state.callers = []
        }
    }

    /// One call, by `caller`.
    func call(by caller: String) async throws {
        let mode = state.withLock { state in
            state.calls += 1
            state.callers.append(caller)
            return state.mode
        }
        switch mode {
        case .up: return
        case .down: throw Failure()
        case .held:
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLock { state in
                    guard state.mode == .held else { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }
}

/// One instance of a fleet: its client, breaker, coordination and sync, and the tasks that run them.
final class FleetInstance: Sendable {
    let name: String
    let client: PostgresClient
    let coordination: FleetCoordination
    let breaker: CircuitBreaker<ContinuousClock>
    let sync: PostgresFleetSync<ContinuousClock>
    /// The sync's events, counted.
    let counter: Counter
    /// The breaker's changes of state, each with the sync rounds that had succeeded by then.
    let transitions: TransitionLog
    private let tasks = Locked<[Task<Void, Never>]>([])

    init(
        name: String,
        schema: String,
        fleet: FleetConfiguration,
        breaker configuration: CircuitBreakerConfiguration,
        port: Int? = nil,
        syncTimeout: Duration = .seconds(1)
    ) throws {
        self.name = name
        let counter = Counter()
        let transitions = TransitionLog(counter: counter)
        self.counter = counter
        self.transitions = transitions
        client = PostgresClient(configuration: PostgresTestServer.configuration(port: port), backgroundLogger: PostgresTestServer.logger)
        coordination = FleetCoordination(instance: name, configuration: fleet)
        breaker = CircuitBreaker(
            name: "downstream", configuration: configuration, clock: ContinuousClock(), countsAsFailure: { _, _ in true },
            observer: transitions, fleet: coordination)
        sync = try PostgresFleetSync(
            client: client, instance: name, fleet: fleet,
            configuration: try PostgresFleetStoreConfiguration(schema: schema, syncTimeout: syncTimeout),
            logger: PostgresTestServer.logger,
            onEvent: { event in counter.note(event) }
        )
        try sync.register(coordination)
    }

    /// Successful rounds so far.
    var successfulRounds: Int { counter.count(of: .synced) }

    /// Starts the client and the sync.
    func start() {
        let client = client
        let sync = sync
        let runClient = Task { await client.run() }
        let runSync = Task { await sync.run() }
        tasks.withLock { $0 = [runClient, runSync] }
    }

    /// Kills the instance: cancels its sync, then shuts its client down.
    func stop() async {
        let tasks = tasks.withLock { tasks in
            defer { tasks = [] }
            return tasks
        }
        guard tasks.count == 2 else { return }
        tasks[1].cancel()
        await tasks[1].value
        tasks[0].cancel()
        await tasks[0].value
    }
}

/// Records a breaker's changes of state, with the sync rounds that had succeeded by then.
final class TransitionLog: ResilienceObserver {
    struct Entry: Sendable {
        var transition: CircuitBreakerTransition
        var rounds: Int
    }

    private let counter: Counter
    private let entries = Locked<[Entry]>([])
    private let hook = Locked<(@Sendable (CircuitBreakerTransition) -> Void)?>(nil)

    init(counter: Counter) {
        self.counter = counter
    }

    func observe(_ event: ResilienceEvent) {
        guard let transition = event.transition else { return }
        let rounds = counter.count(of: .synced)
        entries.withLock { $0.append(Entry(transition: transition, rounds: rounds)) }
        hook.withLock { $0 }?(transition)
    }

    /// Calls `body` with every later change of state.
    func onTransition(_ body: @escaping @Sendable (CircuitBreakerTransition) -> Void) {
        hook.withLock { $0 = body }
    }

    var all: [Entry] { entries.withLock { $0 } }

    /// The first change to `state`, if any.
    func first(to state: CircuitState) -> Entry? {
        entries.withLock { $0.first { $0.transition.to == state } }
    }
}

/// Counts events by kind.
final class Counter: Sendable {
    private let counts = Locked<[PostgresFleetSyncEvent.Kind: Int]>([:])
    private let rowErrors = Locked<[PostgresFleetRowError]>([])

    func note(_ kind: PostgresFleetSyncEvent.Kind) {
        counts.withLock { $0[kind, default: 0] += 1 }
    }

    func note(_ event: PostgresFleetSyncEvent) {
        note(event.kind)
        if let error = event.rowError { rowErrors.withLock { $0.append(error) } }
    }

    func count(of kind: PostgresFleetSyncEvent.Kind) -> Int {
        counts.withLock { $0[kind] ?? 0 }
    }

    var rejectedRows: [PostgresFleetRowError] { rowErrors.withLock { $0 } }
}

/// A value behind a lock, shared by reference between tasks.
///
/// An `NSLock` (a `pthread_mutex_t`), whose calls the thread sanitizer intercepts, rather than
/// `Synchronization.Mutex`, whose futexes it cannot see on Linux. `@unchecked Sendable`: every access
/// to `value` happens between `lock.lock()` and `lock.unlock()`.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value

    init(_ value: Value) {
        stored = value
    }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result {
        lock.lock()
        defer { lock.unlock() }
        return body(&stored)
    }

    var value: Value { withLock { $0 } }
}
