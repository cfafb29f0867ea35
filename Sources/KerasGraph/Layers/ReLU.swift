/// ReLU layer: `max_value` for x >= max_value, `x` for threshold <= x < max_value, `negative_slope (x - threshold)`
/// below the threshold.
public struct ReLU: LayerKind, Equatable {
  public static let kerasClassNames = ["ReLU"]
  public static let operationNames = ["relu"]

  public var maxValue: Float?
  public var negativeSlope: Float
  public var threshold: Float

  public init(maxValue: Float? = nil, negativeSlope: Float = 0, threshold: Float = 0) {
    self.maxValue = maxValue
    self.negativeSlope = negativeSlope
    self.threshold = threshold
  }

  enum CodingKeys: String, CodingKey {
    case maxValue = "max_value"
    case negativeSlope = "negative_slope"
    case threshold
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    maxValue = try container.optionalFloat(.maxValue)
    negativeSlope = try container.float(.negativeSlope, default: 0)
    threshold = try container.float(.threshold, default: 0)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(maxValue.map(JSONValue.float) ?? .null, forKey: .maxValue)
    try container.encode(negativeSlope, forKey: .negativeSlope)
    try container.encode(threshold, forKey: .threshold)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }
}
