/// UnitNormalization: `y = x / sqrt(max(sum(x^2), minimumSquaredNorm))` with the sum over `axis` per sample (an L2
/// normalization). tf-keras clamps the squared sum at 1e-12 (`tf.linalg.l2_normalize`); Keras 3 clamps the norm at
/// 1e-12 (`ops.normalize`), a squared sum of 1e-24. No weights.
public struct UnitNormalization: LayerKind, Equatable {
  public static let kerasClassNames = ["UnitNormalization"]
  public static let operationNames = ["unit_normalization"]

  /// The summed axes as written (negative counts from the end).
  public var axis: [Int]
  /// The smallest squared sum divided by (1e-12 for files of Keras 2, 1e-24 for Keras 3).
  public var minimumSquaredNorm: Float

  public init(axis: [Int] = [-1], minimumSquaredNorm: Float = 1e-24) {
    self.axis = axis
    self.minimumSquaredNorm = minimumSquaredNorm
  }

  enum CodingKeys: String, CodingKey {
    case axis
    case minimumSquaredNorm = "minimum_squared_norm"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    axis = try container.axes(.axis, default: [-1], context: context)
    let kerasDefault: Float = context?.source == .keras(major: 2) ? 1e-12 : 1e-24
    minimumSquaredNorm = try container.float(.minimumSquaredNorm, default: kerasDefault)
  }

  /// The summed axes for an input of `rank`, non-negative.
  public func normalizedAxes(rank: Int) throws -> [Int] { try axis.map { try normalizedAxis($0, rank: rank) } }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    _ = try normalizedAxes(rank: inputs[0].rank)
    return inputs
  }
}
