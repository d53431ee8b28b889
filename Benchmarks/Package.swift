// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "swift-resilience-benchmarks",
    platforms: [.macOS(.v26)],
    dependencies: [
        // The integration traits, for the observers' benchmarks (ResilienceMetrics, ResilienceTracing).
        .package(name: "swift-resilience", path: "..", traits: ["Metrics", "Tracing"]),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ResilienceBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceMetrics", package: "swift-resilience"),
                .product(name: "ResilienceTracing", package: "swift-resilience"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            path: "Benchmarks/ResilienceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ],
    swiftLanguageModes: [.v6]
)
