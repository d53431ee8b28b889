import Foundation
import Logging
import PostgresNIO
import Resilience
import ResiliencePostgres
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A cluster of the test's own, started with `.ci/postgres-cluster` (as `nobody` when run as root),
/// so that stopping it (`pg_ctl stop -m immediate`) disturbs no other test.
///
/// The other suites share the CI server and run in parallel; a test that crashed that server would
/// fail them all at random, so this one never touches it.
struct PrivateCluster {
    let directory: String
    let port: Int
    let password: String

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".ci/postgres-cluster").path

    /// Runs the script and waits for it (posix_spawn and waitpid: Foundation's `Process` may never
    /// see a child exit in a process whose signal handling NIO has changed).
    static func run(_ arguments: [String]) throws {
        let argv: [UnsafeMutablePointer<CChar>?] = (["/bin/bash", script] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/bash", nil, nil, argv, environ)
        guard spawned == 0 else { throw PostgresFleetSyncError(.database, "posix_spawn failed: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { throw PostgresFleetSyncError(.database, "waitpid failed: \(errno)") }
        }
        guard status == 0 else {
            throw PostgresFleetSyncError(.database, "\(script) \(arguments.joined(separator: " ")) ended with status \(status)")
        }
    }

    static func start() throws -> PrivateCluster {
        let directory = NSTemporaryDirectory() + "resilience-pg-\(UInt32.random(in: 0...UInt32.max))"
        try run(["start", directory])
        let environment = try String(contentsOfFile: directory + "/env", encoding: .utf8)
        var values: [String: String] = [:]
        for line in environment.split(separator: "\n") {
            let assignment = line.replacingOccurrences(of: "export ", with: "")
            guard let equals = assignment.firstIndex(of: "=") else { continue }
            values[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
        }
        return PrivateCluster(directory: directory, port: Int(values["PGPORT"] ?? "") ?? 0, password: values["PGPASSWORD"] ?? "")
    }

    func kill() throws { try Self.run(["kill", directory]) }
    func resume() throws { try Self.run(["resume", directory]) }
    func remove() { try? Self.run(["stop", directory]) }

    func configuration() -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: "127.0.0.1", port: port, username: "resilience", password: password, database: "resilience_tests", tls: .disable)
        configuration.options.connectTimeout = .seconds(1)
        configuration.options.maximumConnections = 2
        configuration.options.keepAliveBehavior = nil
        return configuration
    }
}

