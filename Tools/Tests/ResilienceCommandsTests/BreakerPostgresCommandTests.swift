import Foundation
import Logging
import PostgresNIO
import Resilience
import ResilienceBreakerPostgres
import Testing

@testable import ResilienceCommands

/// The PostgreSQL server of `resilience run --breaker postgres://...`'s tests, found through the
/// libpq variables that `.ci/run` sets for its private cluster (as the ResiliencePostgres tests do).
enum BreakerDatabase {
    static let environment = ProcessInfo.processInfo.environment

    /// Whether the suite runs: some PG variable is set, or this is CI (where a missing server fails
    /// the suite rather than skipping it).
    static let isConfigured =
        ["PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE"].contains { environment[$0] != nil } || environment["CI"] != nil

    static let skipMessage: Comment =
        "resilience run --breaker postgres:// tests need a server: set PGHOST, PGPORT, PGUSER, PGPASSWORD and PGDATABASE (.ci/postgres-cluster start DIR writes them)"

    static var host: String { environment["PGHOST"] ?? "127.0.0.1" }
    static var port: Int { environment["PGPORT"].flatMap(Int.init) ?? 5432 }
    static var user: String { environment["PGUSER"] ?? "postgres" }
    static var password: String? { environment["PGPASSWORD"] }
    static var database: String { environment["PGDATABASE"] ?? user }

    /// A URL naming everything itself (the password percent-encoded), as a user would write it.
    static func url(breaker: String, schema: String, extra: String = "") -> String {
        let secret = password.map { ":" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0) } ?? ""
        return "postgres://\(user)\(secret)@\(host):\(port)/\(database)?sslmode=disable&breaker=\(breaker)&schema=\(schema)\(extra)"
    }

    /// A schema of its own for one test.
    static func uniqueSchema(_ label: String) -> String {
        "cli_\(label)_\(UInt32.random(in: 0...UInt32.max))"
    }

    static let logger = Logger(label: "resilience.breaker.tests", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Runs `body` on a connection of the test's own.
    static func withConnection<Result: Sendable>(_ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        var configuration = PostgresConnection.Configuration(
            host: host, port: port, username: user, password: password, database: database, tls: .disable)
        configuration.options.connectTimeout = .seconds(10)
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    @discardableResult
    static func execute(_ connection: PostgresConnection, _ sql: String) async throws -> [PostgresRow] {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).collect()
    }

    static func drop(schema: String) async {
        _ = try? await withConnection { try await execute($0, "DROP SCHEMA IF EXISTS \"\(schema)\" CASCADE") }
    }
}

/// `resilience run --breaker postgres://...`, end to end: the real binary, many at once, sharing a
/// breaker's row in the real server, as invocations on many machines would.
///
/// As with state files, no test waits for a break to pass: it moves the row's state into the past.
/// Serialized: several tests start a dozen processes at once, which is load enough.
@Suite(
    "resilience run --breaker postgres:// (the real binary, a real server)", .serialized, .timeLimit(.minutes(10)),
    .enabled(if: BreakerDatabase.isConfigured, BreakerDatabase.skipMessage))
struct BreakerPostgresCommandTests {
    let scratch: Scratch
    let schema: String
    let url: String

    init() throws {
        scratch = try Scratch()
        schema = BreakerDatabase.uniqueSchema("run")
        url = BreakerDatabase.url(breaker: "api", schema: schema)
    }

    var store: PostgresBreakerStore {
        get throws { PostgresBreakerStore(location: try PostgresBreakerLocation(url: url)) }
    }

    /// The row's state, read as a later invocation would.
    func state() async throws -> BreakerState {
        try #require(try await store.load())
    }

    /// How many times the scripts ran, from the lines they appended to `runs`.
    var runs: Int { scratch.lines("runs").count }

    func invoke(
        _ options: [String], _ script: String = "echo x >> runs; exit 1", url: String? = nil
    ) async throws
        -> ResilienceBinary.Result
    {
        try await ResilienceBinary.run(
            ["run", "--breaker", url ?? self.url, "--no-stdin"] + options + ["--", "sh", "-c", script], in: scratch)
    }

