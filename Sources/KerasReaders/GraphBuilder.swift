import KerasGraph

/// Turns a parsed model config into a `Graph`: decodes every layer, resolves inbound references to layer
/// indices, orders the calls topologically and infers every output shape. Weights are attached afterwards.
struct GraphBuilder {
  /// The file being imported, for error messages.
  let file: String
  /// 2 or 3: the Keras generation that wrote the file (changes `hard_sigmoid` and some field names).
  let kerasMajorVersion: Int
  /// User-registered implementations of unknown classes.
  let registry: LayerRegistry
  let parser: ModelConfigParser

  init(file: String, kerasMajorVersion: Int, registry: LayerRegistry) {
    self.file = file
    self.kerasMajorVersion = kerasMajorVersion
    self.registry = registry
    self.parser = ModelConfigParser(file: file, kerasMajorVersion: kerasMajorVersion)
  }

  func build(_ model: RawModel, pathPrefix: String = "", depth: Int = 0) throws -> Graph {
    switch model.kind {
    case .sequential: return try buildSequential(model, pathPrefix: pathPrefix, depth: depth)
    case .functional: return try buildFunctional(model, pathPrefix: pathPrefix, depth: depth)
    }
  }

  private func location(_ raw: RawLayer, _ index: Int, _ prefix: String) -> LayerLocation {
    LayerLocation(path: prefix + raw.name, index: index, className: raw.className, isOperation: raw.isOperation)
  }

  /// Decodes a layer (or builds a nested graph) and infers the outputs of its first call.
  private func makeLayer(
    _ raw: RawLayer, index: Int, inputs: [TensorSource], inputShapes: [TensorShape], prefix: String, depth: Int
  ) throws -> Layer {
    let layerLocation = location(raw, index, prefix)
    let kind: any LayerKind
    var activation: ActivationFunction?
    if raw.isOperation {
      kind = try decodeOperation(raw, inputShapes: inputShapes, location: layerLocation)
    } else if raw.isModel {
      let inner = try parser.parseModel(
        .object(["class_name": .string(raw.className), "config": raw.config]), depth: depth + 1)
      kind = NestedModel(graph: try build(inner, pathPrefix: prefix + raw.name + "/", depth: depth + 1))
    } else {
      let context = LayerDecodingContext(
        file: file, source: .keras(major: kerasMajorVersion), inputShapes: inputShapes,
        arguments: raw.nodes.first?.arguments ?? .object([:]), registry: registry)
      let decoded = try importing(file: file, layer: layerLocation) {
        try LayerKinds.decodeKeras(
          className: raw.className, registeredName: raw.registeredName, config: raw.config, context: context)
      }
      kind = decoded.kind
      activation = decoded.activation
    }
    let outputs = try outputShapes(kind, inputShapes, layerLocation)
    return Layer(
      index: index, name: raw.name, className: raw.className, config: raw.config, kind: kind, activation: activation,
      nodes: [Node(inputs: inputs, outputShapes: outputs)], trainable: raw.config["trainable"]?.bool ?? true)
  }

  private func outputShapes(_ kind: any LayerKind, _ inputs: [TensorShape], _ layerLocation: LayerLocation) throws
    -> [TensorShape]
  {
    do {
      let shapes = try kind.outputShapes(inputs: inputs)
      for shape in shapes {
        if let bad = shape.dimensions.dropFirst().first(where: { ($0 ?? 1) <= 0 || ($0 ?? 1) > 1 << 30 }) {
          throw ShapeProblem(detail: "inferred output shape \(shape) has an invalid dimension \(bad ?? 0)")
        }
      }
      return shapes
    } catch let problem as ShapeProblem {
      throw KerasImportError.incompatibleShapes(file: file, layer: layerLocation, detail: problem.detail)
    }
  }

