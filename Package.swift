// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "kerasvis",
  platforms: [.macOS(.v13)],
  products: [
    .library(name: "HDF5", targets: ["HDF5"]),
    .library(name: "Tensor", targets: ["Tensor"]),
    .library(name: "KerasModel", targets: ["KerasModel"]),
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
    .target(name: "HDF5", dependencies: ["CHDF5"]),
    .systemLibrary(name: "CDNNL", path: "Sources/CDNNL", providers: [.apt(["libdnnl-dev"])]),
    .target(name: "Tensor", dependencies: ["CDNNL"]),
    .target(
      name: "KerasModel",
      dependencies: ["HDF5", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    .executableTarget(
      name: "kerasvis",
      dependencies: [
        "KerasModel",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .testTarget(name: "TensorTests", dependencies: ["Tensor"], path: "Tests/TensorTests"),
    .testTarget(name: "HDF5Tests", dependencies: ["HDF5"], path: "Tests/HDF5Tests"),
    .testTarget(
      name: "KerasModelTests", dependencies: ["KerasModel", "HDF5"], path: "Tests/KerasModelTests"),
    .testTarget(name: "kerasvisTests", dependencies: ["kerasvis", "KerasModel"], path: "Tests/kerasvisTests"),
  ]
)