    /// Starts `count` invocations at once and waits for them all; their exit statuses.
    func invokeConcurrently(_ count: Int, _ options: [String], _ script: String) async throws -> [Int32] {
        var finishers: [() async -> ResilienceBinary.Result] = []
        for _ in 0..<count {
            let arguments =
                ["run", "--breaker", url, "--no-stdin", "--breaker-lock-timeout", "10m"] + options + ["--", "sh", "-c", script]
            finishers.append(try ResilienceBinary.start(arguments, in: scratch).finished)
        }
        var statuses: [Int32] = []
        for finished in finishers { statuses.append(await finished().status) }
        return statuses
    }

    /// Moves the row's state `seconds` into the past, as an operator editing it could.
    func age(by seconds: Int64) async throws {
        let current = try await state()
        let aged = try BreakerState(
            updatedAt: current.updatedAt.advanced(by: .seconds(-seconds)), record: current.record.shifted(by: .seconds(-seconds)),
            configuration: .default)
        try await store.replace(clock: { WallClock().now }) { _ in aged }
    }

    @Test("invocations started together, on a database without the tables yet, lose no update: the counts are exact")
    func concurrentCountsAreExact() async throws {
        let statuses = try await invokeConcurrently(
            12, ["--attempts", "3", "--base", "0", "--breaker-failures", "1000"], "echo x >> runs; exit 1")
        #expect(statuses == Array(repeating: 1, count: 12))
        #expect(runs == 36)
        let snapshot = try await state().machine.snapshot(at: WallClock().now, configuration: .default)
        #expect(snapshot.calls == 36)
        #expect(snapshot.failures == 36)
        #expect(snapshot.consecutiveFailures == 36)
        let migrations = try await BreakerDatabase.withConnection { connection in
            try await BreakerDatabase.execute(connection, "SELECT version FROM \"\(schema)\".\"cli_breakers_migrations\"")
                .map { try $0.decode(Int.self) }
        }
        #expect(migrations == [1])
        await BreakerDatabase.drop(schema: schema)
    }

    @Test("concurrent failing invocations agree on the trip: those admitted before it run, the rest are refused (75)")
    func concurrentTrip() async throws {
        let statuses = try await invokeConcurrently(12, ["--attempts", "1", "--breaker-failures", "4"], "echo x >> runs; exit 1")
        #expect(statuses.allSatisfy { $0 == 1 || $0 == 75 })
        let ran = statuses.count { $0 == 1 }
        #expect(ran >= 4)
        #expect(runs == ran)
        #expect(try await state().machine.state == .open)
        let refused = try await invoke(["--attempts", "1", "--breaker-failures", "4"])
        #expect(refused.status == 75)
        #expect(refused.standardError.contains("circuit breaker \"postgres://"))
        #expect(refused.standardError.contains("breaker=api"))
        #expect(runs == ran)
        await BreakerDatabase.drop(schema: schema)
    }

