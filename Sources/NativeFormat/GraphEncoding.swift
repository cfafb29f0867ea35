import KerasGraph

/// Turns a `Graph` into the native format's graph description (format version 2) and collects the weights to
/// store, in Keras's weight order (layer by layer in `model.layers` order, nested models in place, each layer's
/// weights in Keras's order), under the names `<layer path>/<weight name>`.
struct GraphEncoder {
  /// Whether every layer keeps its Keras `config` (`keras_config`), so that `Layer.config` reads back equal.
  var includesKerasConfig: Bool
  /// The weights to store, in file order, with their tensor names.
  private(set) var tensors: [(name: String, weight: Weight)] = []
  private var usedNames: Set<String> = []

  init(includesKerasConfig: Bool) {
    self.includesKerasConfig = includesKerasConfig
  }

  /// The root of the graph description: `{"format_version": 1, "model": <graph>}`.
  mutating func encodeRoot(_ graph: Graph) throws -> JSONValue {
    .object([
      "format_version": .int(NativeModelFile.formatVersion),
      "model": try encode(graph, pathPrefix: ""),
    ])
  }

  private mutating func encode(_ graph: Graph, pathPrefix: String) throws -> JSONValue {
    let inputs = graph.inputs.map { input -> JSONValue in
      .object([
        "name": .string(input.name), "shape": GraphEncoder.encode(input.shape),
        "layer": input.layerIndex.map(JSONValue.int) ?? .null,
      ])
    }
    let layers = try graph.layers.map { try encode($0, pathPrefix: pathPrefix) }
    let operations = try graph.operations.map { try encode($0, pathPrefix: pathPrefix) }
    return .object([
      "name": .string(graph.name), "kind": .string(graph.kind.rawValue), "inputs": .array(inputs),
      "outputs": .array(graph.outputs.map(GraphEncoder.encode)), "layers": .array(layers),
      "operations": .array(operations),
    ])
  }

  /// A tensor name not used before: `base`, or `base~2`, `base~3`, ... when layer names collide.
  private mutating func uniqueName(_ base: String) -> String {
    var name = base
    var counter = 1
    while usedNames.contains(name) || name == "__metadata__" {
      counter += 1
      name = "\(base)~\(counter)"
    }
    usedNames.insert(name)
    return name
  }

  private mutating func encode(_ layer: Layer, pathPrefix: String) throws -> JSONValue {
    let path = pathPrefix + layer.name
    let operation = try encodeKind(layer, layerPath: path)
    let weights = layer.weights.map { weight -> JSONValue in
      let name = uniqueName(path + "/" + weight.name)
      tensors.append((name, weight))
      return .object(["name": .string(weight.name), "tensor": .string(name)])
    }
    let nodes = layer.nodes.map { node -> JSONValue in
      var members: JSONObject = [
        "inputs": .array(node.inputs.map(GraphEncoder.encode)),
        "output_shapes": .array(node.outputShapes.map(GraphEncoder.encode)),
      ]
      if node.arguments != .object([:]) { members.append("arguments", node.arguments) }
      return .object(members)
    }
    var members: JSONObject = [
      "index": .int(layer.index), "name": .string(layer.name), "class_name": .string(layer.className),
      "trainable": .bool(layer.trainable), "op": operation, "weights": .array(weights), "nodes": .array(nodes),
    ]
    if includesKerasConfig { members.append("keras_config", layer.config) }
    return .object(members)
  }

  static func encode(_ shape: TensorShape) -> JSONValue {
    .array(shape.dimensions.map { $0.map(JSONValue.int) ?? .null })
  }

  static func encode(_ source: TensorSource) -> JSONValue {
    switch source {
    case .graphInput(let index):
      return .object(["input": .int(index)])
    case .layerOutput(let layer, let node, let tensor):
      return .object(["layer": .int(layer), "node": .int(node), "tensor": .int(tensor)])
    case .operationOutput(let operation, let node, let tensor):
      return .object(["operation": .int(operation), "node": .int(node), "tensor": .int(tensor)])
    }
  }

  /// The layer's `op` object: `{"op": <name>, <the kind's Codable fields>, "activation"?}`, or for a nested model
  /// `{"op": "model", "graph": <graph>}`.
  private mutating func encodeKind(_ layer: Layer, layerPath: String) throws -> JSONValue {
    if let inner = layer.nestedGraph {
      return .object(["op": .string("model"), "graph": try encode(inner, pathPrefix: layerPath + "/")])
    }
    return try LayerKinds.encodeNative(layer.kind, activation: layer.activation)
  }
}
