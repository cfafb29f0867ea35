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
