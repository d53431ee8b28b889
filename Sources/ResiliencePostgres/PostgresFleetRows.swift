#if Postgres
import PostgresNIO
import Resilience

/// What one round read back, checked: the database's clock, the other instances' live summaries
/// and the probe leases per breaker, the budgets' summaries per budget, and the rows ignored.
struct PostgresFleetRows: Sendable {
    var unixNow: Int64 = 0
    var summaries: [String: [FleetBreakerSummary]] = [:]
    var leases: [String: FleetProbeLeases] = [:]
    var budgets: [String: [FleetRetryBudgetSummary]] = [:]
    var rejected: [PostgresFleetRowError] = []

    /// Reads the statement's rows.
    ///
    /// - Throws: ``PostgresFleetSyncError`` (`malformedResult`) when a column has an unexpected type or
    ///   the clock row is missing; a row with absurd values is not an error but is listed in `rejected`.
    init(_ rows: [PostgresRow], timeToLive: Duration) throws(PostgresFleetSyncError) {
        var clock: Int64?
        var breakerRows: [PostgresRandomAccessRow] = []
        var leaseRows: [PostgresRandomAccessRow] = []
        var budgetRows: [PostgresRandomAccessRow] = []
        do {
            for row in rows {
                let row = row.makeRandomAccess()
                switch try row[0].decode(String.self) {
                case "clock": clock = try row[5].decode(Int64.self)
                case "breaker": breakerRows.append(row)
                case "lease": leaseRows.append(row)
                case "budget": budgetRows.append(row)
                default: break
                }
            }
            guard let clock else { throw PostgresFleetSyncError(.malformedResult, "the result has no clock row") }
            unixNow = clock
            let futureLimit = clock.addingSaturated(max(timeToLive.saturatedNanosecondsValue, 0))
            for row in breakerRows { try readBreaker(row, futureLimit: futureLimit) }
            for row in leaseRows { try readLease(row) }
            for row in budgetRows { try readBudget(row, futureLimit: futureLimit) }
        } catch let error as PostgresFleetSyncError {
            throw error
        } catch {
            throw PostgresFleetSyncError(.malformedResult, "\(error)")
        }
    }

    private static let countRange = Int64(0)...Int64(FleetBreakerSummary.maximumCount)

    private mutating func readBreaker(_ row: PostgresRandomAccessRow, futureLimit: Int64) throws {
        let name = try row[1].decode(String.self)
        let instance = try row[2].decode(String.self)
        let stateName = try row[3].decode(String.self)
        let followsFleet = try row[4].decode(Bool.self)
        let stateSince = try row[5].decode(Int64.self)
        let calls = try row[6].decode(Int64.self)
        let failures = try row[7].decode(Int64.self)
        let slowCalls = try row[8].decode(Int64.self)
        let heartbeat = try row[9].decode(Int64.self)
        func reject(_ code: PostgresFleetRowError.Code, _ reason: String) {
            rejected.append(PostgresFleetRowError(code, table: "breakers", name: name, instance: instance, reason: reason))
        }
        guard !instance.isEmpty else { return reject(.emptyInstance, "the instance is empty") }
        guard let state = CircuitState(name: stateName) else { return reject(.unknownState, "unknown state \"\(stateName)\"") }
        for (field, value) in [("calls", calls), ("failures", failures), ("slow_calls", slowCalls)] where !Self.countRange.contains(value) {
            return reject(.countOutOfRange, "\(field) is \(value), not in \(Self.countRange)")
        }
        guard failures <= calls, slowCalls <= calls else {
            return reject(.failuresAboveCalls, "\(failures) failures and \(slowCalls) slow calls of \(calls) calls")
        }
        guard heartbeat <= futureLimit else { return reject(.heartbeatInFuture, "heartbeat \(heartbeat) is past \(futureLimit)") }
        let summary = FleetBreakerSummary(
            instance: instance, state: state, followsFleet: followsFleet, stateSince: stateSince, calls: Int(calls),
            failures: Int(failures), slowCalls: Int(slowCalls), heartbeat: heartbeat)
        summaries[name, default: []].append(summary)
    }

    private mutating func readLease(_ row: PostgresRandomAccessRow) throws {
        let name = try row[1].decode(String.self)
        let round = try row[5].decode(Int64.self)
        let verdictAt = try row[6].decode(Int64?.self)
        let verdictRound = try row[7].decode(Int64?.self)
        let recoveredAt = try row[8].decode(Int64?.self)
        let unreadable = try row[9].decode(Int64?.self) ?? 0
        let instances = try row[10].decode([String].self)
        let granted = try row[11].decode([Int64].self)
        let expires = try row[12].decode([Int64].self)
        let outcomeName = try row[13].decode(String?.self)
        let verdictInstance = try row[14].decode(String?.self)
        func reject(_ reason: String) {
            rejected.append(PostgresFleetRowError(.invalidLease, table: "probe_leases", name: name, instance: nil, reason: reason))
        }
        guard round >= 0 else { return reject("round is \(round)") }
        if unreadable > 0 { reject("\(unreadable) unreadable holder(s) dropped") }
        var holders: [FleetProbeLease] = []
        for index in instances.indices where index < granted.count && index < expires.count {
            guard granted[index] <= expires[index] else {
                reject("the lease of \(instances[index]) expires before it was granted")
                continue
            }
            holders.append(FleetProbeLease(instance: instances[index], grantedAt: granted[index], expiresAt: expires[index]))
        }
        var verdict: FleetProbeVerdict?
        if let outcomeName {
            let outcome: FleetProbeVerdict.Outcome? =
                switch outcomeName {
                case FleetProbeVerdict.Outcome.closed.description: .closed
                case FleetProbeVerdict.Outcome.reopened.description: .reopened
                default: nil
                }
            if let outcome, let verdictAt, let verdictRound, verdictRound >= 0, verdictRound <= round,
                let verdictInstance, !verdictInstance.isEmpty
            {
                verdict = FleetProbeVerdict(outcome: outcome, at: verdictAt, instance: verdictInstance, round: UInt64(verdictRound))
            } else {
                reject("the last verdict (\(outcomeName), round \(verdictRound.map(String.init) ?? "none")) cannot be read")
            }
        }
        leases[name] = FleetProbeLeases(round: UInt64(round), holders: holders, lastVerdict: verdict, recoveredAt: recoveredAt)
    }

    private mutating func readBudget(_ row: PostgresRandomAccessRow, futureLimit: Int64) throws {
        let name = try row[1].decode(String.self)
        let instance = try row[2].decode(String.self)
        let requests = try row[5].decode(Int64.self)
        let retries = try row[6].decode(Int64.self)
        let heartbeat = try row[7].decode(Int64.self)
        func reject(_ code: PostgresFleetRowError.Code, _ reason: String) {
            rejected.append(PostgresFleetRowError(code, table: "budgets", name: name, instance: instance, reason: reason))
        }
        guard !instance.isEmpty else { return reject(.emptyInstance, "the instance is empty") }
        guard Self.countRange.contains(requests), Self.countRange.contains(retries) else {
            return reject(.countOutOfRange, "requests \(requests), retries \(retries), not in \(Self.countRange)")
        }
        guard heartbeat <= futureLimit else { return reject(.heartbeatInFuture, "heartbeat \(heartbeat) is past \(futureLimit)") }
        budgets[name, default: []].append(
            FleetRetryBudgetSummary(instance: instance, requests: Int(requests), retries: Int(retries), heartbeat: heartbeat))
    }
}
#endif
