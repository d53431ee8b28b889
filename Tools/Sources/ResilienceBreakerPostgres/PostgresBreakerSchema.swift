import PostgresNIO
import ResilienceCommands

/// The tables of `resilience run --breaker postgres://...`, created on first use.
///
/// With the defaults (`schema=resilience`, `table=cli_breakers`), migration version 1 is:
///
/// ```sql
/// CREATE SCHEMA IF NOT EXISTS "resilience";
/// CREATE TABLE IF NOT EXISTS "resilience"."cli_breakers_migrations" (
///     version integer PRIMARY KEY,
///     applied_at timestamptz NOT NULL DEFAULT now()
/// );
/// CREATE TABLE IF NOT EXISTS "resilience"."cli_breakers" (
///     name text PRIMARY KEY,            -- the URL's breaker=
///     format_version integer NOT NULL,  -- the state's format (2; 0 for a row with no state yet)
///     state text NOT NULL,              -- the state file's JSON, or '' for none yet
///     updated_at timestamptz NOT NULL DEFAULT now()
/// );
/// INSERT INTO "resilience"."cli_breakers_migrations" (version) VALUES (1) ON CONFLICT DO NOTHING;
/// ```
///
/// It runs in one transaction holding `pg_advisory_xact_lock(hashtext('resilience-cli:SCHEMA.TABLE'))`,
/// so that invocations starting together do not race on `CREATE ... IF NOT EXISTS` (which can fail
/// when two sessions create the same table at once). A DBA can run the same SQL for a role that may not
/// create schemas. Deleting a row resets its breaker; dropping the tables resets them all.
package enum PostgresBreakerSchema {
    /// The schema version this `resilience` writes and reads.
    package static let version = 1

    /// `undefined_table` and `invalid_schema_name`: the tables are not there yet.
    static let missingStates: Set<String> = ["42P01", "3F000"]

    /// The statements of migration 1 for the tables `location` names.
    ///
    /// - Parameter location: The schema and table.
    /// - Returns: The statements, in order.
    package static func statements(for location: PostgresBreakerLocation) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \"\(location.schema)\"",
            """
            CREATE TABLE IF NOT EXISTS \(location.qualifiedMigrationsTable) (
                version integer PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(location.qualifiedTable) (
                name text PRIMARY KEY,
                format_version integer NOT NULL,
                state text NOT NULL,
                updated_at timestamptz NOT NULL DEFAULT now()
            )
            """,
            "INSERT INTO \(location.qualifiedMigrationsTable) (version) VALUES (\(version)) ON CONFLICT DO NOTHING",
        ]
    }

    /// Creates what is missing, under the advisory lock; refuses tables of a later version. Runs in
    /// the caller's transaction, which the advisory lock lasts for.
    ///
    /// - Parameters:
    ///   - location: The schema and table.
    ///   - run: Runs one statement on the connection.
    /// - Throws: What a statement throws, or ``BreakerStoreError`` for tables of a later version.
    static func prepare(
        _ location: PostgresBreakerLocation,
        run: (PostgresQuery) async throws -> [PostgresRow]
    ) async throws {
        let lock = "resilience-cli:\(location.schema).\(location.table)"
        _ = try await run("SELECT pg_advisory_xact_lock(hashtext(\(lock)))")
        for statement in statements(for: location) {
            _ = try await run(PostgresQuery(unsafeSQL: statement))
        }
        let rows = try await run(PostgresQuery(unsafeSQL: "SELECT coalesce(max(version), 0) FROM \(location.qualifiedMigrationsTable)"))
        let current = try rows.first?.decode(Int.self) ?? 0
        guard current <= version else {
            throw BreakerStoreError(
                .damaged, path: location.redacted,
                message:
                    "the circuit breaker tables \(location.qualifiedTable) in \(location.redacted) are at version \(current); this resilience knows up to \(version): upgrade it"
            )
        }
    }
}