extension PostgresServerTests {
    @Suite("The database fails")
    struct DatabaseFailureTests {
        @Test(
            "the database stopped mid-run (pg_ctl stop -m immediate): callers see no database error and never wait, decisions go on locally, and after its restart the fleet's view returns"
        )
        func databaseRestarts() async throws {
            let cluster = try PrivateCluster.start()
            defer { cluster.remove() }
            let fleet = try FleetConfiguration(
                syncInterval: .milliseconds(100), timeToLive: .seconds(2), staleAfter: .milliseconds(300),
                rules: FleetBreakerRules(failureRateThreshold: 0.5, minimumThroughput: 20, quorum: 2))
            let local = try CircuitBreakerConfiguration(consecutiveFailureThreshold: 5, breakDuration: .constant(.seconds(30)))
            let counters = (0..<3).map { _ in Counter() }
            let instances = try (0..<3).map { index in
                let client = PostgresClient(configuration: cluster.configuration(), backgroundLogger: PostgresTestServer.logger)
                let coordination = FleetCoordination(instance: "r\(index)", configuration: fleet)
                let breaker = CircuitBreaker(
                    name: "downstream", configuration: local, countsAsFailure: { _, _ in true }, fleet: coordination)
                let counter = counters[index]
                let sync = try PostgresFleetSync(
                    client: client, instance: "r\(index)", fleet: fleet,
                    configuration: try PostgresFleetStoreConfiguration(syncTimeout: .seconds(1)), logger: PostgresTestServer.logger,
                    onEvent: { counter.note($0) })
                try sync.register(coordination)
                return (client: client, coordination: coordination, breaker: breaker, sync: sync)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for instance in instances {
                    group.addTask { await instance.client.run() }
                    group.addTask { await instance.sync.run() }
                }
                defer { group.cancelAll() }
                #expect(await eventually { instances.allSatisfy { $0.coordination.isFollowingFleet } })

                // Callers all along: a healthy downstream on r0 and r1, a failing one on r2.
                let stop = Locked(false)
                // Every call's duration: (calls, calls of 250 ms or more, the slowest).
                let timings = Locked((calls: 0, slow: 0, slowest: Duration.zero))
                let foreignErrors = Locked<[String]>([])
                let callers = Task {
                    await withTaskGroup(of: Void.self) { callers in
                        for (index, instance) in instances.enumerated() {
                            callers.addTask {
                                let clock = ContinuousClock()
                                while !stop.withLock({ $0 }) {
                                    let started = clock.now
                                    do {
                                        try await instance.breaker.execute {
                                            if index == 2, counters[2].count(of: .viewStale) > 0 { throw Downstream.Failure() }
                                        }
                                    } catch is Downstream.Failure, is CircuitOpenError {
                                    } catch {
                                        foreignErrors.withLock { $0.append("\(error)") }
                                    }
                                    let took = started.duration(to: clock.now)
                                    timings.withLock { timings in
                                        timings.calls += 1
                                        if took >= .milliseconds(250) { timings.slow += 1 }
                                        timings.slowest = max(timings.slowest, took)
                                    }
                                    try? await clock.sleep(for: .milliseconds(2))
                                }
                            }
                        }
                    }
                }

                let staleBefore = counters.map { $0.count(of: .viewStale) }
                let freshBefore = counters.map { $0.count(of: .viewFresh) }
                try cluster.kill()
                let killed = ContinuousClock.now
                #expect(await eventually { instances.allSatisfy { $0.sync.isStale && !$0.coordination.isFollowingFleet } })
                #expect(await eventually { zip(counters, staleBefore).allSatisfy { $0.count(of: .viewStale) == $1 + 1 } })
                // Local decisions go on: r2's own breaker opens on its own evidence, the others stay closed.
                #expect(await eventually { instances[2].breaker.state == .open })
                #expect(instances[0].breaker.state == .closed && instances[1].breaker.state == .closed)
                let staleAfterKill = killed.duration(to: .now)

                try cluster.resume()
                #expect(await eventually(within: .seconds(60)) { instances.allSatisfy { $0.coordination.isFollowingFleet } })
                // At least once: a round stalled by the loaded host after the restart may make a view stale, and
                // fresh, once more.
                #expect(await eventually { zip(counters, freshBefore).allSatisfy { $0.count(of: .viewFresh) >= $1 + 1 } })
                #expect(counters.allSatisfy { $0.count(of: .syncFailed) >= 1 })
                stop.withLock { $0 = true }
                await callers.value
                #expect(foreignErrors.withLock { $0 }.isEmpty, "callers saw: \(foreignErrors.withLock { $0 })")
                // No call waited on the database: one that did would take a connect timeout (1 s), and
                // while the server was down every call would. A stall of the loaded host slows the few
                // calls running through it, so the count of slow calls is bounded, not the slowest.
                let (calls, slow, slowest) = timings.withLock { $0 }
                #expect(calls > 100 && slow * 100 <= calls, "\(slow) of \(calls) calls took 250 ms or more")
                print(
                    "database killed: every instance stale and alone within \(staleAfterKill); \(calls) calls, \(slow) of 250 ms or more, slowest \(slowest)"
                )
            }
        }

