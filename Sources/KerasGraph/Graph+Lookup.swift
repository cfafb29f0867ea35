extension Graph {
  /// The index in `model.layers` of the layer called `name` (keras-vis's `find_layer_idx`), or nil.
  public func layerIndex(named name: String) -> Int? {
    layers.firstIndex { $0.name == name }
  }

  /// The layer at a path of names through nested models, e.g. `mobilenetv2_1.00_96/block_16_project`
  /// (a plain name is a top-level layer).
  public func layer(atPath path: String) -> Layer? {
    address(ofPath: path).flatMap { layer(atAddress: $0) }
  }

  /// The chain of indices that reaches the layer at `path` (`[3]` for a top-level layer, `[0, 153]` for layer
  /// 153 of the model at index 0), or nil.
  public func address(ofPath path: String) -> [Int]? {
    if let index = layerIndex(named: path) { return [index] }
    var graph = self
    var address: [Int] = []
    let parts = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    for (position, part) in parts.enumerated() {
      guard let index = graph.layerIndex(named: part) else { return nil }
      address.append(index)
      if position < parts.count - 1 {
        guard let inner = graph.layers[index].nestedGraph else { return nil }
        graph = inner
      }
    }
    return address
  }

  /// The layer at a chain of indices through nested models.
  public func layer(atAddress address: [Int]) -> Layer? {
    var graph = self
    for (position, index) in address.enumerated() {
      guard graph.layers.indices.contains(index) else { return nil }
      if position == address.count - 1 { return graph.layers[index] }
      guard let inner = graph.layers[index].nestedGraph else { return nil }
      graph = inner
    }
    return nil
  }

  /// The path of names for a chain of indices (`mobilenetv2_1.00_96/Conv1`).
  public func path(ofAddress address: [Int]) -> String? {
    var graph = self
    var names: [String] = []
    for (position, index) in address.enumerated() {
      guard graph.layers.indices.contains(index) else { return nil }
      names.append(graph.layers[index].name)
      if position < address.count - 1 {
        guard let inner = graph.layers[index].nestedGraph else { return nil }
        graph = inner
      }
    }
    return names.joined(separator: "/")
  }

  /// Resolves what a user typed for a layer: an index into `model.layers` (negative counts from the end, as in
  /// Python), a name, or a path through nested models.
  /// - Throws: `LayerLookupError` naming the closest layer names for a typo, or the valid index range.
  public func resolveLayer(_ reference: String) throws -> [Int] {
    if let index = Int(reference) {
      let resolved = index < 0 ? index + layers.count : index
      guard layers.indices.contains(resolved) else {
        throw LayerLookupError.indexOutOfRange(index: index, count: layers.count)
      }
      return [resolved]
    }
    if let address = address(ofPath: reference) { return address }
    let candidates = allLayerPaths().map(\.path)
    let suggestions = candidates.sorted {
      editDistance($0, reference) < editDistance($1, reference)
    }.prefix(3)
    throw LayerLookupError.unknownName(name: reference, suggestions: Array(suggestions))
  }

  /// Every layer with its address and path, nested models' layers after the model that holds them.
  public func allLayerPaths() -> [(address: [Int], path: String, layer: Layer)] {
    var result: [(address: [Int], path: String, layer: Layer)] = []
    func visit(_ graph: Graph, _ prefix: [Int], _ pathPrefix: String) {
      for layer in graph.layers {
        let address = prefix + [layer.index]
        let path = pathPrefix + layer.name
        result.append((address, path, layer))
        if let inner = layer.nestedGraph { visit(inner, address, path + "/") }
      }
    }
    visit(self, [], "")
    return result
  }

  /// The shapes of the tensors that call `node` of the layer at `index` consumes.
  public func inputShapes(ofLayer index: Int, node: Int = 0) -> [TensorShape] {
    guard layers.indices.contains(index), layers[index].nodes.indices.contains(node) else { return [] }
    return layers[index].nodes[node].inputs.compactMap { shape(of: $0) }
  }

  /// The names of the layers (or graph inputs) feeding call `node` of the layer at `index`, in order. An
  /// InputLayer has none, as in Keras.
  public func inboundLayerNames(ofLayer index: Int, node: Int = 0) -> [String] {
    guard layers.indices.contains(index), layers[index].nodes.indices.contains(node) else { return [] }
    if layers[index].isInput { return [] }
    return layers[index].nodes[node].inputs.compactMap { source in
      switch source {
      case .graphInput(let position):
        let name = inputs.indices.contains(position) ? inputs[position].name : ""
        return name.isEmpty ? nil : name
      case .layerOutput(let layer, _, _):
        return layers.indices.contains(layer) ? layers[layer].name : nil
      case .operationOutput(let operation, _, _):
        return operations.indices.contains(operation) ? operations[operation].name : nil
      }
    }
  }
}

/// A layer reference (`--layer` value, `layer_idx`) that does not name a layer of the model.
public enum LayerLookupError: Error, CustomStringConvertible, Equatable {
  case indexOutOfRange(index: Int, count: Int)
  case unknownName(name: String, suggestions: [String])

  public var description: String {
    switch self {
    case .indexOutOfRange(let index, let count):
      return "layer index \(index) is out of range: the model has \(count) layers (0...\(count - 1))"
    case .unknownName(let name, let suggestions):
      let hint = suggestions.isEmpty ? "" : "; did you mean \(suggestions.map { "'\($0)'" }.joined(separator: ", "))?"
      return "no layer named '\(name)'\(hint)"
    }
  }
}

/// Levenshtein distance, for suggesting layer names.
func editDistance(_ lhs: String, _ rhs: String) -> Int {
  let a = Array(lhs.utf8)
  let b = Array(rhs.utf8)
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}
