// swift-tools-version: 6.1
// A package that uses EntertainmentRecs the way an app does: by git URL and version.
// scripts/check-consumer points ENTERTAINMENTRECS_URL at a local clone tagged 0.1.0.
import PackageDescription

let url = Context.environment["ENTERTAINMENTRECS_URL"]
    ?? "https://github.com/entertainmentrecs/EntertainmentRecs.git"

let package = Package(
    name: "Consumer",
    dependencies: [.package(url: url, from: "0.1.0")],
    targets: [
        .executableTarget(
            name: "consumer",
            dependencies: [.product(name: "DeepCore", package: "EntertainmentRecs")],
            path: "Sources/Consumer"
        ),
    ],
    swiftLanguageModes: [.v6]
)
