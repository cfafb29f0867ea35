/// What is wrong with a graph: the layer (its path through nested models) and the problem.
public struct GraphValidationError: Error, CustomStringConvertible, Equatable {
  /// The layer's path (`outer/inner`), or the model's name for a problem of the model itself.
  public var layer: String
  public var detail: String

  public init(layer: String, detail: String) {
    self.layer = layer
    self.detail = detail
  }

  public var description: String { "\(layer): \(detail)" }
}

extension Graph {
  /// Checks everything a reader guarantees about a graph, for graphs from any source: layer names are distinct,
  /// every input names an InputLayer, every connection reads a tensor that exists, the calls form no cycle, every
  /// call's stored output shapes follow from its layer kind and input shapes, and nested models are called with
  /// inputs that fit them (recursively). Every reader (Keras files, native files) calls it.
  /// - Parameters:
  ///   - pathPrefix: the path of the models that hold this one (`outer/`), for messages.
  ///   - includingNested: whether nested models' own graphs are validated too (a reader that validated each
  ///     nested graph as it read it passes false).
  /// - Throws: `GraphValidationError` naming the layer.
  public func validate(pathPrefix: String = "", includingNested: Bool = true) throws(GraphValidationError) {
    let all = layers + operations
    func path(_ layer: Layer) -> String { pathPrefix + layer.name }
    var seen = Set<String>()
    for layer in layers where !seen.insert(layer.name).inserted {
      throw GraphValidationError(layer: path(layer), detail: "two layers of model '\(name)' have this name")
    }
    for (position, input) in inputs.enumerated() {
      guard let index = input.layerIndex else { continue }
      guard layers.indices.contains(index), layers[index].isInput else {
        throw GraphValidationError(
          layer: pathPrefix + name, detail: "input \(position) names layer \(index), which is not an InputLayer")
      }
    }
    for output in outputs where shape(of: output) == nil {
      throw GraphValidationError(layer: pathPrefix + name, detail: "returns \(output), which does not exist")
    }
    for layer in all {
      for node in layer.nodes {
        for input in node.inputs where shape(of: input) == nil {
          throw GraphValidationError(layer: path(layer), detail: "reads \(input), which does not exist")
        }
      }
    }
    do {
      _ = try callOrder()
    } catch let cycle as GraphCycleError {
      func name(_ call: GraphCall) -> String {
        switch call {
        case .layer(let index, _): return path(layers[index])
        case .operation(let index, _): return path(operations[index])
        }
      }
      throw GraphValidationError(
        layer: name(cycle.call), detail: "the layer graph has a cycle through \(name(cycle.reader))")
    } catch {
      throw GraphValidationError(layer: pathPrefix + name, detail: "\(error)")
    }
    for layer in all {
      for (position, node) in layer.nodes.enumerated() {
        // Sources were checked above, so every shape exists.
        let inputShapes = node.inputs.compactMap { shape(of: $0) }
        if let inner = layer.nestedGraph {
          let fits =
            inputShapes.count == inner.inputs.count
            && zip(inputShapes, inner.inputs).allSatisfy { shape, input in
              shape.rank == input.shape.rank
                && zip(shape.dimensions, input.shape.dimensions).dropFirst().allSatisfy { $1 == nil || $0 == $1 }
            }
          guard fits else {
            throw GraphValidationError(
              layer: path(layer),
              detail:
                "the nested model takes \(inner.inputs.map(\.shape.description)) "
                + "but is called with \(inputShapes.map(\.description))")
          }
          if includingNested { try inner.validate(pathPrefix: path(layer) + "/") }
        }
        let computed: [TensorShape]
        do {
          computed = try layer.kind.outputShapes(inputs: inputShapes)
        } catch {
          throw GraphValidationError(layer: path(layer), detail: "call \(position): \(error)")
        }
        guard computed == node.outputShapes else {
          throw GraphValidationError(
            layer: path(layer),
            detail:
              "call \(position) stores output shapes \(node.outputShapes.map(\.description)), "
              + "but the layer kind gives \(computed.map(\.description))")
        }
      }
    }
  }
}
