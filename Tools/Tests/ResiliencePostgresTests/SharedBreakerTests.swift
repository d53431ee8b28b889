import Logging
import PostgresNIO
import Resilience
import ResiliencePostgres
import Synchronization
import Testing

extension PostgresServerTests {
    /// Fleets of instances, each with its own PostgresClient (its own pool), sharing one breaker through
    /// a real server, on the wall clock with 100 ms sync intervals. Each test has a schema of its own, so
    /// the tests run in parallel on one server; waits poll a condition with a generous bound.
    @Suite("Shared breakers through PostgreSQL")
    struct SharedBreakerTests {
        static let interval = Duration.milliseconds(100)

        /// The fleet's configuration: stale after 2 s, so that a stall of the loaded test machine does not
        /// make an instance act alone in the middle of a test.
        static func fleet(
            probeHolders: Int = 1, lease: Duration = .seconds(10), quorum: Int? = 2, timeToLive: Duration = .seconds(3),
            staleAfter: Duration = .seconds(2)
        ) throws -> FleetConfiguration {
            try FleetConfiguration(
                syncInterval: interval, timeToLive: timeToLive, staleAfter: staleAfter, probeHolders: probeHolders,
                probeLeaseDuration: lease,
                rules: FleetBreakerRules(failureRateThreshold: 0.5, minimumThroughput: 20, quorum: quorum))
        }

        /// Each breaker alone opens at 50 % failures over 50 calls; its break is 30 s unless given.
        static func breaker(breakDuration: Duration = .seconds(30)) throws -> CircuitBreakerConfiguration {
            try CircuitBreakerConfiguration(
                consecutiveFailureThreshold: nil, failureRateThreshold: 0.5, slidingWindow: .count(100), minimumThroughput: 50,
                breakDuration: .constant(breakDuration), probeTimeout: nil)
        }

        static func makeFleet(
            _ count: Int, schema: String, fleet: FleetConfiguration, breaker: CircuitBreakerConfiguration
        ) throws
            -> [FleetInstance]
        {
            try (0..<count).map { try FleetInstance(name: "i\($0)", schema: schema, fleet: fleet, breaker: breaker) }
        }

        /// Starts the instances and waits until each follows the fleet.
        static func start(_ instances: [FleetInstance]) async {
            for instance in instances { instance.start() }
            let following = await eventually { instances.allSatisfy { $0.coordination.isFollowingFleet } }
            #expect(following, "every instance follows the fleet after its first sync")
        }

        static func finish(_ instances: [FleetInstance], schema: String) async throws {
            for instance in instances { await instance.stop() }
            try await PostgresTestServer.withClient { client in await PostgresTestServer.drop(client, schema: schema) }
        }

        /// Each instance makes `calls` calls, 5 ms apart.
        static func drive(_ breakers: [(String, CircuitBreaker<ContinuousClock>)], calls: Int, downstream: Downstream) async {
            await withTaskGroup(of: Void.self) { group in
                for (name, breaker) in breakers {
                    group.addTask {
                        let clock = ContinuousClock()
                        for _ in 0..<calls {
                            try? await breaker.execute { try await downstream.call(by: name) }
                            try? await clock.sleep(for: .milliseconds(5))
                        }
                    }
                }
            }
        }

        @Test(
            "8 instances share a breaker: once the downstream is down every instance opens within two of its syncs of the first, and the downstream gets far fewer calls than 8 independent breakers let through"
        )
        func outage() async throws {
            let schema = PostgresTestServer.uniqueSchema("outage")
            let instances = try Self.makeFleet(8, schema: schema, fleet: Self.fleet(), breaker: Self.breaker())
            await Self.start(instances)

            // The sync rounds of every instance when the first one opens.
            let atFirstOpening = Locked<[Int]?>(nil)
            for instance in instances {
                instance.transitions.onTransition { transition in
                    guard transition.to == .open else { return }
                    atFirstOpening.withLock { if $0 == nil { $0 = instances.map(\.successfulRounds) } }
                }
            }
            let downstream = Downstream()
            downstream.set(.down)
            await Self.drive(instances.map { ($0.name, $0.breaker) }, calls: 120, downstream: downstream)
            let sharedCalls = downstream.calls

            let first = try #require(atFirstOpening.withLock { $0 })
            for (index, instance) in instances.enumerated() {
                let opening = try #require(instance.transitions.first(to: .open), "\(instance.name) opened")
                #expect(
                    opening.rounds - first[index] <= 2, "\(instance.name) opened \(opening.rounds - first[index]) syncs after the first")
            }
            #expect(instances.contains { $0.transitions.first(to: .open)?.transition.reason == .fleetOpened })

