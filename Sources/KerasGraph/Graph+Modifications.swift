/// Why a graph modification cannot be made.
public enum GraphModificationError: Error, CustomStringConvertible, Equatable {
  /// No layer is at the address.
  case noLayer(address: [Int])
  /// The layer has no activation to replace.
  case noActivation(layer: LayerLocation)

  public var description: String {
    switch self {
    case .noLayer(let address): return "no layer at address \(address)"
    case .noActivation(let layer): return "\(layer) has no activation to replace"
    }
  }
}

extension Graph {
  /// The graph with the activation of the layer at `address` replaced by `activation`, in place (keras-vis's
  /// `model.layers[idx].activation = ...; apply_modifications(model)`, without saving and reloading).
  ///
  /// Applies to layers with an `activation` (Dense, Conv2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose),
  /// to `Activation` layers, and to `Softmax` layers (which become linear when `activation` is linear).
  /// - Throws: `GraphModificationError` when there is no such layer or it has no activation.
  public func replacingActivation(ofLayerAt address: [Int], with activation: ActivationFunction) throws -> Graph {
    guard let first = address.first, layers.indices.contains(first) else {
      throw GraphModificationError.noLayer(address: address)
    }
    var graph = self
    var layer = layers[first]
    if address.count > 1 {
      guard let inner = layer.nestedGraph else { throw GraphModificationError.noLayer(address: address) }
      layer.nestedGraph = try inner.replacingActivation(ofLayerAt: Array(address.dropFirst()), with: activation)
      graph.layers[first] = layer
      return graph
    }
    if layer.activation != nil {
      layer.activation = activation
    } else if layer.kind is Activation {
      layer.kind = Activation(activation)
    } else if layer.kind is Softmax {
      layer.kind = activation == .linear ? Identity() : Activation(activation)
    } else {
      throw GraphModificationError.noActivation(layer: layer.location())
    }
    graph.layers[first] = layer
    return graph
  }

  /// The activation of the layer at `address`, when it has one.
  public func activation(ofLayerAt address: [Int]) -> ActivationFunction? {
    guard let layer = layer(atAddress: address) else { return nil }
    if let activation = layer.activation { return activation }
    if let activation = layer.kind as? Activation { return activation.function }
    if layer.kind is Softmax { return .softmax }
    return nil
  }
}

extension Graph {
  /// The graph with every top-level MultiHeadAttention exposing its attention probabilities as its output 1
  /// (`(N, heads, T, S)` for sequences; the layers that return them already keep them there), and the indices of
  /// those layers in call order (attention rollout reads them).
  /// - Throws: `ShapeProblem` when a layer's shapes do not fit (not for a validated graph).
  public func exposingAttentionScores() throws -> (graph: Graph, layers: [Int]) {
    var graph = self
    var indices: [Int] = []
    for index in layers.indices {
      guard var attention = layers[index].kind as? MultiHeadAttention else { continue }
      indices.append(index)
      if attention.returnAttentionScores || attention.exposesAttentionScores { continue }
      attention.exposesAttentionScores = true
      graph.layers[index].kind = attention
      for node in layers[index].nodes.indices {
        let inputShapes = layers[index].nodes[node].inputs.compactMap { shape(of: $0) }
        graph.layers[index].nodes[node].outputShapes = try attention.outputShapes(inputs: inputShapes)
      }
    }
    return (graph, indices)
  }
}

extension Graph {
  /// Makes every reader of `source` (layer and operation calls, and the model outputs) read `replacement` instead,
  /// for inserting a layer after `source`. The layer that produces `replacement` must not read `source` through
  /// this graph yet (append it after rewiring).
  public mutating func redirectReaders(of source: TensorSource, to replacement: TensorSource) {
    func rewired(_ sources: [TensorSource]) -> [TensorSource] { sources.map { $0 == source ? replacement : $0 } }
    for index in layers.indices {
      for call in layers[index].nodes.indices {
        layers[index].nodes[call].inputs = rewired(layers[index].nodes[call].inputs)
      }
    }
    for index in operations.indices {
      for call in operations[index].nodes.indices {
        operations[index].nodes[call].inputs = rewired(operations[index].nodes[call].inputs)
      }
    }
    outputs = rewired(outputs)
  }
}
