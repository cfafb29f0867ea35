import Foundation
import KerasGraph
import KerasReaders
import TestSupport
import Testing

/// Writes a modified copy of `weights_only.json` and loads it with `weights_only.weights.h5`.
private func loadWithEditedTopology(_ edit: (inout [String: Any]) throws -> Void) throws -> Graph {
  let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("weights_only.json")))
  var topology = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  try edit(&topology)
  let path = temporaryPath(".json")
  try JSONSerialization.data(withJSONObject: topology).write(to: URL(fileURLWithPath: path))
  defer { try? FileManager.default.removeItem(atPath: path) }
  return try KerasModelFile.load(path: fixturePath("weights_only.weights.h5"), topologyPath: path)
}

/// Applies `edit` to the config of the first layer of class `className` in a topology dictionary.
private func editLayer(_ topology: inout [String: Any], className: String, _ edit: (inout [String: Any]) -> Void) throws
{
  var config = try #require(topology["config"] as? [String: Any])
  var layers = try #require(config["layers"] as? [[String: Any]])
  let position = try #require(layers.firstIndex { $0["class_name"] as? String == className })
  edit(&layers[position])
  config["layers"] = layers
  topology["config"] = config
}

private func expectError(_ body: () throws -> Void, matching check: (KerasImportError) -> Bool, _ comment: String) {
  do {
    try body()
    Issue.record("expected an error: \(comment)")
  } catch let error as KerasImportError {
    #expect(check(error), "\(comment): got \(error)")
    #expect(!error.description.isEmpty)
  } catch {
    Issue.record("\(comment): expected a KerasImportError, got \(error)")
  }
}

@Suite("Bad input gives clear errors")
struct BadInputTests {
  @Test("a missing file")
  func missingFile() {
    expectError(
      { _ = try KerasModelFile.load(path: "/no/such/model.h5") },
      matching: {
        if case .fileNotFound(let file) = $0 { return file == "/no/such/model.h5" }
        return false
      }, "missing file")
  }

  @Test("a file that is not HDF5 or zip")
  func notHDF5() throws {
    let path = temporaryPath(".h5")
    try Data("just some text, not a model".utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    expectError(
      { _ = try KerasModelFile.load(path: path) },
      matching: {
        if case .unrecognizedFormat(let file, _) = $0 { return file == path }
        return false
      }, "text file")
  }

  @Test("truncated files", arguments: [0.1, 0.5, 0.9])
  func truncated(fraction: Double) throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: fixturePath("sequential_cnn.h5")))
    let path = temporaryPath(".h5")
    try original.prefix(Int(Double(original.count) * fraction)).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    expectError(
      { _ = try KerasModelFile.load(path: path) }, matching: { $0.description.contains(path) }, "truncated \(fraction)")
  }

  @Test("a truncated .keras archive")
  func truncatedArchive() throws {
    let original = try Data(contentsOf: URL(fileURLWithPath: fixturePath("layer_zoo_k3.keras")))
    let path = temporaryPath(".keras")
    try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    expectError(
      { _ = try KerasModelFile.load(path: path) }, matching: { $0.description.contains(path) }, "half a .keras")
  }

  @Test("a weights-only .h5 without its topology")
  func missingTopology() {
    let path = fixturePath("weights_only.weights.h5")
    expectError(
      { _ = try KerasModelFile.load(path: path) },
      matching: {
        if case .missingTopology(let file) = $0 { return file == path && $0.description.contains("--topology") }
        return false
      }, "weights-only without topology")
  }

  @Test("a topology that is not JSON")
  func invalidJSON() throws {
    let path = temporaryPath(".json")
    try Data("{\"class_name\": \"Functional\", ".utf8).write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    expectError(
      { _ = try KerasModelFile.load(path: fixturePath("weights_only.weights.h5"), topologyPath: path) },
      matching: {
        if case .invalidJSON(let file, _) = $0 { return file == path }
        return false
      }, "truncated JSON")
  }

  @Test("a config whose weight has the wrong shape")
  func wrongWeightShape() {
    expectError(
      {
        _ = try loadWithEditedTopology { topology in
          try editLayer(&topology, className: "Dense") { layer in
            var config = layer["config"] as! [String: Any]
            config["units"] = (config["units"] as! Int) + 1
            layer["config"] = config
          }
        }
      },
      matching: {
        if case .weightShapeMismatch(_, let layer, let weight, _, _) = $0 {
          return layer.className == "Dense" && weight == "kernel"
        }
        return false
      }, "Dense units changed")
  }

  @Test("a config that names a weight the file lacks")
  func missingWeight() {
    expectError(
      {
        _ = try loadWithEditedTopology { topology in
          try editLayer(&topology, className: "Conv2D") { layer in
            var config = layer["config"] as! [String: Any]
            config["use_bias"] = !(config["use_bias"] as? Bool ?? true)
            layer["config"] = config
          }
        }
      },
      matching: {
        if case .missingWeights(_, let layer, let detail) = $0 {
          return layer.className == "Conv2D" && detail.contains("weight")
        }
        return false
      }, "Conv2D use_bias flipped")
  }

  @Test("an inbound reference to a layer that does not exist")
  func unknownInbound() {
    expectError(
      {
        _ = try loadWithEditedTopology { topology in
          try editLayer(&topology, className: "Conv2D") { layer in
            layer["inbound_nodes"] = [[["no_such_layer", 0, 0, [String: Any]()]]]
          }
        }
      },
      matching: {
        if case .unknownInbound(_, let layer, let reference) = $0 {
          return layer.className == "Conv2D" && reference.contains("no_such_layer")
        }
        return false
      }, "unknown inbound layer")
  }

  @Test("a cycle in the layer graph")
  func cycle() {
    expectError(
      {
        _ = try loadWithEditedTopology { topology in
          let config = topology["config"] as! [String: Any]
          let layers = config["layers"] as! [[String: Any]]
          let last = layers.last!["name"] as! String
          try editLayer(&topology, className: "Conv2D") { layer in
            layer["inbound_nodes"] = [[[last, 0, 0, [String: Any]()]]]
          }
        }
      },
      matching: {
        if case .cycle(_, let layers) = $0 { return layers.count >= 2 }
        return false
      }, "cycle")
  }

  @Test("a Lambda layer names its layer, index and class, and a registered implementation imports it")
  func lambdaLayer() throws {
    let path = fixturePath("lambda_layer.h5")
    expectError(
      { _ = try KerasModelFile.load(path: path) },
      matching: {
        guard case .unsupportedLayer(let file, let layer, let hint) = $0 else { return false }
        return file == path && layer.className == "Lambda" && layer.index > 0 && hint.contains("LayerRegistry")
          && $0.description.contains("index \(layer.index)")
      }, "Lambda")

    struct Doubling: CustomLayer {
      func weightSpecifications(inputShapes: [TensorShape]) throws -> [WeightSpecification] { [] }
      func outputShapes(inputShapes: [TensorShape]) throws -> [TensorShape] { inputShapes }
    }
    var registry = LayerRegistry()
    registry.register(className: "Lambda") { _ in Doubling() }
    let graph = try KerasModelFile.load(path: path, registry: registry)
    let lambda = try #require(graph.layers.first { $0.className == "Lambda" })
    guard let registered = lambda.kind as? RegisteredLayer else {
      Issue.record("Lambda did not use the registered implementation")
      return
    }
    #expect(registered.className == "Lambda")
  }
}
