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
      guard case .model(let inner) = layer.operation else { throw GraphModificationError.noLayer(address: address) }
      layer.operation = .model(try inner.replacingActivation(ofLayerAt: Array(address.dropFirst()), with: activation))
      graph.layers[first] = layer
      return graph
    }
    let location = LayerLocation(path: layer.name, index: layer.index, className: layer.className)
    switch layer.operation {
    case .convolution2D(var config):
      config.activation = activation
      layer.operation = .convolution2D(config)
    case .depthwiseConvolution2D(var config):
      config.activation = activation
      layer.operation = .depthwiseConvolution2D(config)
    case .separableConvolution2D(var config):
      config.activation = activation
      layer.operation = .separableConvolution2D(config)
    case .transposedConvolution2D(var config):
      config.activation = activation
      layer.operation = .transposedConvolution2D(config)
    case .dense(var config):
      config.activation = activation
      layer.operation = .dense(config)
    case .activation:
      layer.operation = .activation(activation)
    case .softmax:
      layer.operation = activation == .linear ? .identity : .activation(activation)
    default:
      throw GraphModificationError.noActivation(layer: location)
    }
    graph.layers[first] = layer
    return graph
  }

  /// The activation of the layer at `address`, when it has one.
  public func activation(ofLayerAt address: [Int]) -> ActivationFunction? {
    guard let layer = layer(atAddress: address) else { return nil }
    switch layer.operation {
    case .convolution2D(let config): return config.activation
    case .depthwiseConvolution2D(let config): return config.activation
    case .separableConvolution2D(let config): return config.activation
    case .transposedConvolution2D(let config): return config.activation
    case .dense(let config): return config.activation
    case .activation(let function): return function
    case .softmax: return .softmax
    default: return nil
    }
  }
}
