/// ELU layer: `x` for x > 0, `alpha (exp(x) - 1)` otherwise.
public struct ELU: LayerKind, Equatable {
  public static let kerasClassNames = ["ELU"]
  public static let operationNames = ["elu"]

  public var alpha: Float

  public init(alpha: Float = 1) {
    self.alpha = alpha
  }

  enum CodingKeys: String, CodingKey {
    case alpha
  }

  public init(from decoder: any Decoder) throws {
    alpha = try decoder.container(keyedBy: CodingKeys.self).float(.alpha, default: 1)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }
}
