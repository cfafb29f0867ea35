/// Softmax layer: `exp(x) / sum(exp(x))` over `axis` (an int or a list).
public struct Softmax: LayerKind, Equatable {
  public static let kerasClassNames = ["Softmax"]
  public static let operationNames = ["softmax"]

  /// The axes as written (negative counts from the end).
  public var axis: [Int]

  public init(axis: [Int] = [-1]) {
    self.axis = axis
  }

  enum CodingKeys: String, CodingKey {
    /// Format-version-1 native files wrote the normalized list as `axes`.
    case axis, axes
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    axis =
      container.contains(.axis)
      ? try container.axes(.axis, default: [-1], context: context)
      : try container.axes(.axes, default: [-1], context: context)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(axis, forKey: .axis)
  }

  /// The axes for an input of `rank`, non-negative.
  public func normalizedAxes(rank: Int) throws -> [Int] { try axis.map { try normalizedAxis($0, rank: rank) } }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    _ = try normalizedAxes(rank: inputs[0].rank)
    return inputs
  }
}