  private func buildSequential(_ model: RawModel, pathPrefix: String, depth: Int) throws -> Graph {
    guard let input = model.sequentialInput else {
      throw KerasImportError.invalidModelConfig(
        file: file, detail: "Sequential model '\(model.name)' has no input shape")
    }
    var layers: [Layer] = []
    var previous = TensorSource.graphInput(0)
    var previousShape = input.shape
    for (index, raw) in model.layers.enumerated() {
      if raw.className == "InputLayer" {
        throw KerasImportError.invalidModelConfig(
          file: file, detail: "Sequential model '\(model.name)' has an InputLayer at position \(index)")
      }
      let layer = try makeLayer(
        raw, index: index, inputs: [previous], inputShapes: [previousShape], prefix: pathPrefix, depth: depth)
      guard layer.nodes[0].outputShapes.count == 1 else {
        throw KerasImportError.incompatibleShapes(
          file: file, layer: location(raw, index, pathPrefix),
          detail: "a layer of a Sequential model must have exactly one output")
      }
      previous = .layerOutput(layer: index, node: 0, tensor: 0)
      previousShape = layer.nodes[0].outputShapes[0]
      layers.append(layer)
    }
    guard !layers.isEmpty else {
      throw KerasImportError.invalidModelConfig(file: file, detail: "Sequential model '\(model.name)' has no layers")
    }
    return Graph(
      name: model.name, kind: .sequential, layers: layers,
      inputs: [GraphInput(name: input.name, shape: input.shape, layerIndex: nil)], outputs: [previous])
  }

  /// How far Keras shifts node indices of references to `raw`: in Keras 2 a nested Functional model (and a
  /// Sequential model built with an input) starts with a built-in node that the config leaves out. Keras 3
  /// models have no such node.
  private func nodeOffset(_ raw: RawLayer) -> Int {
    guard kerasMajorVersion < 3 else { return 0 }
    switch raw.className {
    case "Functional", "Model": return 1
    case "Sequential":
      let entries = raw.config["layers"]?.array ?? raw.config.array ?? []
      return entries.first?["class_name"]?.string == "InputLayer" ? 1 : 0
    default: return 0
    }
  }

  /// Keras 3 operations recorded in a config (`x + 3.0`, `x * y`, `ops.mean(x, axis=1)`), translated by
  /// `OperationTranslation` into the kinds that compute the same.
  /// - Throws: `KerasImportError.unsupportedLayer` naming the operation (module and class) and its arguments in
  ///   words.
  private func decodeOperation(_ raw: RawLayer, inputShapes: [TensorShape], location: LayerLocation) throws
    -> any LayerKind
  {
    let arguments = raw.nodes.first?.positional ?? []
    let values = raw.nodes.first?.positionalValues ?? []
    let operation = "the Keras operation \(raw.module.map { $0 + "." } ?? "")\(raw.className)"
    let call =
      "\(operation) with arguments (\(OperationTranslation.describe(arguments: arguments, config: raw.config)))"
    do {
      if let kind = try OperationTranslation.kerasOperation(
        className: raw.className, config: raw.config, arguments: arguments, values: values, inputShapes: inputShapes)
      {
        return kind
      }
    } catch LayerDecodingFailure.unsupported(let detail) {
      throw KerasImportError.unsupportedLayer(file: file, layer: location, hint: "\(call) is not supported: \(detail)")
    }
    throw KerasImportError.unsupportedLayer(
      file: file, layer: location,
      hint:
        "\(call) is not supported (kerasvis supports arithmetic between tensors and with constants, maximum, minimum, relu, relu6, sigmoid, tanh, softmax, gelu, exp, sqrt, square, log, absolute, clip, mean, max, sum, min, reshape, transpose, expand_dims, squeeze, concatenate, stack, split, slicing, matmul and image.resize)"
    )
  }

