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
        .package(name: "swift-resilience", path: "..", traits: ["HTTP", "Metrics", "Tracing"]),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing", from: "1.7.3"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        .target(
            name: "ResilienceCommands",
            dependencies: [
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "resilience",
            dependencies: [
                "ResilienceCommands",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "ResilienceCommandsTests",
            dependencies: [
                "ResilienceCommands",
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceTestKit", package: "swift-resilience"),
                // Built before the tests, which start the real `resilience` binary as a child process.
                "resilience",
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
    ],
    swiftLanguageModes: [.v6]
)
