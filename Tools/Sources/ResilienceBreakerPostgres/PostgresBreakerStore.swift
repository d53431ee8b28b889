import Foundation
import Logging
import NIOSSL
import PostgresNIO
@_spi(ResilienceTools) import Resilience
import ResilienceCommands

/// `resilience run --breaker postgres://...`: a circuit breaker's ``BreakerState`` in a row of a
/// PostgreSQL table, shared by every invocation on every machine that names the same database, table
/// and breaker, as a state file is shared on one machine.
///
/// **One read-modify-write per update, in a transaction.** Each ``update(clock:_:)`` connects (one
/// connection, closed after), and in one transaction: creates the breaker's row if it has none yet
/// (`INSERT ... ON CONFLICT DO NOTHING`, an empty state, as an empty file is), locks it with `SELECT ...
/// FOR UPDATE`, reads the database's clock, decodes the state (format version 2, the state file's
/// JSON, in a `text` column), lets the gate change it, writes it back if it changed, and commits.
/// Concurrent invocations queue on the row lock, so no update is lost; the lock is never held while a
/// command runs. Waiting for the lock is bounded by `--breaker-lock-timeout` (the server's
/// `lock_timeout`), every statement by the server's `statement_timeout`, the connection by
/// `connect_timeout`, and the whole update by a watchdog that closes the connection.
///
/// **One clock.** Every time in the state is the database's `clock_timestamp()`, read under the row
/// lock: machines whose clocks disagree still agree on when a break ends, and no reading runs behind
/// the last change's (a state file's times come from one machine's clock).
///
/// **The schema.** Created on first use, in a transaction holding an advisory lock on the table's name
/// (instances starting together do not race), and recorded as migration version 1 (see
/// ``PostgresBreakerSchema``). A role that may not create schemas can use tables a DBA created with
/// that SQL. Nothing else in the database is touched.
///
/// **Errors**, each a ``BreakerStoreError`` naming the breaker by ``PostgresBreakerLocation/redacted``
/// (never the password): a server that cannot be reached, refuses the login or the statements, or
/// does not answer in time is `inaccessible` (exit status 74); a row that does not hold a state this
/// `resilience` can read (edited by hand, of a later version, far too large) is `damaged` (65), and
/// `--breaker-reset` replaces it without reading it.
package struct PostgresBreakerStore: BreakerStore {
    /// The database and the breaker's row.
    package let location: PostgresBreakerLocation
    /// How long to wait for the row's lock.
    package var lockTimeout: Duration
    /// The configuration the breaker runs with: a stored state whose sliding window has another layout
    /// is read with an empty window of this one.
    package var configuration: CircuitBreakerConfiguration

    /// The largest stored state read, in bytes, as for a state file.
    static let maximumSize = 16 << 20

    /// Beyond the lock wait, how long the statements of one update may take on the server.
    static let statementAllowance = Duration.seconds(30)

    private let logger = Logger(label: "resilience.breaker.postgres", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates the store of a breaker's row; nothing is connected yet.
    ///
    /// - Parameters:
    ///   - location: The database and the breaker's row.
    ///   - lockTimeout: How long to wait for the row's lock.
    ///   - configuration: The configuration the breaker runs with.
    package init(
        location: PostgresBreakerLocation,
        lockTimeout: Duration = BreakerSettings.defaultLockTimeout,
        configuration: CircuitBreakerConfiguration = .default
    ) {
        self.location = location
        self.lockTimeout = lockTimeout
        self.configuration = configuration
    }

    /// `state row "NAME" in postgres://user@host:port/database?...`.
    package var stateDescription: String { "state row \"\(location.breaker)\" in \(location.redacted)" }

    /// The URL without its password.
    package var breakerName: String { location.redacted }

    // MARK: - BreakerStore

    /// One read-modify-write of the row, in a transaction, at the database's time (`now` is not used:
    /// every machine acts on the database's clock).
    package func update<Result>(
        clock now: @Sendable () -> WallClock.Instant,
        _ body: (inout BreakerState?, WallClock.Instant) -> Result
    ) async throws(BreakerStoreError) -> Result {
        do {
            return try await withConnection { connection in
                try await inTransaction(connection) { try await lockedUpdate(connection, body) }
            }
        } catch {
            throw failed(error)
        }
    }

    /// Replaces the row's state without reading it, at the database's time.
    package func replace(
        clock now: @Sendable () -> WallClock.Instant,
        with state: (WallClock.Instant) -> BreakerState
    ) async throws(BreakerStoreError) {
        do {
            try await withConnection { connection in
                try await inTransaction(connection) {
                    let time = try await databaseTime(connection)
                    try await write(state(time), connection, insert: true)
                }
            }
        } catch {
            throw failed(error)
        }
    }

    /// The state in the row, read as an update would; `nil` when there is none.
    ///
    /// - Returns: The state, or `nil`.
    /// - Throws: ``BreakerStoreError`` as ``update(clock:_:)``.
    package func load() async throws(BreakerStoreError) -> BreakerState? {
        try await update(clock: { WallClock().now }) { state, _ in state }
    }

    // MARK: - Steps

    private func lockedUpdate<Result>(
        _ connection: PostgresConnection,
        _ body: (inout BreakerState?, WallClock.Instant) -> Result
    ) async throws -> Result {
        let table = location.qualifiedTable
        let name = location.breaker
        try await run(
            connection,
            "INSERT INTO \(unescaped: table) (name, format_version, state) VALUES (\(name), 0, '') ON CONFLICT (name) DO NOTHING")
        let rows = try await run(
            connection,
            """
            SELECT octet_length(state), CASE WHEN octet_length(state) <= \(unescaped: String(Self.maximumSize)) THEN state END
            FROM \(unescaped: table) WHERE name = \(name) FOR UPDATE
            """)
        let original = try decodeRow(rows)
        let time = try await databaseTime(connection)
        var state = original
        let result = body(&state, time)
        if let state, state != original {
            try await write(state, connection, insert: false)
        }
        return result
    }

    /// The state in the row the `SELECT` returned (its size, and its text when not too large).
    private func decodeRow(_ rows: [PostgresRow]) throws(BreakerStoreError) -> BreakerState? {
        guard let row = rows.first else {
            // Deleted between the insert and the select: no state, as a deleted file.
            return nil
        }
        let size: Int?
        let text: String?
        do {
            (size, text) = try row.decode((Int?, String?).self)
        } catch {
            throw damaged("its columns are not what this resilience writes (\(String(describing: type(of: error))))")
        }
        guard let size, size <= Self.maximumSize else {
            throw damaged(size == nil ? "its state is NULL" : "it is far too large")
        }
        guard let text else { throw damaged("its state is NULL") }
        if text.utf8.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return nil }
        do {
            return try BreakerState.decode(from: Data(text.utf8), configuration: configuration).state
        } catch {
            throw damaged(BreakerFile.describe(error))
        }
    }

    private func write(_ state: BreakerState, _ connection: PostgresConnection, insert: Bool) async throws {
        let text: String
        do {
            text = String(decoding: try state.encoded(), as: UTF8.self)
        } catch {
            throw inaccessible("cannot encode the circuit breaker state: \(error)")
        }
        let table = location.qualifiedTable
        let name = location.breaker
        let version = BreakerState.formatVersion
        if insert {
            try await run(
                connection,
                """
                INSERT INTO \(unescaped: table) (name, format_version, state) VALUES (\(name), \(version), \(text))
                ON CONFLICT (name) DO UPDATE SET format_version = EXCLUDED.format_version, state = EXCLUDED.state, updated_at = now()
                """)
        } else {
            try await run(
                connection,
                "UPDATE \(unescaped: table) SET format_version = \(version), state = \(text), updated_at = now() WHERE name = \(name)")
        }
    }

    /// The database's clock now (`clock_timestamp()`, not the transaction's start), to the microsecond.
    private func databaseTime(_ connection: PostgresConnection) async throws -> WallClock.Instant {
        let rows = try await run(connection, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint")
        guard let row = rows.first, let nanoseconds = try? row.decode(Int64.self) else {
            throw inaccessible("the server did not tell its time")
        }
        return WallClock.Instant(nanosecondsSinceEpoch: nanoseconds)
    }

    /// Runs `body` in a transaction with the lock and statement time-outs set; creates the schema and
    /// tries once more when they are missing.
    private func inTransaction<Result>(
        _ connection: PostgresConnection,
        _ body: () async throws -> Result
    ) async throws -> Result {
        for attempt in 0..<2 {
            do {
                return try await transaction(connection) {
                    try await run(connection, "SET LOCAL lock_timeout = \(unescaped: Self.milliseconds(lockTimeout))")
                    try await run(
                        connection,
                        "SET LOCAL statement_timeout = \(unescaped: Self.milliseconds(lockTimeout + Self.statementAllowance))")
                    return try await body()
                }
            } catch {
                guard attempt == 0, let state = (error as? PSQLError)?.serverInfo?[.sqlState],
                    PostgresBreakerSchema.missingStates.contains(state)
                else { throw error }
            }
            try await transaction(connection) {
                try await PostgresBreakerSchema.prepare(location) { query in try await run(connection, query) }
            }
        }
        throw inaccessible("the tables are still missing after creating them")
    }

    /// Runs `body` between `BEGIN` and `COMMIT`, or rolls back when it throws.
    private func transaction<Result>(
        _ connection: PostgresConnection,
        _ body: () async throws -> Result
    ) async throws -> Result {
        try await run(connection, "BEGIN")
        do {
            let result = try await body()
            try await run(connection, "COMMIT")
            return result
        } catch {
            _ = try? await run(connection, "ROLLBACK")
            throw error
        }
    }

    /// A duration as a PostgreSQL time-out in milliseconds, within what the server accepts.
    package static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let limit: Int64 = 2_147_483  // INT_MAX milliseconds, in seconds
        let milliseconds = seconds >= limit ? Int64(Int32.max) : max(seconds * 1000 + attoseconds / 1_000_000_000_000_000, 1)
        return "'\(milliseconds)ms'"
    }

    // MARK: - The connection

    /// Connects (within the connect time-out), runs `body`, and closes the connection; a watchdog
    /// closes it sooner if the update outlasts every time-out together.
    private func withConnection<Result>(
        _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let connection = try await connect()
        let watchdog = Task { [connectTimeout = location.connectTimeout, lockTimeout] in
            do {
                try await ContinuousClock().sleep(for: lockTimeout + Self.statementAllowance + connectTimeout)
            } catch {
                return false
            }
            try? await connection.close()
            return true
        }
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(connection))
        } catch {
            result = .failure(error)
        }
        watchdog.cancel()
        let watchdogFired = await watchdog.value
        try? await connection.close()
        if watchdogFired, case .failure = result {
            throw inaccessible("the server did not finish the update in time; it may be overloaded or stopped")
        }
        return try result.get()
    }

    /// A connection to the server, or an error saying why there is none, within the connect time-out
    /// (which covers the TCP connection, TLS and the login).
    private func connect() async throws(BreakerStoreError) -> PostgresConnection {
        let configuration = try connectionConfiguration()
        let timeout = location.connectTimeout
        let logger = logger
        let outcome: Swift.Result<PostgresConnection, any Error> = await withTaskGroup(
            of: Swift.Result<PostgresConnection, any Error>?.self
        ) { group in
            group.addTask {
                do {
                    return .success(try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger))
                } catch {
                    return .failure(error)
                }
            }
            group.addTask {
                do { try await ContinuousClock().sleep(for: timeout) } catch { return nil }
                return .failure(ConnectTimeout())
            }
            var first: Swift.Result<PostgresConnection, any Error>?
            while let next = await group.next() {
                guard let next else { continue }
                if first == nil {
                    first = next
                    group.cancelAll()
                } else if case .success(let late) = next {
                    // Connected just as the time-out ran out: not used.
                    try? await late.close()
                }
            }
            return first ?? .failure(ConnectTimeout())
        }
        switch outcome {
        case .success(let connection): return connection
        case .failure(let error): throw unreachable(error)
        }
    }

    private struct ConnectTimeout: Error {}

    private func connectionConfiguration() throws(BreakerStoreError) -> PostgresConnection.Configuration {
        var configuration: PostgresConnection.Configuration
        if location.host.hasPrefix("/") {
            configuration = PostgresConnection.Configuration(
                unixSocketPath: "\(location.host)/.s.PGSQL.\(location.port)", username: location.user, password: location.password,
                database: location.database)
        } else {
            configuration = PostgresConnection.Configuration(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: try tls())
        }
        let (seconds, _) = location.connectTimeout.components
        configuration.options.connectTimeout = .seconds(seconds)
        configuration.options.additionalStartupParameters = [("application_name", "resilience run")]
        return configuration
    }

    private func tls() throws(BreakerStoreError) -> PostgresConnection.Configuration.TLS {
        guard location.tls != .disable else { return .disable }
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.certificateVerification =
            location.tls.verifiesHostname ? .fullVerification : location.tls.verifiesCertificate ? .noHostnameVerification : .none
        let context: NIOSSLContext
        do {
            context = try NIOSSLContext(configuration: tls)
        } catch {
            throw inaccessible("cannot set up TLS (sslmode=\(location.tls)): \(error)")
        }
        return location.tls == .prefer ? .prefer(context) : .require(context)
    }

    // MARK: - Statements and errors

    /// Runs one statement and collects its rows.
    @discardableResult
    private func run(_ connection: PostgresConnection, _ query: PostgresQuery) async throws -> [PostgresRow] {
        try await connection.query(query, logger: logger).collect()
    }

    private func damaged(_ why: String) -> BreakerStoreError {
        BreakerStoreError(
            .damaged, path: location.redacted,
            message: "the circuit breaker \(stateDescription) is damaged: \(why); \(Self.resetAdvice)")
    }

    /// `cannot use the circuit breaker state row ...: why`, status 74.
    private func inaccessible(_ why: String) -> BreakerStoreError {
        inaccessible(message: "cannot use the circuit breaker \(stateDescription): \(why)")
    }

    /// An error of status 74 with the whole `message`.
    private func inaccessible(message: String) -> BreakerStoreError {
        BreakerStoreError(.inaccessible, path: location.redacted, message: message)
    }

    private static let resetAdvice = "delete the row, or run with --breaker-reset, to start again from a closed breaker"

    /// A connection that could not be made.
    private func unreachable(_ error: any Error) -> BreakerStoreError {
        let why: String
        if error is ConnectTimeout {
            why = "no connection within \(DurationArgument.format(location.connectTimeout)) (connect_timeout)"
        } else if let error = error as? PSQLError, error.code == .server {
            return failed(error)
        } else if let error = error as? PSQLError, let underlying = error.underlying {
            why = "\(underlying)"
        } else if let error = error as? PSQLError {
            why = "\(error.code)"
        } else {
            why = "\(error)"
        }
        return inaccessible(
            message:
                "cannot reach the database of the circuit breaker \(location.redacted): \(why); check the URL and that the server is up")
    }

    /// A statement, or the login, that failed.
    private func failed(_ error: any Error) -> BreakerStoreError {
        if let error = error as? BreakerStoreError { return error }
        guard let error = error as? PSQLError else { return inaccessible("\(error)") }
        guard error.code == .server, let state = error.serverInfo?[.sqlState] else {
            if let underlying = error.underlying { return inaccessible("the connection failed: \(underlying)") }
            return inaccessible("the connection failed: \(error.code)")
        }
        let message = error.serverInfo?[.message] ?? "error \(state)"
        switch state {
        case "55P03":
            return inaccessible(
                message:
                    "gave up after \(DurationArgument.format(lockTimeout)) waiting for the lock on the circuit breaker \(stateDescription): another run holds it"
            )
        case "57014":
            return inaccessible(
                message: "the statements on the circuit breaker \(stateDescription) did not finish in time (statement_timeout)")
        case "28P01", "28000":
            return inaccessible(
                message: "the database of the circuit breaker \(location.redacted) refused the login of \"\(location.user)\": \(message)")
        case "42501":
            return inaccessible(
                "\(message); a role that may not create the tables can use tables created beforehand (the README gives the SQL)")
        default:
            return inaccessible("\(message) (SQLSTATE \(state))")
        }
    }
}
