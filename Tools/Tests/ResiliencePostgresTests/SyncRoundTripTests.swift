import Logging
import PostgresNIO
import Resilience
import ResiliencePostgres
import Testing

extension PostgresServerTests {
    @Suite("One round trip per sync")
    struct SyncRoundTripTests {
        @Test("100 shared breakers and a budget sync in one statement; the rows of all of them come back (round-trip figure printed)")
        func hundredBreakers() async throws {
            let schema = PostgresTestServer.uniqueSchema("hundred")
            // A round may take up to a minute: the test counts what one statement carries, and the first
            // round (the schema's creation) can wait on other tests' migrations of a loaded server.
            let fleet = try FleetConfiguration(syncInterval: .milliseconds(100), timeToLive: .seconds(5), staleAfter: .seconds(2))
            try await PostgresTestServer.withClient { client in
                let syncs = try (0..<2).map { instance in
                    let sync = try PostgresFleetSync(
                        client: client, instance: "h\(instance)", fleet: fleet,
                        configuration: try PostgresFleetStoreConfiguration(schema: schema, syncTimeout: .seconds(60)),
                        logger: PostgresTestServer.logger)
                    let coordinations = try (0..<100).map { index in
                        let coordination = FleetCoordination(instance: "h\(instance)", configuration: fleet)
                        try sync.register(coordination)
                        return (coordination, CircuitBreaker(name: "b\(index)", fleet: coordination))
                    }
                    sync.register(try RetryBudget.ratio(0.1, name: "budget"))
                    return (sync, coordinations)
                }
                for (sync, _) in syncs { #expect(await sync.sync()) }
                var roundTrips: [Duration] = []
                for _ in 0..<30 {
                    #expect(await syncs[1].0.sync())
                    #expect(await syncs[0].0.sync())
                    if let roundTrip = syncs[0].0.statistics.lastRoundTrip { roundTrips.append(roundTrip) }
                }
                // Every breaker sees both instances: one statement carried the 100 breakers of each.
                for index in 0..<100 {
                    #expect(syncs[0].0.lastDecision(for: "b\(index)")?.liveInstances == 2)
                }
                let rows = try await PostgresTestServer.execute(client, "SELECT count(*) FROM \"\(schema)\".\"fleet_breakers\"")
                #expect(try rows.first?.decode(Int.self) == 200)
                roundTrips.sort()
                print(
                    "sync round trip, 100 breakers and a budget, 2 instances: median \(roundTrips[roundTrips.count / 2]), min \(roundTrips[0]), max \(roundTrips[roundTrips.count - 1])"
                )
                _ = syncs.map { $0.1.count }
                await PostgresTestServer.drop(client, schema: schema)
            }
        }
    }
}