  private func buildFunctional(_ model: RawModel, pathPrefix: String, depth: Int) throws -> Graph {
    // Keras 3 operations sit in the config's layer list but not in `model.layers`: number the two apart.
    var kerasIndex: [Int] = []
    var counts = (layers: 0, operations: 0)
    for raw in model.layers {
      if raw.isOperation {
        kerasIndex.append(counts.operations)
        counts.operations += 1
      } else {
        kerasIndex.append(counts.layers)
        counts.layers += 1
      }
    }
    func location(_ raw: RawLayer, _ index: Int, _ prefix: String) -> LayerLocation {
      LayerLocation(
        path: prefix + raw.name, index: kerasIndex[index], className: raw.className, isOperation: raw.isOperation)
    }
    var indexByName: [String: Int] = [:]
    for (index, raw) in model.layers.enumerated() {
      guard indexByName[raw.name] == nil else {
        throw KerasImportError.invalidModelConfig(
          file: file, detail: "two layers of model '\(model.name)' are named '\(raw.name)'")
      }
      indexByName[raw.name] = index
    }
    let inputPositions: [String: Int] = Dictionary(
      model.inputReferences.enumerated().map { ($1.layer, $0) }, uniquingKeysWith: { first, _ in first })

    // Resolve every call's inbound references to (layer, node, tensor) in this graph.
    var resolvedNodes: [[[TensorSource]]] = []
    for (index, raw) in model.layers.enumerated() {
      if raw.className == "InputLayer" {
        guard let position = inputPositions[raw.name] else {
          throw KerasImportError.invalidModelConfig(
            file: file, detail: "InputLayer '\(pathPrefix + raw.name)' is not listed in input_layers")
        }
        resolvedNodes.append([[.graphInput(position)]])
        continue
      }
      guard !raw.nodes.isEmpty else {
        throw KerasImportError.unknownInbound(
          file: file, layer: location(raw, index, pathPrefix), reference: "nothing (it has no inbound nodes)")
      }
      resolvedNodes.append(
        try raw.nodes.map { node in
          try node.inputs.map {
            try resolve($0, in: model, indexByName: indexByName, from: location(raw, index, pathPrefix))
          }
        })
    }
    // Validate node indices now that every layer's call count is known.
    for (index, nodes) in resolvedNodes.enumerated() {
      for inputs in nodes {
        for case .layerOutput(let source, let node, _) in inputs where node >= resolvedNodes[source].count {
          throw KerasImportError.unknownInbound(
            file: file, layer: location(model.layers[index], index, pathPrefix),
            reference: "node \(node) of '\(model.layers[source].name)', which has \(resolvedNodes[source].count)")
        }
      }
    }
    let order = try topologicalOrder(resolvedNodes, names: model.layers.map { pathPrefix + $0.name })

    var layers: [Layer?] = Array(repeating: nil, count: model.layers.count)
    var inputs: [GraphInput] = Array(
      repeating: GraphInput(name: "", shape: TensorShape([]), layerIndex: nil), count: model.inputReferences.count)
    func shapeOf(_ source: TensorSource, consumer: LayerLocation) throws -> TensorShape {
      switch source {
      case .graphInput(let position):
        return inputs[position].shape
      case .layerOutput(let layer, let node, let tensor):
        guard let shapes = layers[layer]?.nodes[node].outputShapes, shapes.indices.contains(tensor) else {
          throw KerasImportError.unknownInbound(
            file: file, layer: consumer, reference: "tensor \(tensor) of '\(model.layers[layer].name)' (node \(node))")
        }
        return shapes[tensor]
      case .operationOutput:
        throw KerasImportError.unknownInbound(file: file, layer: consumer, reference: source.description)
      }
    }
    for (index, node) in order {
      let raw = model.layers[index]
      let layerLocation = location(raw, index, pathPrefix)
      let sources = resolvedNodes[index][node]
      if raw.className == "InputLayer" {
        guard let shape = parser.inputShape(of: raw.config) else {
          throw KerasImportError.invalidLayerConfig(
            file: file, layer: layerLocation, field: "batch_shape", detail: "missing or invalid input shape")
        }
        if case .graphInput(let position) = sources[0] {
          inputs[position] = GraphInput(name: raw.name, shape: shape, layerIndex: index)
        }
        layers[index] = Layer(
          index: kerasIndex[index], name: raw.name, className: raw.className, config: raw.config, kind: InputLayer(),
          nodes: [Node(inputs: sources, outputShapes: [shape])], trainable: false)
        continue
      }
      let shapes = try sources.map { try shapeOf($0, consumer: layerLocation) }
      let arguments = raw.nodes[node].arguments
      if node == 0 {
        var layer = try makeLayer(
          raw, index: kerasIndex[index], inputs: sources, inputShapes: shapes, prefix: pathPrefix, depth: depth)
        layer.nodes[0].arguments = arguments
        layers[index] = layer
      } else if let kind = layers[index]?.kind {
        let outputs = try outputShapes(kind, shapes, layerLocation)
        layers[index]?.nodes.append(Node(inputs: sources, outputShapes: outputs, arguments: arguments))
      }
    }
    for reference in model.inputReferences {
      guard let index = indexByName[reference.layer], model.layers[index].className == "InputLayer" else {
        throw KerasImportError.invalidModelConfig(
          file: file, detail: "input_layers names '\(reference.layer)', which is not an InputLayer of the model")
      }
    }
    let outputs = try model.outputReferences.map { reference -> TensorSource in
      guard let index = indexByName[reference.layer] else {
        throw KerasImportError.invalidModelConfig(
          file: file, detail: "output_layers names '\(reference.layer)', which is not a layer of the model")
      }
      let node = reference.node - nodeOffset(model.layers[index])
      guard let layer = layers[index], layer.nodes.indices.contains(node),
        layer.nodes[node].outputShapes.indices.contains(reference.tensor)
      else {
        throw KerasImportError.invalidModelConfig(
          file: file, detail: "output_layers names \(reference.description), which does not exist")
      }
      return .layerOutput(layer: index, node: node, tensor: reference.tensor)
    }
    // Split the unified list into `model.layers` and operations, renumbering every connection.
    func renumber(_ source: TensorSource) -> TensorSource {
      guard case .layerOutput(let index, let node, let tensor) = source else { return source }
      return model.layers[index].isOperation
        ? .operationOutput(operation: kerasIndex[index], node: node, tensor: tensor)
        : .layerOutput(layer: kerasIndex[index], node: node, tensor: tensor)
    }
    var kerasLayers: [Layer] = []
    var operations: [Layer] = []
    for (index, built) in layers.enumerated() {
      guard var layer = built else { continue }
      for node in layer.nodes.indices { layer.nodes[node].inputs = layer.nodes[node].inputs.map(renumber) }
      if model.layers[index].isOperation { operations.append(layer) } else { kerasLayers.append(layer) }
    }
    return Graph(
      name: model.name, kind: .functional, layers: kerasLayers, inputs: inputs, outputs: outputs.map(renumber),
      operations: operations)
  }