            // The same traffic through 8 independent breakers: each lets 50 calls through before it trips.
            let independent = Downstream()
            independent.set(.down)
            let alone = try (0..<8).map { index in
                ("j\(index)", CircuitBreaker(name: "alone", configuration: try Self.breaker(), countsAsFailure: { _, _ in true }))
            }
            await Self.drive(alone, calls: 120, downstream: independent)
            #expect(independent.calls == 8 * 50)
            #expect(sharedCalls < independent.calls / 2, "shared \(sharedCalls) calls, independent \(independent.calls)")
            print(
                "fleet outage: the downstream received \(sharedCalls) calls through 8 shared breakers, \(independent.calls) through 8 independent ones"
            )
            try await Self.finish(instances, schema: schema)
        }

        /// Opens every instance of the fleet (a failing downstream), then makes every call wait at the
        /// downstream, so that the probes in flight can be counted.
        static func openThenHold(_ instances: [FleetInstance], downstream: Downstream) async {
            downstream.set(.down)
            await drive(instances.map { ($0.name, $0.breaker) }, calls: 40, downstream: downstream)
            let open = await eventually { instances.allSatisfy { $0.breaker.state == .open } }
            #expect(open, "every instance is open")
            downstream.set(.held)
            downstream.resetCount()
        }

        /// Keeps calling through every breaker (each call in a task of its own, as a server's requests).
        static func keepCalling(_ instances: [FleetInstance], downstream: Downstream, until stop: Locked<Bool>) async {
            await withTaskGroup(of: Void.self) { group in
                for instance in instances {
                    group.addTask {
                        await withTaskGroup(of: Void.self) { calls in
                            let clock = ContinuousClock()
                            while !stop.withLock({ $0 }) {
                                calls.addTask { try? await instance.breaker.execute { try await downstream.call(by: instance.name) } }
                                try? await clock.sleep(for: .milliseconds(5))
                            }
                        }
                    }
                }
            }
        }

        @Test("when the break ends, exactly N instances probe, fleet-wide; the others follow the probes' verdict", arguments: [1, 2])
        func probes(holders: Int) async throws {
            let schema = PostgresTestServer.uniqueSchema("probes\(holders)")
            // A view that goes stale lets an instance probe on its own (the documented fallback), and a row
            // past its time to live stops counting: neither may happen while the probes are counted, however
            // long the loaded machine stalls a round, so both are a minute here (and the lease too).
            let fleet = try Self.fleet(probeHolders: holders, lease: .seconds(60), timeToLive: .seconds(60), staleAfter: .seconds(60))
            let instances = try Self.makeFleet(8, schema: schema, fleet: fleet, breaker: Self.breaker(breakDuration: .milliseconds(500)))
            await Self.start(instances)
            let downstream = Downstream()
            await Self.openThenHold(instances, downstream: downstream)

            let stop = Locked(false)
            async let calling: Void = Self.keepCalling(instances, downstream: downstream, until: stop)
            // The probes go out when the breaks end; wait until they are in, then 10 more syncs of every
            // instance, in which no other instance may probe.
            let probed = await eventually { downstream.calls >= holders }
            #expect(probed)
            let rounds = instances.map(\.successfulRounds)
            let later = await eventually { zip(instances, rounds).allSatisfy { $0.successfulRounds >= $1 + 10 } }
            #expect(later)
            #expect(downstream.calls == holders, "probes fleet-wide: \(downstream.callers)")
            #expect(Set(downstream.callers).count == holders)

            // The probes succeed: every instance closes, most because the fleet's verdict says so.
            downstream.set(.up)
            let closed = await eventually { instances.allSatisfy { $0.breaker.state == .closed } }
            #expect(closed)
            stop.withLock { $0 = true }
            await calling
            let followers = instances.filter { $0.transitions.all.contains { $0.transition.reason == .fleetClosed } }
            #expect(followers.count >= 8 - holders)
            try await Self.finish(instances, schema: schema)
        }

        @Test("a probing instance killed mid-probe (sync cancelled, client shut down) frees its lease when it expires: then another probes")
        func killedProber() async throws {
            let schema = PostgresTestServer.uniqueSchema("killed")
            // No view may go stale (which lets an instance probe alone) however long the loaded machine
            // stalls a round: only the lease's expiry frees the dead prober's place.
            let fleet = try Self.fleet(lease: .milliseconds(1500), staleAfter: .seconds(60))
            let instances = try Self.makeFleet(8, schema: schema, fleet: fleet, breaker: Self.breaker(breakDuration: .milliseconds(500)))
            await Self.start(instances)
            let downstream = Downstream()
            await Self.openThenHold(instances, downstream: downstream)

            let stop = Locked(false)
            async let calling: Void = Self.keepCalling(instances, downstream: downstream, until: stop)
            #expect(await eventually { downstream.calls >= 1 })
            let prober = try #require(instances.first { $0.name == downstream.callers.first })
            await prober.stop()
            let leaseQuery = """
                SELECT (h->>'expiresAt')::bigint FROM "\(schema)"."fleet_probe_leases", jsonb_array_elements(holders) AS h
                WHERE h->>'instance' = '\(prober.name)'
                """
            let expiry = try await PostgresTestServer.withClient { client in
                try await PostgresTestServer.execute(client, leaseQuery).first?.decode(Int64.self)
            }
            let expiresAt = try #require(expiry, "the prober's lease is in the table")

            // Nobody else probes until the dead instance's lease expires (on the database's clock).
            #expect(await eventually { downstream.calls >= 2 })
            let now = try await PostgresTestServer.withClient { client in
                try await PostgresTestServer.execute(client, "SELECT (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint")
                    .first?.decode(Int64.self)
            }
            #expect(downstream.calls == 2)
            #expect(downstream.callers[1] != prober.name)
            #expect(try #require(now) >= expiresAt, "the second probe came after the dead prober's lease expired")

            downstream.set(.up)
            let others = instances.filter { $0 !== prober }
            #expect(await eventually { others.allSatisfy { $0.breaker.state == .closed } })
            stop.withLock { $0 = true }
            await calling
            try await Self.finish(instances, schema: schema)
        }

