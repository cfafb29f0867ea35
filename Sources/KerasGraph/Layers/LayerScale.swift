/// keras.applications ConvNeXt's `LayerScale`: `y = x * gamma` with a per-channel weight `gamma`
/// `(projection_dim)`.
public struct LayerScale: LayerKind, Equatable {
  public static let kerasClassNames = ["LayerScale"]
  public static let operationNames = ["layer_scale"]

  public var projectionDim: Int

  public init(projectionDim: Int) {
    self.projectionDim = projectionDim
  }

  enum CodingKeys: String, CodingKey {
    case projectionDim = "projection_dim"
  }

  public init(from decoder: any Decoder) throws {
    projectionDim = try decoder.container(keyedBy: CodingKeys.self).positiveInt(.projectionDim)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }

  public func weightSpecifications(inputs: [TensorShape]) throws -> [WeightSpecification] {
    [WeightSpecification(name: "gamma", shape: [projectionDim])]
  }
}
