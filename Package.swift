// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "swift-resilience",
    platforms: [.macOS(.v15), .iOS(.v18), .tvOS(.v18), .watchOS(.v11), .visionOS(.v2)],
    products: [
        .library(name: "Resilience", targets: ["Resilience"]),
        .library(name: "ResilienceTestKit", targets: ["ResilienceTestKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0")
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
