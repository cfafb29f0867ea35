// swift-tools-version:6.0
import PackageDescription

// Modules, in the direction data flows (a module imports only modules above it in this list):
//   KerasGraph                 the graph model: Graph, Layer, layer kinds, shapes, weights, JSON (no dependency)
//   HDF5                       libhdf5 wrapper
//   KerasReaders               Keras .h5, .keras, weights + topology -> graph (KerasGraph, HDF5, ZIPFoundation)
//   NativeFormat               the safetensors native format (KerasGraph only)
//   KerasRuntime               tensors and execution on oneDNN (KerasGraph, CDNNL, CDNNLShim: oneDNN 2.6 or 3.x)
//   KerasExplain               keras-vis API, later methods, targets, metrics (KerasRuntime, KerasGraph)
//   Imaging                    PNG/JPEG, resizing, colormaps, overlays, grids (the C image libraries only)
//   KerasVis                   umbrella: re-exports the public modules; opens any model format; model inputs
//   KerasVisCLI                the `kerasvis` executable
let package = Package(
  name: "kerasvis",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "KerasVis", targets: ["KerasVis"]),
    .library(name: "KerasGraph", targets: ["KerasGraph"]),
    .library(name: "KerasReaders", targets: ["KerasReaders"]),
    .library(name: "NativeFormat", targets: ["NativeFormat"]),
    .library(name: "KerasRuntime", targets: ["KerasRuntime"]),
    .library(name: "KerasExplain", targets: ["KerasExplain"]),
    .library(name: "Imaging", targets: ["Imaging"]),
    .executable(name: "kerasvis", targets: ["KerasVisCLI"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
  ],
  targets: [
    .systemLibrary(
      name: "CHDF5", path: "Sources/CHDF5", pkgConfig: "hdf5",
      providers: [.apt(["libhdf5-dev"])]),
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
    // oneDNN 2.6 or 3.x behind one API (the version split, chosen at compile time).
    .target(name: "CDNNLShim", dependencies: ["CDNNL"], path: "Sources/CDNNLShim"),
    .systemLibrary(
      name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
    .target(name: "KerasGraph"),
    .target(name: "HDF5", dependencies: ["CHDF5"]),
    .target(
      name: "KerasReaders",
      dependencies: ["KerasGraph", "HDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "NativeFormat", dependencies: ["KerasGraph"]),
    .target(name: "KerasRuntime", dependencies: ["CDNNL", "CDNNLShim", "KerasGraph"]),
    .target(name: "KerasExplain", dependencies: ["KerasRuntime", "KerasGraph"]),
    .target(name: "Imaging", dependencies: ["CPNG", "CJPEG"]),
    .target(
      name: "KerasVis",
      dependencies: ["KerasGraph", "KerasReaders", "NativeFormat", "KerasRuntime", "KerasExplain", "Imaging"]),
    // Fuzz targets: a replay driver in normal builds, libFuzzer-driven with -sanitize=fuzzer -D FUZZING (tools/fuzz).
    .executableTarget(name: "kerasvis-fuzz", dependencies: ["KerasVis"], path: "Sources/kerasvis-fuzz"),
    .executableTarget(
      name: "KerasVisCLI",
      dependencies: ["KerasVis", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    // Test support shared by the test targets: fixture paths, allClose, .npy views, the kerasvis runner, scratch
    // folders, seeded inputs (KerasRuntime for NPY, Tensor and SeededGenerator; KerasGraph for graph inputs).
    .target(name: "TestSupport", dependencies: ["KerasRuntime", "KerasGraph"], path: "Tests/TestSupport"),
    .testTarget(name: "KerasGraphTests", dependencies: ["KerasGraph"]),
    .testTarget(name: "HDF5Tests", dependencies: ["HDF5", "TestSupport"]),
    .testTarget(name: "KerasReadersTests", dependencies: ["KerasReaders", "HDF5", "TestSupport"]),
    .testTarget(name: "NativeFormatTests", dependencies: ["KerasVis", "KerasVisCLI", "TestSupport"]),
    .testTarget(name: "KerasRuntimeTests", dependencies: ["KerasRuntime", "KerasReaders", "TestSupport"]),
    .testTarget(name: "KerasExplainTests", dependencies: ["KerasVis", "TestSupport"]),
    .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
    .testTarget(
      name: "KerasVisCLITests",
      dependencies: [
        "KerasVisCLI", "KerasVis", "TestSupport", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "TestSupportTests", dependencies: ["TestSupport", "KerasRuntime"]),
  ]
)
