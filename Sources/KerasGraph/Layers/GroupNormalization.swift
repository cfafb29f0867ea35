/// GroupNormalization (Wu & He, arXiv 1803.08494): the `C` channels of `axis` split into `groups` groups of
/// `C / groups`; per sample and group, mean and biased variance over every other non-batch axis and the group's
/// channels; `y = (x - mean) * rsqrt(variance + epsilon) * gamma + beta`. `groups = -1` (or `C`) normalizes each
/// channel alone. Weights `gamma` (if `scale`), `beta` (if `center`), each `(C)`.
public struct GroupNormalization: LayerKind, Equatable {
  public static let kerasClassNames = ["GroupNormalization"]
  public static let operationNames = ["group_normalization"]

  /// The number of groups as written (-1: one per channel).
  public var groups: Int
  /// The channel axis as written (negative counts from the end).
  public var axis: Int
  public var epsilon: Float
  public var center: Bool
  public var scale: Bool

  public init(groups: Int = 32, axis: Int = -1, epsilon: Float = 1e-3, center: Bool = true, scale: Bool = true) {
    self.groups = groups
    self.axis = axis
    self.epsilon = epsilon
    self.center = center
    self.scale = scale
  }

  enum CodingKeys: String, CodingKey {
    case groups, axis, epsilon, center, scale
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    groups = try container.int(.groups, default: 32)
    guard groups == -1 || groups > 0 else {
      throw container.failure(.groups, "expected -1 or a positive count, found \(groups)")
    }
    let axes = try container.axes(.axis, default: [-1], context: decoder.layerContext)
    guard axes.count == 1 else { throw container.failure(.axis, "expected one axis, found \(axes)") }
    axis = axes[0]
    epsilon = try container.float(.epsilon, default: 1e-3)
    center = try container.bool(.center, default: true)
    scale = try container.bool(.scale, default: true)
  }

  /// The channel axis for an input of `rank`.
  public func normalizedAxis(rank: Int) throws -> Int { try KerasGraph.normalizedAxis(axis, rank: rank) }

  /// The number of groups for `channels` channels.
  public func groupCount(channels: Int) -> Int { groups == -1 ? channels : groups }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    let channels = try knownSize(inputs[0], axis: try normalizedAxis(rank: inputs[0].rank))
    let count = groupCount(channels: channels)
    guard count <= channels, channels % count == 0 else {
      throw ShapeProblem(detail: "groups=\(groups) must divide the \(channels) channels")
    }
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    let channels = try knownSize(inputs[0], axis: try normalizedAxis(rank: inputs[0].rank))
    return (scale ? [WeightSpecification(name: "gamma", shape: [channels])] : [])
      + (center ? [WeightSpecification(name: "beta", shape: [channels])] : [])
  }
}
