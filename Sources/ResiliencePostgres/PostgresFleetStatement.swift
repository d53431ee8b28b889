#if Postgres
import PostgresNIO
import Resilience

/// The sync's one statement: upserts this instance's rows for all its shared breakers and budgets,
/// deletes other instances' rows older than the time to live, applies its probe-lease requests, and
/// selects the live fleet's rows and the database's clock. Its SQL is in <doc:SharingBreakersAcrossAFleet>.
struct PostgresFleetStatement: Sendable {
    /// The database's clock in nanoseconds since the Unix epoch (microsecond resolution).
    static let unixNowSQL = "(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"

    /// The SQL, for one configuration (the table names are not parameters).
    let sql: String

    init(configuration: PostgresFleetStoreConfiguration) {
        sql = Self.makeSQL(
            breakers: configuration.table("breakers"), leases: configuration.table("probe_leases"), budgets: configuration.table("budgets"))
    }

    /// One breaker's part of a round.
    struct BreakerInput: Sendable {
        var name: String
        var report: FleetBreakerReport
    }

    /// One budget's part of a round.
    struct BudgetInput: Sendable {
        var name: String
        var summary: FleetRetryBudgetSummary
    }

    /// The statement with its parameters bound.
    func query(
        instance: String,
        breakers: [BreakerInput],
        budgets: [BudgetInput],
        fleet: FleetConfiguration
    ) -> PostgresQuery {
        var binds = PostgresBindings(capacity: 17)
        binds.append(instance)
        binds.append(max(fleet.timeToLive.saturatedNanosecondsValue, 0))
        binds.append(max(fleet.probeLeaseDuration.saturatedNanosecondsValue, 1))
        binds.append(Int64(max(fleet.probeHolders, 1)))
        binds.append(breakers.map(\.name))
        binds.append(breakers.map(\.report.summary.state.name))
        binds.append(breakers.map(\.report.summary.followsFleet))
        binds.append(breakers.map { max($0.report.summary.heartbeat.subtractingSaturated($0.report.summary.stateSince), 0) })
        binds.append(breakers.map { Int64($0.report.summary.calls) })
        binds.append(breakers.map { Int64($0.report.summary.failures) })
        binds.append(breakers.map { Int64($0.report.summary.slowCalls) })
        binds.append(
            breakers.map { input -> String in
                guard let request = input.report.probeRequest else { return "" }
                return request.isRelease ? "release" : "acquire"
            })
        binds.append(breakers.map { Int64(truncatingIfNeeded: min($0.report.probeRequest?.knownRound ?? 0, UInt64(Int64.max))) })
        binds.append(breakers.map { $0.report.probeRequest?.outcome?.description ?? "" })
        binds.append(budgets.map(\.name))
        binds.append(budgets.map { Int64($0.summary.requests) })
        binds.append(budgets.map { Int64($0.summary.retries) })
        return PostgresQuery(unsafeSQL: sql, binds: binds)
    }

    // MARK: - SQL

    /// A lease holder's field `key` as a number, or NULL when it is missing or not a number (the
    /// store's rows are input: a damaged holder must not fail the statement).
    private static func number(_ element: String, _ key: String) -> String {
        "(CASE WHEN jsonb_typeof(\(element)->'\(key)') = 'number' THEN (\(element)->>'\(key)')::numeric END)"
    }

    /// The holders of lease row `row` as a set of jsonb elements; an absent or non-array value is empty.
    private static func holders(_ row: String) -> String {
        "jsonb_array_elements(CASE WHEN jsonb_typeof(\(row).holders) = 'array' THEN \(row).holders ELSE '[]'::jsonb END) AS h"
    }

    /// A holder that can be read: an instance name, and both times within bigint.
    private static let readableHolder = """
        jsonb_typeof(h) = 'object' AND coalesce(h->>'instance', '') <> '' \
        AND \(number("h", "grantedAt")) BETWEEN -9223372036854775808 AND 9223372036854775807 \
        AND \(number("h", "expiresAt")) BETWEEN -9223372036854775808 AND 9223372036854775807
        """

