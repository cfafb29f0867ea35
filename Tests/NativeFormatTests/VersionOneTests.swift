import Foundation
import KerasVis
import TestSupport
import Testing

/// Native files written by the format-version-1 writer (before layer kinds became Codable), committed under
/// `Tests/Fixtures/native`: (native file, the Keras file it was converted from, fixture name).
private let versionOneFiles: [(native: String, source: String, name: String)] = [
  ("layer_zoo_k2.v1.safetensors", "layer_zoo_k2.h5", "layer_zoo_k2"),
  ("layer_zoo_k3.v1.safetensors", "layer_zoo_k3.keras", "layer_zoo_k3"),
  ("nested_k3.v1.safetensors", "nested_k3.keras", "nested_k3"),
]

@Suite("Native files of format version 1 still load")
struct VersionOneTests {
  @Test("a version-1 file loads with the Keras file's layers, weights and predictions", arguments: versionOneFiles)
  func loads(file: (native: String, source: String, name: String)) throws {
    let path = fixturePath(file.native, in: .native)
    let header = try NativeModelFile.header(path: path)
    let graphText = try #require(header.metadata["kerasvis.graph"])
    #expect(graphText.contains("\"format_version\":1"), "\(file.native) is not a version-1 file")
    let loaded = try ModelLoader.load(path: path)
    let original = try KerasModelFile.load(path: fixturePath(file.source))
    #expect(loaded.layers.map(\.name) == original.layers.map(\.name))
    #expect(loaded.layers.map(\.className) == original.layers.map(\.className))
    #expect(loaded.layers.map(\.activation) == original.layers.map(\.activation))
    #expect(loaded.parameterCount == original.parameterCount)
    for (a, b) in zip(allWeights(loaded), allWeights(original)) {
      #expect(a.path == b.path && bitwiseEqual(a.weight.values, b.weight.values), "\(file.native): \(a.path)")
    }
    // Same weights and the same computation: the predictions are equal bit for bit, and equal Keras's.
    let inputs = try fixtureInputs(file.name)
    let fromNative = try CompiledModel(graph: loaded).predict(inputs)
    let fromKeras = try CompiledModel(graph: original).predict(inputs)
    for (a, b) in zip(fromNative, fromKeras) { #expect(a.scalars == b.scalars, "\(file.native)") }
  }
}
