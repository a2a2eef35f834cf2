// swift-tools-version: 6.0
// DSOD in Swift: a Caffe-compatible network compiler and CPU runtime for DSOD and SSD-style
// detectors. The module graph follows DESIGN.md: nothing imports upward.
import PackageDescription

let package = Package(
    name: "DSOD",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "dsod", targets: ["dsod"]),
        .executable(name: "dsodgen", targets: ["dsodgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    ],
    targets: [
        // C system libraries from Debian, installed by `make setup`.
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CLMDB", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CJPEG", providers: [.apt(["libjpeg62-turbo-dev"])]),

        // File formats: caffe.proto, prototxt and binary I/O, upgrades, diagnostics.
        .target(
            name: "CaffeProto",
            dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Schema"]),
        // AVX-512 GEMM micro-kernels (C intrinsics, chosen at run time) under Kernels.
        .target(name: "CKernels"),
        // Raw-pointer math; the only place with tight loops.
        .target(name: "Kernels", dependencies: ["COpenBLAS", "CKernels"]),
        // Blob, Layer protocol, registry, Net, fillers, weights.
        .target(name: "Runtime", dependencies: ["Kernels", "CaffeProto"]),
        // Detection geometry as plain values.
        .target(name: "Detection", dependencies: []),
        // LMDB, Datum/AnnotatedDatum, JPEG, transforms, samplers.
        .target(name: "DataPipeline", dependencies: ["CaffeProto", "Detection", "Kernels", "CLMDB", "CJPEG"]),
        // Every layer type, registered by its Caffe name.
        .target(name: "Layers", dependencies: ["Runtime", "Kernels", "CaffeProto", "Detection", "DataPipeline"]),
        // Solvers, lr policies, snapshots, train loop, test + mAP.
        .target(name: "Solver", dependencies: ["Layers", "Runtime", "CaffeProto", "Detection"]),
        // NetSpec-like builder and the DSOD recipes.
        .target(name: "ModelZoo", dependencies: ["CaffeProto"]),
        // Every subcommand as a function of its options.
        .target(name: "DSODCommands", dependencies: [
            "CaffeProto", "Runtime", "Layers", "Solver", "ModelZoo", "DataPipeline", "Detection",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "dsod", dependencies: ["DSODCommands"]),
        .executableTarget(name: "dsodgen", dependencies: ["DSODCommands"]),
        // Fuzzing of every reader: a seeded mutation engine, or libFuzzer in `make fuzz`.
        .executableTarget(name: "dsod-fuzz", dependencies: ["CaffeProto", "Runtime", "Layers", "Solver", "DataPipeline", "Detection", "DSODCommands", .product(name: "ArgumentParser", package: "swift-argument-parser")], path: "Fuzz"),
        .executableTarget(name: "dsod-bench", dependencies: ["Runtime", "Layers", "Solver", "Kernels", "CaffeProto", "COpenBLAS"], path: "Benchmarks/DSODBench"),

        .target(name: "TestSupport", dependencies: ["CaffeProto", "Runtime"], path: "Tests/TestSupport"),
        .testTarget(name: "CaffeProtoTests", dependencies: ["CaffeProto", "TestSupport"]),
        .testTarget(name: "KernelsTests", dependencies: ["Kernels", "TestSupport"]),
        .testTarget(name: "RuntimeTests", dependencies: ["Runtime", "Layers", "CaffeProto", "TestSupport"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "Runtime", "CaffeProto", "TestSupport"]),
        .testTarget(name: "DetectionTests", dependencies: ["Detection", "Runtime", "TestSupport"]),
        .testTarget(name: "DataPipelineTests", dependencies: ["DataPipeline", "CaffeProto", "Runtime", "TestSupport"]),
        .testTarget(name: "SolverTests", dependencies: ["Solver", "Layers", "Runtime", "Kernels", "CaffeProto", "TestSupport"]),
        .testTarget(name: "ModelZooTests", dependencies: ["ModelZoo", "CaffeProto", "TestSupport"]),
        .testTarget(name: "CommandTests", dependencies: ["DSODCommands", "CaffeProto", "DataPipeline", "Layers", "Runtime", "Kernels", "TestSupport"]),
    ]
)