    static func makeSQL(breakers: String, leases: String, budgets: String) -> String {
        let liveHolders =
            "coalesce((SELECT jsonb_agg(h) FROM \(holders("l")) WHERE \(readableHolder) AND \(number("h", "expiresAt")) > i.now_ns), '[]'::jsonb)"
        let newLease = "jsonb_build_array(jsonb_build_object('instance', $1::text, 'grantedAt', i.now_ns, 'expiresAt', i.now_ns + $3))"
        let verdict = "i.request = 'release' AND i.outcome <> ''"
        return """
            WITH clock AS (
                SELECT \(unixNowSQL) AS now_ns
            ), input AS (
                SELECT i.*, clock.now_ns FROM clock, unnest($5::text[], $6::text[], $7::boolean[], $8::bigint[],
                    $9::bigint[], $10::bigint[], $11::bigint[], $12::text[], $13::bigint[], $14::text[])
                    AS i(breaker, state, follows_fleet, state_age, calls, failures, slow_calls, request, known_round, outcome)
            ), budget_input AS (
                SELECT b.*, clock.now_ns FROM clock, unnest($15::text[], $16::bigint[], $17::bigint[])
                    AS b(budget, requests, retries)
            ), upserted AS (
                INSERT INTO \(breakers) AS t
                    (breaker, instance, state, follows_fleet, state_since, calls, failures, slow_calls, heartbeat)
                SELECT breaker, $1, state, follows_fleet, now_ns - state_age, calls, failures, slow_calls, now_ns FROM input
                ON CONFLICT (breaker, instance) DO UPDATE SET state = excluded.state,
                    follows_fleet = excluded.follows_fleet, state_since = excluded.state_since, calls = excluded.calls,
                    failures = excluded.failures, slow_calls = excluded.slow_calls, heartbeat = excluded.heartbeat
                RETURNING 1
            ), budgets_upserted AS (
                INSERT INTO \(budgets) AS t (budget, instance, requests, retries, heartbeat)
                SELECT budget, $1, requests, retries, now_ns FROM budget_input
                ON CONFLICT (budget, instance) DO UPDATE SET requests = excluded.requests,
                    retries = excluded.retries, heartbeat = excluded.heartbeat
                RETURNING 1
            ), swept AS (
                DELETE FROM \(breakers) AS t USING clock
                WHERE t.heartbeat < clock.now_ns - $2 AND t.instance <> $1
                RETURNING 1
            ), budgets_swept AS (
                DELETE FROM \(budgets) AS t USING clock
                WHERE t.heartbeat < clock.now_ns - $2 AND t.instance <> $1
                RETURNING 1
            ), leased AS (
                UPDATE \(leases) AS l SET
                    holders = CASE
                        WHEN i.request = 'release' THEN coalesce((SELECT jsonb_agg(h) FROM \(holders("l"))
                            WHERE \(readableHolder) AND \(number("h", "expiresAt")) > i.now_ns AND h->>'instance' <> $1), '[]'::jsonb)
                        WHEN EXISTS (SELECT 1 FROM \(holders("l")) WHERE \(readableHolder)
                                AND h->>'instance' = $1 AND \(number("h", "expiresAt")) > i.now_ns)
                            OR i.known_round <> l.round
                            OR (SELECT count(*) FROM \(holders("l")) WHERE \(readableHolder)
                                AND \(number("h", "expiresAt")) > i.now_ns) >= $4
                        THEN \(liveHolders)
                        ELSE \(liveHolders) || \(newLease)
                        END,
                    round = CASE WHEN \(verdict) THEN l.round + 1 ELSE l.round END,
                    verdict_outcome = CASE WHEN \(verdict) THEN i.outcome ELSE l.verdict_outcome END,
                    verdict_at = CASE WHEN \(verdict) THEN i.now_ns ELSE l.verdict_at END,
                    verdict_instance = CASE WHEN \(verdict) THEN $1 ELSE l.verdict_instance END,
                    verdict_round = CASE WHEN \(verdict) THEN l.round + 1 ELSE l.verdict_round END,
                    recovered_at = CASE WHEN \(verdict) AND i.outcome = 'closed' THEN i.now_ns ELSE l.recovered_at END
                FROM input AS i
                WHERE l.breaker = i.breaker AND i.request <> ''
                RETURNING l.*
            ), leases_added AS (
                INSERT INTO \(leases) AS l (breaker, round, holders)
                SELECT i.breaker, 0,
                    CASE WHEN i.request = 'acquire' AND i.known_round = 0 THEN \(newLease) ELSE '[]'::jsonb END
                FROM input AS i
                WHERE i.request <> '' AND NOT EXISTS (SELECT 1 FROM \(leases) AS e WHERE e.breaker = i.breaker)
                ON CONFLICT (breaker) DO NOTHING
                RETURNING l.*
            ), lease_rows AS (
                SELECT * FROM leased
                UNION ALL SELECT * FROM leases_added
                UNION ALL SELECT l.* FROM \(leases) AS l
                    WHERE l.breaker = ANY($5::text[]) AND l.breaker NOT IN (SELECT breaker FROM input WHERE request <> '')
            )
            SELECT 'clock' AS kind, NULL::text AS name, NULL::text AS instance, NULL::text AS state,
                NULL::boolean AS follows_fleet, now_ns AS a, NULL::bigint AS b, NULL::bigint AS c, NULL::bigint AS d,
                NULL::bigint AS e, NULL::text[] AS holders, NULL::bigint[] AS granted, NULL::bigint[] AS expires,
                NULL::text AS verdict_outcome, NULL::text AS verdict_instance
                FROM clock
            UNION ALL
            SELECT 'breaker', t.breaker, t.instance, t.state, t.follows_fleet, t.state_since, t.calls, t.failures,
                t.slow_calls, t.heartbeat, NULL, NULL, NULL, NULL, NULL
                FROM \(breakers) AS t, clock
                WHERE t.breaker = ANY($5::text[]) AND t.instance <> $1 AND t.heartbeat >= clock.now_ns - $2
            UNION ALL
            SELECT 'lease', l.breaker, NULL, NULL, NULL, l.round, l.verdict_at, l.verdict_round, l.recovered_at,
                (SELECT count(*) FROM \(holders("l")) WHERE NOT coalesce(\(readableHolder), false)),
                ARRAY(SELECT h->>'instance' FROM \(holders("l")) WHERE \(readableHolder)),
                ARRAY(SELECT \(number("h", "grantedAt"))::bigint FROM \(holders("l")) WHERE \(readableHolder)),
                ARRAY(SELECT \(number("h", "expiresAt"))::bigint FROM \(holders("l")) WHERE \(readableHolder)),
                l.verdict_outcome, l.verdict_instance
                FROM lease_rows AS l
            UNION ALL
            SELECT 'budget', t.budget, t.instance, NULL, NULL, t.requests, t.retries, t.heartbeat, NULL, NULL,
                NULL, NULL, NULL, NULL, NULL
                FROM \(budgets) AS t, clock
                WHERE t.budget = ANY($15::text[]) AND t.instance <> $1 AND t.heartbeat >= clock.now_ns - $2
            """
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturated to the `Int64` range.
    var saturatedNanosecondsValue: Int64 {
        let (seconds, attoseconds) = components
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = whole.addingReportingOverflow(attoseconds / 1_000_000_000)
        guard !overflowed else { return seconds < 0 ? .min : .max }
        return sum
    }
}

extension Int64 {
    /// `self - other`, saturated to the `Int64` range.
    func subtractingSaturated(_ other: Int64) -> Int64 {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self + other`, saturated to the `Int64` range.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}
#endif
