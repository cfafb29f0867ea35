/// BatchNormalization at inference: `y = gamma (x - moving_mean) / sqrt(moving_variance + epsilon) + beta` along
/// one feature axis. Weights `gamma` (if `scale`), `beta` (if `center`), `moving_mean`, `moving_variance`, each
/// `(size of axis)`.
public struct BatchNormalization: LayerKind, Equatable {
  public static let kerasClassNames = ["BatchNormalization"]
  public static let operationNames = ["batch_normalization"]

  /// The normalized (feature) axis as written: negative counts from the end.
  public var axis: Int
  public var epsilon: Float
  /// Whether `beta` exists.
  public var center: Bool
  /// Whether `gamma` exists.
  public var scale: Bool

  public init(axis: Int = -1, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true) {
    self.axis = axis
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
  }

  enum CodingKeys: String, CodingKey {
    case axis, epsilon, center, scale
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let axes = try container.axes(.axis, default: [-1], context: decoder.layerContext)
    guard axes.count == 1 else {
      throw container.failure(.axis, "normalizing over several axes (\(axes)) is not supported")
    }
    axis = axes[0]
    epsilon = try container.float(.epsilon, default: 1e-3)
    center = try container.bool(.center, default: true)
    scale = try container.bool(.scale, default: true)
  }

  /// The feature axis for an input of `rank`.
  public func normalizedAxis(rank: Int) throws -> Int { try KerasGraph.normalizedAxis(axis, rank: rank) }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    _ = try knownSize(inputs[0], axis: try normalizedAxis(rank: inputs[0].rank))
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let size = try knownSize(inputs[0], axis: try normalizedAxis(rank: inputs[0].rank))
    return (scale ? [WeightSpecification(name: "gamma", shape: [size])] : [])
      + (center ? [WeightSpecification(name: "beta", shape: [size])] : []) + [
        WeightSpecification(name: "moving_mean", shape: [size], trainable: false),
        WeightSpecification(name: "moving_variance", shape: [size], trainable: false),
      ]
  }
}
