import KerasGraph

/// A tensor of the flattened graph: a model input, or an output of one call.
public enum FlatTensor: Hashable, Sendable {
  case modelInput(Int)
  case call(Int, tensor: Int)
}

/// One call of a layer (or Keras 3 operation) with nested models inlined.
public struct FlatCall: Sendable {
  /// Where the layer is, for errors.
  public var location: LayerLocation
  /// The layer called (a layer's `activation=` is a call of its own after it, an `Activation` layer; the layer's
  /// own call keeps the field set, for the planner to fuse).
  public var layer: Layer
  /// Which of the layer's nodes this call is.
  public var node: Int
  /// The tensors the call reads, in order.
  public var inputs: [FlatTensor]
}

/// A model with every nested model inlined: calls in execution order, where every layer output is, and which
/// tensors the model returns.
public struct FlatGraph: Sendable {
  /// The calls in execution order.
  public var calls: [FlatCall] = []
  /// The tensors the model returns, in order.
  public var outputs: [FlatTensor] = []
  /// The tensors of the first call of every layer, by address through nested models.
  public var layerOutputs: [[Int]: [FlatTensor]] = [:]

  /// Flattens `graph`.
  /// - Throws: `TensorError.invalidInput` when a connection cannot be resolved (a damaged graph).
  public init(_ graph: Graph) throws {
    outputs = try flatten(graph, address: [], pathPrefix: "", inputs: graph.inputs.indices.map { .modelInput($0) })
  }

  private mutating func flatten(_ graph: Graph, address: [Int], pathPrefix: String, inputs: [FlatTensor]) throws
    -> [FlatTensor]
  {
    var resolved: [TensorSource: FlatTensor] = [:]
    func resolve(_ source: TensorSource, for location: LayerLocation) throws -> FlatTensor {
      if case .graphInput(let position) = source {
        guard inputs.indices.contains(position) else {
          throw TensorError.invalidInput(detail: "\(location) reads model input \(position), which does not exist")
        }
        return inputs[position]
      }
      guard let tensor = resolved[source] else {
        throw TensorError.invalidInput(detail: "\(location) reads \(source), which is not computed before it")
      }
      return tensor
    }
    let order: [GraphCall]
    do {
      order = try graph.callOrder()
    } catch {
      throw TensorError.invalidInput(detail: "model \(graph.name): \(error)")
    }
    for key in order {
      let layer: Layer
      let node: Int
      var layerAddress: [Int]?
      switch key {
      case .layer(let index, let callNode):
        layer = graph.layers[index]
        node = callNode
        layerAddress = address + [index]
      case .operation(let index, let callNode):
        layer = graph.operations[index]
        node = callNode
      }
      let location = LayerLocation(path: pathPrefix + layer.name, index: layer.index, className: layer.className)
      let callInputs = try layer.nodes[node].inputs.map { try resolve($0, for: location) }
      var results: [FlatTensor]
      switch layer.kind {
      case is InputLayer:
        results = callInputs
      case is Identity:
        results = Array(callInputs.prefix(1))
      case let nested as NestedModel:
        results = try flatten(
          nested.graph, address: layerAddress ?? address, pathPrefix: pathPrefix + layer.name + "/",
          inputs: callInputs)
      default:
        calls.append(FlatCall(location: location, layer: layer, node: node, inputs: callInputs))
        results = layer.nodes[node].outputShapes.indices.map { .call(calls.count - 1, tensor: $0) }
      }
      // A layer's `activation=` runs as its own call after the layer (the planner fuses it back).
      if let function = layer.activation, function != .linear, results.count == 1 {
        var activation = layer
        activation.kind = Activation(function)
        activation.activation = nil
        calls.append(FlatCall(location: location, layer: activation, node: node, inputs: results))
        results = [.call(calls.count - 1, tensor: 0)]
      }
      for (position, tensor) in results.enumerated() {
        switch key {
        case .layer(let index, let callNode):
          resolved[.layerOutput(layer: index, node: callNode, tensor: position)] = tensor
        case .operation(let index, let callNode):
          resolved[.operationOutput(operation: index, node: callNode, tensor: position)] = tensor
        }
      }
      if let layerAddress, node == 0, layerOutputs[layerAddress] == nil { layerOutputs[layerAddress] = results }
    }
    return try graph.outputs.map { source in
      try resolve(source, for: LayerLocation(path: pathPrefix + graph.name, index: -1, className: "output"))
    }
  }
}
