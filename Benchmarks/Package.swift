// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "swift-resilience-benchmarks",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(name: "swift-resilience", path: "..", traits: ["HTTP", "AsyncHTTPClient"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
        // HTTPClientBenchmarks': the client, and the loopback server it calls.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "ResilienceBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ],
            path: "Benchmarks/ResilienceBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
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
    ],
    swiftLanguageModes: [.v6]
)
