// swift-tools-version: 6.2
import PackageDescription

// The `resilience` command-line tool, the demo (later) and the integration tests: a package of its
// own, so that its dependencies are never resolved by a user of the library products, which live in
// the root package (`..`).
//
// It enables the root's integration traits, so the integration products (`ResilienceMetrics`,
// `ResilienceTracing`, ...) and their dependencies are built, once, here, where their tests run with
// the test kits and backends they need (MetricsTestKit, InMemoryTracing, swift-prometheus).
let package = Package(
    name: "swift-resilience-tools",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .executable(name: "resilience", targets: ["resilience"])
    ],
    dependencies: [
        // The integration products' traits: their tests live here, so the root's `swift test` stays core-only.
        .package(name: "swift-resilience", path: "..", traits: ["HTTP", "AsyncHTTPClient", "Metrics", "Tracing", "Postgres"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The AsyncHTTPClient integration's tests, and the fault server they (and the demo) run on loopback.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // The Postgres integration's tests, and `resilience run --breaker postgres://...`.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // TLS for `--breaker postgres://...?sslmode=...` (postgres-nio's own TLS dependency).
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        .target(
            name: "ResilienceCommands",
            dependencies: [
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `resilience demo`: its fault services, the receipts' HTTP calls, and the metrics it serves. A
        // target of its own, so that the commands' parsers (and the fuzz targets built on them) do not
        // build AsyncHTTPClient, Hummingbird and swift-prometheus.
        .target(
            name: "ResilienceDemo",
            dependencies: [
                "ResilienceCommands",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                "FaultServer",
                .product(name: "ResilienceAsyncHTTPClient", package: "swift-resilience"),
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "ResilienceMetrics", package: "swift-resilience"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `resilience run --breaker postgres://...`: the breaker's state in a PostgreSQL row. A target of
        // its own, so that the commands' parsers (and the fuzz targets built on them) do not build
        // postgres-nio.
        .target(
            name: "ResilienceBreakerPostgres",
            dependencies: [
                "ResilienceCommands",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "resilience",
            dependencies: [
                "ResilienceCommands",
                "ResilienceDemo",
                "ResilienceBreakerPostgres",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // `resilience simulate` alone: what CI builds in release to time the full sweep, without the
        // demo's and the PostgreSQL breaker's dependencies (a release build of those took 6 minutes).
        .executableTarget(
            name: "resilience-simulate",
            dependencies: [
                "ResilienceCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // A scripted HTTP server on loopback: faults per request, and what each request carried. For the
        // integration tests and the demo's fault services.
        .target(
            name: "FaultServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // What several test targets share: prometheus_client's text parser, run by python3.
        .target(name: "ToolsTestSupport"),
        .testTarget(
            name: "ResilienceCommandsTests",
            dependencies: [
                "ResilienceCommands",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                // Built before the tests, which start the real `resilience` binary as a child process.
                "resilience",
                "resilience-simulate",
                // The demo's pipeline, tested against the fault services on loopback.
                "ResilienceDemo",
                "FaultServer",
                // `--breaker postgres://...`: its URL parsing, and its rows read and planted by the tests.
                "ResilienceBreakerPostgres",
                "ToolsTestSupport",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            // State files of format version 1, written by `resilience` before format version 2; read
            // through #filePath.
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "ResilienceHTTPTests",
            dependencies: [
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "ResilienceMetricsTests",
            dependencies: [
                "ToolsTestSupport",
                .product(name: "ResilienceMetrics", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "MetricsTestKit", package: "swift-metrics"),
                // Exposition through swift-prometheus: documented and tested here, a dependency of no product.
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "ResilienceTracingTests",
            dependencies: [
                .product(name: "ResilienceTracing", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "InMemoryTracing", package: "swift-distributed-tracing"),
            ]
        ),
        .testTarget(
            name: "ResilienceAsyncHTTPClientTests",
            dependencies: [
                "FaultServer",
                .product(name: "ResilienceAsyncHTTPClient", package: "swift-resilience"),
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Against a real PostgreSQL server found through PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE.
        .testTarget(
            name: "ResiliencePostgresTests",
            dependencies: [
                .product(name: "ResiliencePostgres", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
