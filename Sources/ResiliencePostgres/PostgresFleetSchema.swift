#if Postgres
import Logging
import PostgresNIO

/// The SQL of the fleet's tables, and its migrations: what ``PostgresFleetSync`` creates on first use.
///
/// Every statement creates only what does not exist (`IF NOT EXISTS`). Migrations run once per
/// schema, in a transaction holding a transaction-level advisory lock on the
/// schema's name (so that instances starting together do not race), and each is recorded in the
/// `migrations` table with its version. A schema whose recorded version is newer than this library
/// knows is left alone, and the sync reports ``PostgresFleetSyncError/Code/schemaTooNew``.
public enum PostgresFleetSchema {
    /// The newest schema version this library writes and reads.
    public static let version = 1

    /// The statements of migration `version` (1 is the whole schema), for the tables `configuration`
    /// names; empty for a version this library does not know.
    ///
    /// - Parameters:
    ///   - version: The migration's version.
    ///   - configuration: The schema and table prefix.
    /// - Returns: The statements, in order.
    public static func migration(_ version: Int, for configuration: PostgresFleetStoreConfiguration) -> [String] {
        guard version == 1 else { return [] }
        return [
            """
            CREATE TABLE IF NOT EXISTS \(configuration.table("breakers")) (
                breaker text NOT NULL,
                instance text NOT NULL,
                state text NOT NULL,
                follows_fleet boolean NOT NULL,
                state_since bigint NOT NULL,
                calls bigint NOT NULL,
                failures bigint NOT NULL,
                slow_calls bigint NOT NULL,
                heartbeat bigint NOT NULL,
                PRIMARY KEY (breaker, instance)
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(configuration.table("probe_leases")) (
                breaker text PRIMARY KEY,
                round bigint NOT NULL,
                holders jsonb NOT NULL,
                verdict_outcome text,
                verdict_at bigint,
                verdict_instance text,
                verdict_round bigint,
                recovered_at bigint
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(configuration.table("budgets")) (
                budget text NOT NULL,
                instance text NOT NULL,
                requests bigint NOT NULL,
                retries bigint NOT NULL,
                heartbeat bigint NOT NULL,
                PRIMARY KEY (budget, instance)
            )
            """,
        ]
    }

    /// The statements that come before any migration: the schema and the migrations table.
    ///
    /// - Parameter configuration: The schema and table prefix.
    /// - Returns: The statements, in order.
    public static func preamble(for configuration: PostgresFleetStoreConfiguration) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \"\(configuration.schema)\"",
            """
            CREATE TABLE IF NOT EXISTS \(configuration.table("migrations")) (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
        ]
    }

    /// Creates or migrates the schema; returns the database's clock, in nanoseconds since the Unix epoch.
    ///
    /// Repairing (after a round found the tables missing), it first runs the statements of the
    /// versions already recorded again: they create only what does not exist.
    static func prepare(
        client: PostgresClient,
        configuration: PostgresFleetStoreConfiguration,
        repairing: Bool,
        logger: Logger
    ) async throws -> (unixNow: Int64, applied: [Int]) {
        try await client.withTransaction(logger: logger) { connection in
            let lock = "resilience-fleet:\(configuration.schema)"
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lock)))", logger: logger)
            for statement in preamble(for: configuration) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
            }
            let current =
                try await connection.query(
                    PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(configuration.table("migrations"))"),
                    logger: logger
                ).collect().first.map { try $0.decode(Int.self) } ?? 0
            guard current <= version else {
                throw PostgresFleetSyncError(.schemaTooNew, "the schema is at version \(current); this library knows up to \(version)")
            }
            if repairing, current > 0 {
                for recorded in 1...current {
                    for statement in migration(recorded, for: configuration) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                }
            }
            var applied: [Int] = []
            if current < version {
                for next in (current + 1)...version {
                    for statement in migration(next, for: configuration) {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "INSERT INTO \(configuration.table("migrations")) (version) VALUES (\(next))"),
                        logger: logger)
                    applied.append(next)
                }
            }
            let now =
                try await connection.query(PostgresQuery(unsafeSQL: "SELECT \(PostgresFleetStatement.unixNowSQL)"), logger: logger)
                .collect().first.map { try $0.decode(Int64.self) } ?? 0
            return (now, applied)
        }
    }
}
#endif
