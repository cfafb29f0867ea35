/// LayerNormalization: per sample, `y = gamma (x - mean) / sqrt(variance + epsilon) + beta` with mean and (biased)
/// variance over `axis`; with Keras 3's `rms_scaling`, `y = gamma x / sqrt(mean(x^2) + epsilon)`. `gamma`,
/// `beta` have the shape of the normalized axes.
public struct LayerNormalization: LayerKind, Equatable {
  public static let kerasClassNames = ["LayerNormalization"]
  public static let operationNames = ["layer_normalization"]

  /// The normalized axes as written (negative counts from the end).
  public var axis: [Int]
  public var epsilon: Float
  public var center: Bool
  public var scale: Bool
  /// Keras 3's `rms_scaling`: divide by the root mean square, no centering.
  public var rmsScaling: Bool

  public init(
    axis: [Int] = [-1], epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true, rmsScaling: Bool = false
  ) {
    self.axis = axis
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
    self.rmsScaling = rmsScaling
  }

  enum CodingKeys: String, CodingKey {
    /// Format-version-1 native files wrote the normalized list as `axes`.
    case axis, axes, epsilon, center, scale
    case rmsScaling = "rms_scaling"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    axis =
      container.contains(.axis)
      ? try container.axes(.axis, default: [-1], context: context)
      : try container.axes(.axes, default: [-1], context: context)
    epsilon = try container.float(.epsilon, default: 1e-3)
    center = try container.bool(.center, default: true)
    scale = try container.bool(.scale, default: true)
    rmsScaling = try container.bool(.rmsScaling, default: false)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(axis, forKey: .axis)
    try container.encode(epsilon, forKey: .epsilon)
    try container.encode(center, forKey: .center)
    try container.encode(scale, forKey: .scale)
    try container.encode(rmsScaling, forKey: .rmsScaling)
  }

  /// The normalized axes for an input of `rank`, non-negative.
  public func normalizedAxes(rank: Int) throws -> [Int] { try axis.map { try normalizedAxis($0, rank: rank) } }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    _ = try normalizedAxes(rank: inputs[0].rank)
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let shape = try normalizedAxes(rank: inputs[0].rank).map { try knownSize(inputs[0], axis: $0) }
    return (scale || rmsScaling ? [WeightSpecification(name: "gamma", shape: shape)] : [])
      + (center && !rmsScaling ? [WeightSpecification(name: "beta", shape: shape)] : [])
  }
}