    @Test("half-open, exactly one of many concurrent invocations probes; its success closes the breaker for all")
    func concurrentProbe() async throws {
        for _ in 0..<2 { #expect(try await invoke(["--attempts", "1", "--breaker-failures", "2"]).status == 1) }
        #expect(try await state().machine.state == .open)
        try await age(by: 61)
        try FileManager.default.removeItem(atPath: scratch.path("runs"))
        // The probe holds on until every other invocation has been refused.
        let script = "echo x >> runs; while [ ! -e go ]; do sleep 0.01; done; exit 0"
        var started: [(ResilienceBinary.Running, () async -> ResilienceBinary.Result)] = []
        for _ in 0..<8 {
            let arguments = [
                "run", "--breaker", url, "--no-stdin", "--breaker-lock-timeout", "10m", "--attempts", "1", "--breaker-failures", "2",
                "--breaker-probe-timeout", "10m", "--", "sh", "-c", script,
            ]
            started.append(try ResilienceBinary.start(arguments, in: scratch))
        }
        try await scratch.waitUntil { started.count { processIsGone($0.0.processID) } >= 7 }
        #expect(runs == 1)
        try scratch.write("go", "")
        var statuses: [Int32] = []
        for (_, finished) in started { statuses.append(await finished().status) }
        #expect(statuses.count { $0 == 75 } == 7)
        #expect(statuses.count { $0 == 0 } == 1)
        #expect(try await state().machine.state == .closed)
        #expect(try await invoke(["--attempts", "1"], "echo x >> runs; exit 0").status == 0)
        #expect(runs == 2)
        await BreakerDatabase.drop(schema: schema)
    }

    @Test("a row that holds no state this resilience reads is a clear error (65) naming it; --breaker-reset replaces it")
    func damagedRow() async throws {
        #expect(try await invoke(["--attempts", "1"], "exit 0").status == 0)
        _ = try await BreakerDatabase.withConnection { connection in
            try await BreakerDatabase.execute(connection, "UPDATE \"\(schema)\".\"cli_breakers\" SET state = '{ nope' WHERE name = 'api'")
        }
        let damaged = try await invoke(["--attempts", "1"], "echo x >> runs; exit 0")
        #expect(damaged.status == 65)
        #expect(damaged.standardError.contains("state row \"api\" in postgres://"))
        #expect(damaged.standardError.contains("is damaged: it is not valid JSON"))
        #expect(damaged.standardError.contains("--breaker-reset"))
        #expect(runs == 0)

        let reset = try await invoke(["--attempts", "1", "--breaker-reset"], "echo x >> runs; exit 0")
        #expect(reset.status == 0)
        #expect(runs == 1)
        #expect(try await state().machine.state == .closed)
        await BreakerDatabase.drop(schema: schema)
    }

    @Test("a holder of the row's lock past --breaker-lock-timeout is an error (74), the command not run")
    func lockTimeout() async throws {
        #expect(try await invoke(["--attempts", "1"], "exit 0").status == 0)
        let schema = schema
        let (holding, release) = AsyncStream.makeStream(of: Void.self)
        let (held, heldSignal) = AsyncStream.makeStream(of: Void.self)
        let holder = Task {
            try await BreakerDatabase.withConnection { connection in
                try await BreakerDatabase.execute(connection, "BEGIN")
                try await BreakerDatabase.execute(connection, "SELECT 1 FROM \"\(schema)\".\"cli_breakers\" WHERE name = 'api' FOR UPDATE")
                heldSignal.yield()
                for await _ in holding {}
                try await BreakerDatabase.execute(connection, "ROLLBACK")
            }
        }
        for await _ in held { break }
        let result = try await invoke(["--attempts", "1", "--breaker-lock-timeout", "200ms"], "echo x >> runs")
        release.finish()
        try await holder.value
        #expect(result.status == 74)
        #expect(result.standardError.contains("gave up after 200ms waiting for the lock on the circuit breaker state row \"api\""))
        #expect(runs == 0)
        await BreakerDatabase.drop(schema: schema)
    }

    @Test("an unreachable server is an error (74) within the connect timeout, naming the URL without its password")
    func unreachable() async throws {
        // A port nobody listens on: the one a just-closed listener had.
        let port = try freePort()
        let result = try await invoke(
            ["--attempts", "1"], "echo x >> runs", url: "postgres://someone:sekrit@127.0.0.1:\(port)/db?connect_timeout=5")
        #expect(result.status == 74)
        #expect(result.standardError.contains("cannot reach the database of the circuit breaker postgres://someone@127.0.0.1:\(port)/db"))
        #expect(!result.standardError.contains("sekrit"))
        #expect(runs == 0)
    }

    @Test(
        "a URL it cannot understand is a usage error (64) naming the problem",
        arguments: [
            ("postgres://h/db?brekaer=api", "unknown parameter \"brekaer\""),
            ("postgres://h/db?breaker=", "breaker= must name the breaker"),
            ("postgres://h/db?schema=a;drop", "schema= must be letters, digits and _"),
            ("postgres://h/db?sslmode=sometimes", "sslmode must be disable, prefer"),
            ("postgres://h/db?connect_timeout=0", "connect_timeout must be a whole number of seconds from 1 to 3600"),
            ("postgres://h1,h2/db", "names several hosts"),
            ("postgres://h:99999/db", "the port must be from 1 to 65535"),
            ("postgres://h /db", "not a valid postgres:// URL"),
        ])
    func badURL(url: String, message: String) async throws {
        let result = try await invoke(["--attempts", "1"], "echo x >> runs", url: url)
        #expect(result.status == 64)
        #expect(result.standardError.contains(message), "\(result.standardError)")
        #expect(runs == 0)
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago.
    func freePort() throws -> Int {
        let socket = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(socket, pointer, length) == 0 && getsockname(socket, pointer, &length) == 0
            }
        }
        #expect(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
