// swift-tools-version: 6.2
import PackageDescription

// A libFuzzer target for ResilienceHTTP's parsers: delay hints (Retry-After in both forms,
// retry-after-ms, x-ms-retry-after-ms) and status classification. A package of its own, built with
// `-sanitize=fuzzer` (see README.md and run.sh); never resolved by a library user.
let package = Package(
    name: "swift-resilience-fuzz-http-hints",
    platforms: [.macOS(.v26)],
    dependencies: [
        .package(name: "swift-resilience", path: "../..", traits: ["HTTP"]),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0", traits: []),
    ],
    targets: [
        // libFuzzer's driver, declared for Swift.
        .target(name: "CLibFuzzer"),
        .executableTarget(
            name: "HTTPHintsFuzzer",
            dependencies: [
                "CLibFuzzer",
                .product(name: "ResilienceHTTP", package: "swift-resilience"),
                .product(name: "Resilience", package: "swift-resilience"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
