/// Normalization (the preprocessing layer): `y = (x - mean) / max(sqrt(variance), epsilon)`, or with `invert`
/// `y = x * max(sqrt(variance), epsilon) + mean`. The statistics come from the config (`mean`, `variance`) or
/// from the adapted weights `mean`, `variance`, `count`, shaped like the kept `axis`.
public struct Normalization: LayerKind, Equatable {
  public static let kerasClassNames = ["Normalization"]
  public static let operationNames = ["normalization"]

  /// The axes that keep their own statistics as written (empty: one statistic for everything).
  public var axis: [Int]
  public var mean: [Float]?
  public var variance: [Float]?
  public var invert: Bool

  public init(axis: [Int] = [-1], mean: [Float]? = nil, variance: [Float]? = nil, invert: Bool = false) {
    self.axis = axis
    self.mean = mean
    self.variance = variance
    self.invert = invert
  }

  enum CodingKeys: String, CodingKey {
    /// Format-version-1 native files wrote the normalized list as `axes`.
    case axis, axes, mean, variance, invert
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    let context = decoder.layerContext
    if container.contains(.axis), try container.decodeNil(forKey: .axis) {
      axis = []
    } else if container.contains(.axis) {
      axis = try container.axes(.axis, default: [-1], context: context)
    } else {
      axis = try container.axes(.axes, default: [-1], context: context)
    }
    mean = try container.floatList(.mean)
    variance = try container.floatList(.variance)
    invert = try container.bool(.invert, default: false)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(axis, forKey: .axis)
    try container.encode(mean.map(JSONValue.floats) ?? .null, forKey: .mean)
    try container.encode(variance.map(JSONValue.floats) ?? .null, forKey: .variance)
    try container.encode(invert, forKey: .invert)
  }

  /// The kept axes for an input of `rank`, non-negative.
  public func normalizedAxes(rank: Int) throws -> [Int] { try axis.map { try normalizedAxis($0, rank: rank) } }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    _ = try normalizedAxes(rank: inputs[0].rank)
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    guard mean == nil || variance == nil else { return [] }
    let shape = try normalizedAxes(rank: inputs[0].rank).map { try knownSize(inputs[0], axis: $0) }
    return [
      WeightSpecification(name: "mean", shape: shape, trainable: false),
      WeightSpecification(name: "variance", shape: shape, trainable: false),
      WeightSpecification(name: "count", shape: [], trainable: false),
    ]
  }
}
