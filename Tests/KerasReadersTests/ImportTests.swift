import Foundation
import HDF5
import KerasGraph
import KerasReaders
import TestSupport
import Testing

/// Each fixture model: (file, topology file or nil, expected-report name).

@Suite("Importing real Keras files")
struct ImportTests {
  @Test("layer lists, output shapes, parameter counts and inbound layers equal Keras's", arguments: kerasFixtures)
  func matchesKeras(fixture: KerasFixture) throws {
    let graph = try KerasModelFile.load(
      path: fixturePath(fixture.file), topologyPath: fixture.topology.map(fixturePath))
    let report = try KerasReport(named: fixture.name)
    expectMatches(graph, report.layers, model: fixture.file)
    if let total = report.totalParams { #expect(graph.parameterCount == total) }
    for (name, records) in report.nested {
      let index = try #require(graph.layerIndex(named: name), "nested model \(name)")
      guard let inner = graph.layers[index].nestedGraph else {
        Issue.record("\(name) is not imported as a nested model")
        continue
      }
      expectMatches(inner, records, model: "\(fixture.file):\(name)")
    }
  }

  @Test("InceptionV3 with Keras 2.2 names: conv2d_94 is 299, mixed10 is 310, predictions is 312")
  func inceptionIndices() throws {
    let graph = try KerasModelFile.load(path: fixturePath("inception_v3_narrow.h5"))
    #expect(graph.layers.count == 313)
    #expect(graph.layerIndex(named: "conv2d_94") == 299)
    #expect(graph.layerIndex(named: "mixed10") == 310)
    #expect(graph.layerIndex(named: "predictions") == 312)
    #expect(graph.layers[299].className == "Conv2D")
    #expect(graph.layers[310].className == "Concatenate")
    #expect(graph.layerIndex(named: "conv2d_95") == nil)
    #expect(try graph.resolveLayer("-1") == [312])
    #expect(throws: LayerLookupError.self) { try graph.resolveLayer("313") }
    #expect(throws: LayerLookupError.self) { try graph.resolveLayer("mixed11") }
  }

  @Test("weights are found through weight_names, also when a layer was renamed")
  func renamedLayer() throws {
    let path = fixturePath("sequential_cnn.h5")
    let graph = try KerasModelFile.load(path: path)
    let index = try #require(graph.layerIndex(named: "renamed_conv"))
    let group = try File(path: path).group("model_weights/renamed_conv")
    let names = try group.chunkedStringArrayAttribute("weight_names")
    #expect(names.allSatisfy { !$0.hasPrefix("renamed_conv") }, "the fixture must keep the old variable names")
    let kernel = try #require(graph.layers[index].weight(named: "kernel"))
    let stored = try group.dataset(names[0])
    #expect(kernel.shape == stored.shape)
    #expect(kernel.values.array == (try stored.readFloats()))
    #expect(graph.layers[index].weight(named: "bias")?.values.array == (try group.dataset(names[1]).readFloats()))
  }

  @Test("the same Keras 3 model from .h5 and .keras has identical weights layer by layer")
  func kerasArchiveMatchesLegacyH5() throws {
    let fromH5 = try KerasModelFile.load(path: fixturePath("layer_zoo_k3.h5"))
    let fromArchive = try KerasModelFile.load(path: fixturePath("layer_zoo_k3.keras"))
    #expect(fromH5.layers.count == fromArchive.layers.count)
    var compared = 0
    for (lhs, rhs) in zip(fromH5.layers, fromArchive.layers) {
      #expect(lhs.weights.map(\.name) == rhs.weights.map(\.name), "weights of \(lhs.name)")
      #expect(lhs.weights == rhs.weights, "weight values of \(lhs.name)")
      compared += lhs.weights.count
    }
    #expect(compared > 20)
  }

  @Test("nested models keep their layers addressable by path, with weights")
  func nestedPaths() throws {
    let graph = try KerasModelFile.load(path: fixturePath("nested_mobilenet.h5"))
    #expect(graph.kind == .sequential)
    #expect(graph.layers.count == 3)
    let nestedName = graph.layers[0].name
    #expect(nestedName.hasPrefix("mobilenetv2_"))
    let project = try #require(graph.layer(atPath: "\(nestedName)/block_16_project"))
    #expect(project.className == "Conv2D")
    #expect(project.weight(named: "kernel") != nil)
    #expect(try graph.resolveLayer("\(nestedName)/block_16_project").count == 2)
    let bn = try #require(graph.layer(atPath: "\(nestedName)/bn_Conv1"))
    #expect(bn.weights.map(\.name) == ["gamma", "beta", "moving_mean", "moving_variance"])
    // Moving variances are positive; a mix-up with gamma/beta (the trainable-first order) would show here.
    #expect(bn.weight(named: "moving_variance")!.values.array.allSatisfy { $0 > 0 })
    let all = graph.allLayerPaths()
    #expect(all.contains { $0.path == "\(nestedName)/block_16_project" })
  }

  @Test("Keras 3 nested Sequential and Functional blocks load their weights")
  func kerasArchiveNested() throws {
    let graph = try KerasModelFile.load(path: fixturePath("nested_k3.keras"))
    var nestedCount = 0
    for layer in graph.layers {
      guard let inner = layer.nestedGraph else { continue }
      nestedCount += 1
      #expect(inner.parameterCount > 0)
      for innerLayer in inner.layers where innerLayer.className == "BatchNormalization" {
        #expect(innerLayer.weight(named: "moving_variance")!.values.array.allSatisfy { $0 > 0 })
      }
    }
    #expect(nestedCount == 2)
  }

  @Test("float16 weights are read as Float32")
  func float16Weights() throws {
    let path = fixturePath("float16_dense.h5")
    let graph = try KerasModelFile.load(path: path)
    let dense = try #require(graph.layers.last { $0.className == "Dense" })
    #expect(!dense.weights.isEmpty)
    #expect(dense.weights.allSatisfy { $0.values.array.allSatisfy(\.isFinite) })
  }

  @Test("file formats are recognised by content")
  func formats() throws {
    #expect(try KerasModelFile.format(ofFile: fixturePath("sequential_cnn.h5")) == .fullModelH5)
    #expect(try KerasModelFile.format(ofFile: fixturePath("weights_only.weights.h5")) == .weightsOnlyH5)
    #expect(try KerasModelFile.format(ofFile: fixturePath("weights_only_k3.weights.h5")) == .weightsOnlyH5)
    #expect(try KerasModelFile.format(ofFile: fixturePath("layer_zoo_k3.keras")) == .kerasArchive)
  }
}
