// swift-tools-version: 6.1
// libFuzzer harnesses for EntertainmentRecs' data readers and file loaders. A separate
// package so the root manifest stays free of fuzz-only targets; run them with
// `Fuzz/run-all.sh SECONDS` (it builds with --sanitize=fuzzer --sanitize=address).
import PackageDescription

let harnesses = [
    "FuzzMovieLens", "FuzzLastFM", "FuzzSteam", "FuzzBenchmarkFolder", "FuzzWeights", "FuzzRecommenderFile",
]

let package = Package(
    name: "EntertainmentRecsFuzz",
    platforms: [.macOS(.v13)],
    products: harnesses.map { .executable(name: $0, targets: [$0]) },
    dependencies: [
        .package(name: "EntertainmentRecs", path: ".."),
    ],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "DeepCore", package: "EntertainmentRecs")]
        ),
        // Writes Corpus/ (a plain build: `swift run --scratch-path .build-seeds MakeSeeds`).
        .executableTarget(
            name: "MakeSeeds",
            dependencies: [
                .product(name: "DeepCore", package: "EntertainmentRecs"),
                .product(name: "EntertainmentRecs", package: "EntertainmentRecs"),
            ]
        ),
    ] + harnesses.map { name in
        .executableTarget(
            name: name,
            dependencies: [
                "FuzzSupport",
                .product(name: "DeepCore", package: "EntertainmentRecs"),
                .product(name: "EntertainmentRecs", package: "EntertainmentRecs"),
            ]
        )
    },
    swiftLanguageModes: [.v6]
)
