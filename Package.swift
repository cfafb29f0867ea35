// swift-tools-version:6.0
import PackageDescription

// Module order (a module imports only modules to its left):
//   HDF5 -> KerasModel -> Tensor -> KerasVis -> ImageIO;  NativeFormat sits beside KerasModel's readers.
let package = Package(
  name: "kerasvis",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "HDF5", targets: ["HDF5"]),
    .library(name: "KerasModel", targets: ["KerasModel"]),
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "KerasVis", targets: ["KerasVis"]),
    .library(name: "ImageIO", targets: ["ImageIO"]),
    .library(name: "NativeFormat", targets: ["NativeFormat"]),
    .executable(name: "kerasvis", targets: ["kerasvis"]),
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
    .target(name: "HDF5", dependencies: ["CHDF5"]),
    .target(
      name: "KerasModel",
      dependencies: ["HDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .target(name: "NativeFormat", dependencies: ["KerasModel"]),
    .target(name: "Tensor", dependencies: ["CDNNL", "CDNNLShim", "KerasModel"]),
    .target(name: "KerasVis", dependencies: ["Tensor", "KerasModel"]),
    .target(name: "ImageIO", dependencies: ["CPNG", "CJPEG", "Tensor", "KerasModel"]),
    // Fuzz targets: a replay driver in normal builds, libFuzzer-driven with -sanitize=fuzzer -D FUZZING (tools/fuzz).
    .executableTarget(
      name: "kerasvis-fuzz", dependencies: ["KerasModel", "ImageIO", "NativeFormat"], path: "Sources/kerasvis-fuzz"),
    .executableTarget(
      name: "kerasvis",
      dependencies: [
        "KerasModel", "NativeFormat", "Tensor", "KerasVis", "ImageIO",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], path: "Tests/HDF5Tests"),
    .testTarget(
      name: "KerasModelTests", dependencies: ["KerasModel", "HDF5"], path: "Tests/KerasModelTests"),
    .testTarget(
      name: "NativeFormatTests", dependencies: ["NativeFormat", "KerasModel", "Tensor", "kerasvis"],
      path: "Tests/NativeFormatTests"),
    .testTarget(name: "TensorTests", dependencies: ["Tensor", "KerasModel"], path: "Tests/TensorTests"),
    .testTarget(
      name: "KerasVisTests", dependencies: ["KerasVis", "Tensor", "KerasModel", "ImageIO"],
      path: "Tests/KerasVisTests"),
    .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"], path: "Tests/ImageIOTests"),
    .testTarget(
      name: "kerasvisTests", dependencies: ["kerasvis", "KerasModel", "Tensor"], path: "Tests/kerasvisTests"),
  ]
)
