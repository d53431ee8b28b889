// swift-tools-version: 6.2
import PackageDescription

// The library products only: a service that depends on `Resilience` resolves swift-log and nothing
// else. The `resilience` command-line tool and the integration tests, with their own dependencies, are
// the package in `Tools/`.
//
// Integrations with other packages are products gated by traits, which are off by default: a service
// that wants `ResilienceMetrics` adds `traits: ["Metrics"]` to its `.package(...)` line, and only then
// resolves swift-metrics. SwiftPM prunes a dependency whose only uses are behind disabled traits, so
// without the trait the product's module builds empty and its package is never fetched
// (`.ci/check-dependencies` checks both). Trait names are compilation conditions, so each of such a
// product's files is wrapped in `#if TRAIT`.
let package = Package(
    name: "swift-resilience",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "Resilience", targets: ["Resilience"]),
        .library(name: "ResilienceTestKit", targets: ["ResilienceTestKit"]),
        .library(name: "ResilienceHTTP", targets: ["ResilienceHTTP"]),
        .library(name: "ResilienceMetrics", targets: ["ResilienceMetrics"]),
        .library(name: "ResilienceTracing", targets: ["ResilienceTracing"]),
        .library(name: "ResilienceAsyncHTTPClient", targets: ["ResilienceAsyncHTTPClient"]),
        .library(name: "ResiliencePostgres", targets: ["ResiliencePostgres"]),
    ],
    traits: [
        .trait(
            name: "HTTP",
            description: "The ResilienceHTTP product: HTTP response classification, delay hints, idempotency, the standard HTTP pipeline."
        ),
        .trait(name: "Metrics", description: "ResilienceMetrics: events recorded through swift-metrics."),
        .trait(name: "Tracing", description: "ResilienceTracing: events and attempts in swift-distributed-tracing spans."),
        .trait(
            name: "AsyncHTTPClient",
            description: "The ResilienceAsyncHTTPClient product: AsyncHTTPClient requests through a resilience pipeline (enables HTTP).",
            enabledTraits: ["HTTP"]
        ),
        .trait(
            name: "Postgres",
            description:
                "The ResiliencePostgres product: circuit breakers and retry budgets shared by a fleet through PostgreSQL (postgres-nio)."
        ),
        .default(enabledTraits: []),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // The HTTP trait's; its default FoundationURL trait is off, so ResilienceHTTP does not pull in Foundation.
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        // The AsyncHTTPClient trait's.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // The Postgres trait's.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .target(
            name: "Resilience",
            dependencies: [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "ResilienceTestKit",
            dependencies: ["Resilience"]
        ),
        .target(
            name: "ResilienceMetrics",
            dependencies: [
                "Resilience",
                .product(name: "CoreMetrics", package: "swift-metrics", condition: .when(traits: ["Metrics"])),
            ]
        ),
        .target(
            name: "ResilienceTracing",
            dependencies: [
                "Resilience",
                .product(name: "Tracing", package: "swift-distributed-tracing", condition: .when(traits: ["Tracing"])),
            ]
        ),
        .target(
            name: "ResilienceHTTP",
            dependencies: [
                "Resilience",
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["HTTP"])),
            ]
        ),
        // Its tests are in the Tools package too, against a real server on loopback.
        .target(
            name: "ResilienceAsyncHTTPClient",
            dependencies: [
                "Resilience",
                "ResilienceHTTP",
                .product(name: "HTTPTypes", package: "swift-http-types", condition: .when(traits: ["AsyncHTTPClient"])),
                .product(name: "AsyncHTTPClient", package: "async-http-client", condition: .when(traits: ["AsyncHTTPClient"])),
                .product(name: "NIOCore", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClient"])),
                .product(name: "NIOHTTP1", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClient"])),
                .product(name: "NIOPosix", package: "swift-nio", condition: .when(traits: ["AsyncHTTPClient"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["AsyncHTTPClient"])),
            ]
        ),
        // Its tests are in the Tools package too, against a real PostgreSQL server.
        .target(
            name: "ResiliencePostgres",
            dependencies: [
                "Resilience",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
                .product(name: "Logging", package: "swift-log", condition: .when(traits: ["Postgres"])),
            ]
        ),
        // The root's own tests cover the core only; the integration products are tested in Tools/,
        // which enables their traits (so their dependencies are built once, there).
        .testTarget(
            name: "ResilienceTests",
            dependencies: [
                "Resilience",
                "ResilienceTestKit",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ResilienceTestKitTests",
            dependencies: ["ResilienceTestKit"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
