// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "slipway",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "slipway", targets: ["slipway"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/vapor/sql-kit", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit", from: "2.17.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    ],
    targets: [
        .target(name: "SlipwayCore", swiftSettings: swiftSettings),
        .target(name: "SlipwayModels", dependencies: ["SlipwayCore"], swiftSettings: swiftSettings),
        .target(
            name: "SlipwayStore",
            dependencies: [
                "SlipwayCore",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SlipwayServing",
            dependencies: [
                "SlipwayCore",
                "SlipwayModels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SlipwayJobs",
            dependencies: [
                "SlipwayCore",
                "SlipwayModels",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "SlipwayHTTP",
            dependencies: [
                "SlipwayCore",
                "SlipwayServing",
                "SlipwayJobs",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // The composition root: configuration, the services built once, the service group, the request context.
        .target(
            name: "SlipwayApp",
            dependencies: [
                "SlipwayCore",
                "SlipwayStore",
                "SlipwayModels",
                "SlipwayServing",
                "SlipwayJobs",
                "SlipwayHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "slipway",
            dependencies: [
                "SlipwayApp",
                "SlipwayHTTP",
                "SlipwayModels",
                "SlipwayServing",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        // bench/runtime: times SlipwayModels in-process against xgboost and lightgbm (bench/runtime/run.sh).
        .executableTarget(
            name: "slipway-runtime-bench", dependencies: ["SlipwayModels", "SlipwayCore"], path: "bench/runtime/swift",
            swiftSettings: swiftSettings
        ),
        // bench/serving: the hello-world ceiling the serving benchmark runs beside Slipway and FastAPI.
        .executableTarget(
            name: "slipway-serving-ceiling",
            dependencies: ["SlipwayCore", .product(name: "Hummingbird", package: "hummingbird")],
            path: "bench/serving/ceiling",
            swiftSettings: swiftSettings
        ),
        // Helpers every test target shares: the store backends, test clocks, expectations.
        .target(
            name: "SlipwayTestSupport",
            dependencies: ["SlipwayCore", "SlipwayStore", .product(name: "Logging", package: "swift-log"), .product(name: "SQLKit", package: "sql-kit")],
            path: "Tests/SlipwayTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "SlipwayCoreTests", dependencies: ["SlipwayCore", "SlipwayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(name: "SlipwayModelsTests", dependencies: ["SlipwayModels", "SlipwayTestSupport"], swiftSettings: swiftSettings),
        .testTarget(
            name: "SlipwayStoreTests",
            dependencies: ["SlipwayCore", "SlipwayStore", "SlipwayTestSupport"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SlipwayServingTests",
            dependencies: ["SlipwayCore", "SlipwayModels", "SlipwayServing", "SlipwayTestSupport",
                .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SlipwayJobsTests",
            dependencies: [
                "SlipwayCore", "SlipwayStore", "SlipwayJobs", "SlipwayTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // In-process tests of the whole server (the app's router on an in-memory store).
        .testTarget(
            name: "SlipwayAppTests",
            dependencies: [
                "SlipwayApp",
                "SlipwayCore",
                "SlipwayHTTP",
                "SlipwayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
