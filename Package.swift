// swift-tools-version: 6.2
import PackageDescription

// The library products only: a service that depends on `Resilience` resolves swift-log and nothing
// else. The `resilience` command-line tool, with its own dependencies, is the package in `Tools/`.
let package = Package(
    name: "swift-resilience",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "Resilience", targets: ["Resilience"]),
        .library(name: "ResilienceTestKit", targets: ["ResilienceTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2")
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
