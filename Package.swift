// swift-tools-version: 6.1
// EntertainmentRecs: recommendation models for music, films and games in Swift, on
// hand-written C/SIMD kernels. No unsafe compiler flags: SIMD is enabled per function in C
// and chosen at run time, so the package builds as a versioned dependency.
import PackageDescription

let package = Package(
    name: "EntertainmentRecs",
    platforms: [.macOS(.v13)],
    products: [
        .library(name: "DeepCore", targets: ["DeepCore"]),
        .library(name: "EntertainmentRecs", targets: ["EntertainmentRecs"]),
        .executable(name: "recs", targets: ["Recs"]),
        .executable(name: "seed-example", targets: ["SeedExample"]),
        .executable(name: "recs-bench", targets: ["RecsBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Test targets only: property-based tests (random shapes, reader round trips).
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "CKernels",
            linkerSettings: [
                .linkedLibrary("openblas", .when(platforms: [.linux])),
                .linkedLibrary("lapacke", .when(platforms: [.linux])),
                .linkedLibrary("m", .when(platforms: [.linux])),
                .linkedFramework("Accelerate", .when(platforms: [.macOS])),
            ]
        ),
        .target(name: "DeepCore", dependencies: ["CKernels"]),
        .target(name: "EntertainmentRecs", dependencies: ["DeepCore", "CKernels"]),
        .executableTarget(
            name: "Recs",
            dependencies: [
                "EntertainmentRecs",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(
            name: "SeedExample",
            dependencies: [
                "DeepCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/SeedExample"
        ),
        .executableTarget(
            name: "RecsBench",
            dependencies: [
                "DeepCore",
                "EntertainmentRecs",
                "CKernels",
                "BenchSupport",
                "AllocationCounter",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/RecsBench"
        ),
        .target(name: "BenchSupport", path: "Benchmarks/BenchSupport"),
        .testTarget(
            name: "CKernelsTests",
            dependencies: ["CKernels", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .target(name: "AllocationCounter", path: "Tests/AllocationCounter"),
        .testTarget(name: "DeepCoreTests", dependencies: ["DeepCore", "AllocationCounter"]),
        .testTarget(
            name: "EntertainmentRecsTests",
            dependencies: ["EntertainmentRecs", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
