// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "swift-resilience-benchmarks",
    platforms: [.macOS(.v26)],
    dependencies: [
        // The integration traits, for the HTTP, AsyncHTTPClient and the observers' benchmarks.
        .package(name: "swift-resilience", path: "..", traits: ["HTTP", "AsyncHTTPClient", "Metrics", "Tracing", "Postgres"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        // HTTPClientBenchmarks': the client, and the loopback server it calls.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // PostgresBenchmarks': the client of the local server.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .executableTarget(
            name: "ResilienceBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "ResilienceMetrics", package: "swift-resilience"),
                .product(name: "ResilienceTracing", package: "swift-resilience"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Benchmarks/ResilienceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Instruction counts per call under callgrind (`callgrind.sh`): a synchronous `main`, as
        // valgrind needs, and no benchmark framework. Outside `Benchmarks/`, so the benchmark plugin
        // does not take it for a benchmark.
        .executableTarget(
            name: "InstructionCounts",
            dependencies: [
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceMetrics", package: "swift-resilience"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/InstructionCounts"
        ),
        // A request through ResilienceAsyncHTTPClient beside the same request made with AsyncHTTPClient
        // directly, against a Hummingbird server in the same process on loopback. Not built by CI (it
        // builds AsyncHTTPClient and Hummingbird in release): `swift package benchmark --target HTTPClientBenchmarks`.
        .executableTarget(
            name: "HTTPClientBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "ResilienceAsyncHTTPClient", package: "swift-resilience"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            path: "Benchmarks/HTTPClientBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // One sync round of ResiliencePostgres for 100 breakers against the server the PG* variables
        // name (skipped without them). Not built by CI (it builds postgres-nio in release):
        // `swift package benchmark --target PostgresBenchmarks`.
        .executableTarget(
            name: "PostgresBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResiliencePostgres", package: "swift-resilience"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Benchmarks/PostgresBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
