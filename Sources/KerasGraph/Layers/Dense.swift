/// Dense: `y = x @ kernel + bias` on the last axis (the activation is the layer's own node). Kernel `(in, units)`,
/// bias `(units)`; input `(N, ..., in)`, output `(N, ..., units)`.
public struct Dense: LayerKind, Equatable {
  public static let kerasClassNames = ["Dense"]
  public static let operationNames = ["dense"]
  public static let splitsActivation = true

  public var units: Int
  public var useBias: Bool

  public init(units: Int, useBias: Bool = true) {
    self.units = units
    self.useBias = useBias
  }

  enum CodingKeys: String, CodingKey {
    case units
    case useBias = "use_bias"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    units = try container.positiveInt(.units)
    useBias = try container.bool(.useBias, default: true)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    guard inputs[0].rank >= 2 else { throw ShapeProblem(detail: "Dense needs an input of rank 2 or more") }
    _ = try channelCount(inputs[0])
    var output = inputs[0]
    output.dimensions[output.rank - 1] = units
    return [output]
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    [WeightSpecification(name: "kernel", shape: [try channelCount(inputs[0]), units])]
      + (useBias ? [WeightSpecification(name: "bias", shape: [units])] : [])
  }
}