        @Test("a round trip slower than the sync timeout counts as failed, and the sync reports the view stale")
        func slowDatabase() async throws {
            let schema = PostgresTestServer.uniqueSchema("slow")
            let fleet = try FleetConfiguration(syncInterval: .milliseconds(100), timeToLive: .seconds(2), staleAfter: .milliseconds(300))
            try await PostgresTestServer.withClient { client in
                let counter = Counter()
                let sync = try PostgresFleetSync(
                    client: client, instance: "slow", fleet: fleet,
                    configuration: try PostgresFleetStoreConfiguration(schema: schema, syncTimeout: .milliseconds(200)),
                    logger: PostgresTestServer.logger, onEvent: { counter.note($0) })
                let coordination = FleetCoordination(instance: "slow", configuration: fleet)
                let breaker = CircuitBreaker(name: "downstream", fleet: coordination)
                try sync.register(coordination)
                // The first round creates the schema; on a loaded machine it may take longer than 200 ms.
                #expect(await eventually { await sync.sync() })
                #expect(coordination.isFollowingFleet)
                let (staleBefore, freshBefore) = (counter.count(of: .viewStale), counter.count(of: .viewFresh))
                // Another session holds the breakers' row lock, so the upsert waits.
                try await client.withTransaction(logger: PostgresTestServer.logger) { connection in
                    _ = try await connection.query(
                        PostgresQuery(unsafeSQL: "SELECT * FROM \"\(schema)\".\"fleet_breakers\" FOR UPDATE"),
                        logger: PostgresTestServer.logger
                    )
                    let clock = ContinuousClock()
                    let started = clock.now
                    #expect(await sync.sync() == false)
                    // The lock is held until this transaction ends: a round that waited for it would never return.
                    #expect(started.duration(to: clock.now) < .seconds(60))
                    // The first statement still waits for the lock: the next round is refused, not piled up.
                    #expect(await sync.sync() == false)
                    #expect(await eventually { sync.isStale && !coordination.isFollowingFleet })
                    #expect(await sync.sync() == false)
                    #expect(counter.count(of: .viewStale) == staleBefore + 1)
                }
                #expect(await eventually { await sync.sync() })
                #expect(coordination.isFollowingFleet)
                #expect(await eventually { counter.count(of: .viewFresh) == freshBefore + 1 })
                _ = breaker
                await PostgresTestServer.drop(client, schema: schema)
            }
        }
    }
}

