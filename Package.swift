// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "swift-resilience",
    platforms: [.macOS(.v26), .iOS(.v26), .tvOS(.v26), .watchOS(.v26), .visionOS(.v26)],
    products: [
        .library(name: "Resilience", targets: ["Resilience"]),
        .library(name: "ResilienceTestKit", targets: ["ResilienceTestKit"]),
        .executable(name: "resilience", targets: ["resilience"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
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
            name: "ResilienceCommands",
            dependencies: [
                "Resilience",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "resilience",
            dependencies: [
                "ResilienceCommands",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
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
        .testTarget(
            name: "ResilienceCommandsTests",
            dependencies: [
                "ResilienceCommands",
                "ResilienceTestKit",
                // Built before the tests, which start the real `resilience` binary as a child process.
                "resilience",
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
