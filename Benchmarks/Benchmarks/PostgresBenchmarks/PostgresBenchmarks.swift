import Benchmark
import Foundation
import Logging
import PostgresNIO
import Resilience
import ResiliencePostgres

/// One sync round of `ResiliencePostgres` for 100 shared breakers and a budget, against the server
/// the libpq variables name (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`; `.ci/postgres-cluster
/// start DIR` writes them). Without them, it registers nothing and says so. Not built by CI (it
/// builds postgres-nio in release): `swift package benchmark --target PostgresBenchmarks`.
let benchmarks: @Sendable () -> Void = {
    let environment = ProcessInfo.processInfo.environment
    guard let host = environment["PGHOST"] else {
        FileHandle.standardError.write(Data("PostgresBenchmarks: skipped, PGHOST is not set\n".utf8))
        return
    }
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(5), maxIterations: 1_000)

    var configuration = PostgresClient.Configuration(
        host: host, port: environment["PGPORT"].flatMap(Int.init) ?? 5432, username: environment["PGUSER"] ?? "postgres",
        password: environment["PGPASSWORD"], database: environment["PGDATABASE"], tls: .disable)
    configuration.options.maximumConnections = 2
    let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "benchmarks"))
    let fleet = FleetConfiguration.default
    // One schema of its own, reused by later runs (the benchmark process ends with the client running).
    let schema = "resilience_benchmarks"
    let sync: PostgresFleetSync<ContinuousClock>
    var breakers: [CircuitBreaker<ContinuousClock>] = []
    do {
        sync = try PostgresFleetSync(
            client: client, instance: "bench", fleet: fleet, configuration: try PostgresFleetStoreConfiguration(schema: schema))
        for index in 0..<100 {
            let coordination = FleetCoordination(instance: "bench", configuration: fleet)
            breakers.append(CircuitBreaker(name: "breaker-\(index)", fleet: coordination))
            try sync.register(coordination)
        }
        sync.register(try RetryBudget.ratio(0.1, name: "budget"))
    } catch {
        // Literal configurations; an error here is a bug in the benchmark itself.
        preconditionFailure("\(error)")
    }
    Task { await client.run() }

    Benchmark("PostgresFleetSync: one round, 100 breakers and a budget") { benchmark in
        _ = await sync.sync()  // the first round creates the schema
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // A failed round would measure nothing: stop the run instead.
            guard await sync.sync() else { preconditionFailure("a sync round failed: \(sync.statistics)") }
        }
        benchmark.stopMeasurement()
        blackHole(breakers.count)
    }
}