extension PostgresServerTests {
    @Suite("Fleet retry budget through PostgreSQL")
    struct FleetRetryBudgetTests {
        @Test("under a total outage, the fleet's budget holds 8 instances to at most 1.1 attempts per request")
        func amplification() async throws {
            let schema = PostgresTestServer.uniqueSchema("budget")
            let fleet = try FleetConfiguration(syncInterval: .milliseconds(100), timeToLive: .seconds(3), staleAfter: .seconds(2))
            let share = try FleetRetryBudgetShare(ratio: 0.1, minimumRetries: 0)
            let attempts = Locked(0)
            let requests = Locked(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                let instances = try (0..<8).map { index in
                    let client = PostgresClient(
                        configuration: PostgresTestServer.configuration(), backgroundLogger: PostgresTestServer.logger)
                    // Alone, each budget allows its minimum of 2 retries on top of 10 % of its requests: 8
                    // minimums add up past 1.1 attempts a request.
                    let budget = try RetryBudget.ratio(0.1, window: .seconds(60), minimumRetries: 2, name: "downstream")
                    let sync = try PostgresFleetSync(
                        client: client, instance: "b\(index)", fleet: fleet,
                        configuration: try PostgresFleetStoreConfiguration(schema: schema, syncTimeout: .seconds(1)),
                        logger: PostgresTestServer.logger)
                    sync.register(budget, share: share)
                    return (client: client, budget: budget, sync: sync)
                }
                for instance in instances {
                    group.addTask { await instance.client.run() }
                    group.addTask { await instance.sync.run() }
                }
                defer { group.cancelAll() }
                #expect(await eventually { instances.allSatisfy { !$0.sync.isStale } })

                // Every attempt fails; a failed attempt is retried (up to 3 times) while the budget allows.
                // The traffic comes in 20 steps of 5 requests an instance, each step after a successful
                // round of every instance: the pace of the sync relative to the traffic stays the same
                // however slow the machine (the thread sanitizer, a loaded host).
                for _ in 0..<20 {
                    let rounds = instances.map { $0.sync.statistics.rounds }
                    let synced = await eventually { zip(instances, rounds).allSatisfy { $0.sync.statistics.rounds > $1 } }
                    #expect(synced)
                    for instance in instances {
                        for _ in 0..<5 {
                            instance.budget.recordRequest()
                            requests.withLock { $0 += 1 }
                            attempts.withLock { $0 += 1 }
                            var attempt = 1
                            while attempt < 4, instance.budget.tryAcquireRetry(afterAttempt: attempt) {
                                attempts.withLock { $0 += 1 }
                                attempt += 1
                            }
                        }
                    }
                }
                let amplification = Double(attempts.withLock { $0 }) / Double(requests.withLock { $0 })
                // The same traffic through 8 budgets alone.
                let alone = try (0..<8).map { _ in try RetryBudget.ratio(0.1, window: .seconds(60), minimumRetries: 2) }
                var aloneAttempts = 0
                for budget in alone {
                    for _ in 0..<100 {
                        budget.recordRequest()
                        aloneAttempts += 1
                        var attempt = 1
                        while attempt < 4, budget.tryAcquireRetry(afterAttempt: attempt) {
                            aloneAttempts += 1
                            attempt += 1
                        }
                    }
                }
                print("budgets alone: \(aloneAttempts) attempts for 800 requests: amplification \(Double(aloneAttempts) / 800)")
                #expect(Double(aloneAttempts) / 800 > 1.1)
                print(
                    "fleet retry budget: \(attempts.withLock { $0 }) attempts for \(requests.withLock { $0 }) requests: amplification \(amplification)"
                )
                #expect(amplification <= 1.1)
                await PostgresTestServer.drop(instances[0].client, schema: schema)
            }
        }
    }
}

@Suite("Fleet store configuration")
struct PostgresFleetStoreConfigurationTests {
    @Test(
        "invalid names and timeouts are errors naming the field",
        arguments: [
            ("schema", try? PostgresFleetStoreConfiguration.default.with { $0.schema = "Robert'); DROP TABLE students;--" }),
            ("schema", try? PostgresFleetStoreConfiguration.default.with { $0.schema = "" }),
            ("tablePrefix", try? PostgresFleetStoreConfiguration.default.with { $0.tablePrefix = "9lives" }),
        ])
    func invalid(field: String, configuration: PostgresFleetStoreConfiguration?) {
        #expect(configuration == nil)
    }

    @Test("each invalid field is named")
    func named() {
        #expect(throws: ConfigurationError.self) { try PostgresFleetStoreConfiguration(schema: "a-b") }
        do {
            _ = try PostgresFleetStoreConfiguration(tablePrefix: String(repeating: "x", count: 41))
            Issue.record("a 41-character prefix was accepted")
        } catch {
            #expect(error.field == "tablePrefix")
        }
        do {
            _ = try PostgresFleetStoreConfiguration(syncTimeout: .zero)
            Issue.record("a zero timeout was accepted")
        } catch {
            #expect(error.field == "syncTimeout")
        }
    }

    @Test("in CI, the PostgreSQL variables are set: the integration suites cannot skip there")
    func ciHasServer() {
        guard PostgresTestServer.environment["CI"] != nil else { return }
        #expect(
            PostgresTestServer.environment["PGHOST"] != nil && PostgresTestServer.environment["PGPORT"] != nil,
            "CI must start a PostgreSQL cluster and export PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE")
    }
}
