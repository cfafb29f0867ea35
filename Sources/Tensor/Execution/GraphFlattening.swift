import KerasModel

/// A tensor of the flattened graph: a model input, or an output of one call.
enum FlatTensor: Hashable {
  case modelInput(Int)
  case call(Int, tensor: Int)
}

/// One call of a layer (or Keras 3 operation) with nested models inlined.
struct FlatCall {
  /// Where the layer is, for errors.
  var location: LayerLocation
  var layer: Layer
  var node: Int
  var inputs: [FlatTensor]
}

/// A model with every nested model inlined: calls in execution order, where every layer output is, and which
/// tensors the model returns.
struct FlatGraph {
  var calls: [FlatCall] = []
  var outputs: [FlatTensor] = []
  /// The tensors of the first call of every layer, by address through nested models.
  var layerOutputs: [[Int]: [FlatTensor]] = [:]

  /// Flattens `graph`.
  /// - Throws: `TensorError.invalidInput` when a connection cannot be resolved (a damaged graph).
  init(_ graph: Graph) throws {
    outputs = try flatten(graph, address: [], pathPrefix: "", inputs: graph.inputs.indices.map { .modelInput($0) })
  }

  private enum CallKey: Hashable {
    case layer(Int, node: Int)
    case operation(Int, node: Int)
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
    for key in try executionOrder(graph) {
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
      let results: [FlatTensor]
      switch layer.operation {
      case .input:
        results = callInputs
      case .identity:
        results = Array(callInputs.prefix(1))
      case .model(let inner):
        results = try flatten(
          inner, address: layerAddress ?? address, pathPrefix: pathPrefix + layer.name + "/", inputs: callInputs)
      default:
        calls.append(FlatCall(location: location, layer: layer, node: node, inputs: callInputs))
        results = layer.nodes[node].outputShapes.indices.map { .call(calls.count - 1, tensor: $0) }
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

  /// Every call of `graph` ordered so that each comes after the calls it reads.
  private func executionOrder(_ graph: Graph) throws -> [CallKey] {
    func inputs(of key: CallKey) -> [TensorSource] {
      switch key {
      case .layer(let index, let node): return graph.layers[index].nodes[node].inputs
      case .operation(let index, let node): return graph.operations[index].nodes[node].inputs
      }
    }
    func producer(_ source: TensorSource) -> CallKey? {
      switch source {
      case .graphInput: return nil
      case .layerOutput(let layer, let node, _):
        return graph.layers.indices.contains(layer) && graph.layers[layer].nodes.indices.contains(node)
          ? .layer(layer, node: node) : nil
      case .operationOutput(let operation, let node, _):
        return graph.operations.indices.contains(operation) && graph.operations[operation].nodes.indices.contains(node)
          ? .operation(operation, node: node) : nil
      }
    }
    var all: [CallKey] = []
    for (index, layer) in graph.layers.enumerated() { for node in layer.nodes.indices { all.append(.layer(index, node: node)) } }
    for (index, operation) in graph.operations.enumerated() {
      for node in operation.nodes.indices { all.append(.operation(index, node: node)) }
    }
    var done = Set<CallKey>()
    var visiting = Set<CallKey>()
    var order: [CallKey] = []
    for start in all where !done.contains(start) {
      var stack: [(key: CallKey, next: Int)] = [(start, 0)]
      visiting.insert(start)
      while let top = stack.last {
        let sources = inputs(of: top.key)
        if top.next < sources.count {
          stack[stack.count - 1].next += 1
          guard let dependency = producer(sources[top.next]), !done.contains(dependency) else { continue }
          guard !visiting.contains(dependency) else {
            throw TensorError.invalidInput(detail: "the layer graph of \(graph.name) has a cycle")
          }
          visiting.insert(dependency)
          stack.append((dependency, 0))
        } else {
          visiting.remove(top.key)
          done.insert(top.key)
          order.append(top.key)
          stack.removeLast()
        }
      }
    }
    return order
  }
}
