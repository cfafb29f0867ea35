/// LeakyReLU: `x` for x >= 0, `negative_slope * x` otherwise (Keras 2 calls the slope `alpha`, default 0.3).
public struct LeakyReLU: LayerKind, Equatable {
  public static let kerasClassNames = ["LeakyReLU"]
  public static let operationNames = ["leaky_relu"]

  public var negativeSlope: Float

  public init(negativeSlope: Float = 0.3) {
    self.negativeSlope = negativeSlope
  }

  enum CodingKeys: String, CodingKey {
    case negativeSlope = "negative_slope"
    case alpha
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    negativeSlope =
      try container.value(.negativeSlope) != nil
      ? try container.float(.negativeSlope) : try container.float(.alpha, default: 0.3)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(negativeSlope, forKey: .negativeSlope)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }
}