        @Test("a dead instance's row counts while its heartbeat is within the time to live, then not, and is deleted")
        func deadInstance() async throws {
            let schema = PostgresTestServer.uniqueSchema("dead")
            let fleet = try FleetConfiguration(
                syncInterval: Self.interval, timeToLive: .seconds(1), staleAfter: .seconds(2),
                rules: FleetBreakerRules(failureRateThreshold: nil, quorum: 5))
            let instances = try Self.makeFleet(2, schema: schema, fleet: fleet, breaker: Self.breaker())
            await Self.start(instances)
            let table = "\"\(schema)\".\"fleet_breakers\""
            let clock = ContinuousClock()
            // Before the insert: the ghost's heartbeat is later, so it counts until at least 1 s after this.
            let planted = clock.now
            try await PostgresTestServer.withClient { client in
                // A ghost instance, last heard of now.
                _ = try await PostgresTestServer.execute(
                    client,
                    """
                    INSERT INTO \(table) VALUES ('downstream', 'ghost', 'open', false,
                        (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint, 20, 20, 0,
                        (extract(epoch FROM clock_timestamp()) * 1000000000)::bigint)
                    """)
            }
            #expect(await eventually { instances[0].sync.lastDecision(for: "downstream")?.liveInstances == 3 })
            #expect(await eventually { instances[0].sync.lastDecision(for: "downstream")?.liveInstances == 2 })
            #expect(planted.duration(to: clock.now) >= .milliseconds(950))
            let gone = try await eventually {
                try await PostgresTestServer.withClient { client in
                    try await PostgresTestServer.execute(client, "SELECT 1 FROM \(table) WHERE instance = 'ghost'").isEmpty
                }
            }
            #expect(gone, "the ghost's row is deleted")
            try await Self.finish(instances, schema: schema)
        }

        @Test("absurd rows are ignored with a named event; the sync goes on")
        func absurdRows() async throws {
            let schema = PostgresTestServer.uniqueSchema("absurd")
            let instances = try Self.makeFleet(1, schema: schema, fleet: Self.fleet(), breaker: Self.breaker())
            await Self.start(instances)
            let now = "(extract(epoch FROM clock_timestamp()) * 1000000000)::bigint"
            try await PostgresTestServer.withClient { client in
                _ = try await PostgresTestServer.execute(
                    client,
                    """
                    INSERT INTO "\(schema)"."fleet_breakers" VALUES
                        ('downstream', 'negative', 'closed', false, \(now), -5, 0, 0, \(now)),
                        ('downstream', 'more-failures', 'closed', false, \(now), 5, 9, 0, \(now)),
                        ('downstream', 'strange', 'ajar', false, \(now), 5, 1, 0, \(now)),
                        ('downstream', 'huge', 'closed', false, \(now), 9223372036854775807, 0, 0, \(now)),
                        ('downstream', 'future', 'open', false, \(now), 5, 5, 0, 9223372036854775807)
                    """)
                _ = try await PostgresTestServer.execute(
                    client,
                    """
                    INSERT INTO "\(schema)"."fleet_probe_leases" (breaker, round, holders) VALUES
                        ('downstream', 3, '[{"instance": "x", "grantedAt": "soon", "expiresAt": 1e300}, 7]')
                    ON CONFLICT (breaker) DO UPDATE SET round = 3, holders = excluded.holders
                    """)
            }
            let codes: Set<PostgresFleetRowError.Code> = [
                .countOutOfRange, .failuresAboveCalls, .unknownState, .heartbeatInFuture, .invalidLease,
            ]
            let seen = await eventually { codes.isSubset(of: Set(instances[0].counter.rejectedRows.map(\.code))) }
            #expect(seen, "\(instances[0].counter.rejectedRows)")
            let rounds = instances[0].successfulRounds
            #expect(await eventually { instances[0].successfulRounds >= rounds + 3 })
            #expect(instances[0].sync.lastDecision(for: "downstream")?.liveInstances == 1)
            #expect(instances[0].breaker.state == .closed)
            try await Self.finish(instances, schema: schema)
        }
    }
}