  private func resolve(
    _ reference: RawReference, in model: RawModel, indexByName: [String: Int], from consumer: LayerLocation
  ) throws -> TensorSource {
    guard let index = indexByName[reference.layer] else {
      throw KerasImportError.unknownInbound(file: file, layer: consumer, reference: "'\(reference.layer)'")
    }
    let node = reference.node - nodeOffset(model.layers[index])
    guard node >= 0 else {
      throw KerasImportError.unknownInbound(file: file, layer: consumer, reference: reference.description)
    }
    return .layerOutput(layer: index, node: node, tensor: reference.tensor)
  }

  /// Orders all (layer, node) calls so that every call comes after the calls it reads from.
  /// - Throws: `KerasImportError.cycle` naming the layers on a cycle.
  /// The calls (layer, node) in an order where each comes after the calls it reads.
  /// - Throws: `KerasImportError.cycle` naming the layers of a cycle.
  private func topologicalOrder(_ nodes: [[[TensorSource]]], names: [String]) throws -> [(Int, Int)] {
    struct Call: Hashable, Sendable {
      var layer: Int
      var node: Int
    }
    let all = nodes.indices.flatMap { layer in nodes[layer].indices.map { Call(layer: layer, node: $0) } }
    do {
      return try dependencyOrder(all) { call in
        nodes[call.layer][call.node].compactMap { source in
          guard case .layerOutput(let layer, let node, _) = source else { return nil }
          return Call(layer: layer, node: node)
        }
      }.map { ($0.layer, $0.node) }
    } catch {
      throw KerasImportError.cycle(file: file, layers: error.cycle.map { names[$0.layer] })
    }
  }
}
