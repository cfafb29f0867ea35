/// Identity, and every layer that does nothing at inference (Dropout and its kinds, GaussianNoise,
/// ActivityRegularization, StochasticDepth, the random augmentations RandomFlip, RandomRotation, RandomZoom,
/// RandomTranslation, RandomContrast, RandomBrightness and tf-keras's RandomHeight and RandomWidth): `y = x`.
public struct Identity: LayerKind, Equatable {
  public static let kerasClassNames = [
    "Identity", "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "StochasticDepth", "RandomFlip", "RandomRotation",
    "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomHeight", "RandomWidth",
  ]
  public static let operationNames = ["identity"]

  public init() {}

  public init(from decoder: any Decoder) throws {}

  public func encode(to encoder: any Encoder) throws {
    _ = encoder.container(keyedBy: IdentityCodingKeys.self)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    guard !inputs.isEmpty else { throw ShapeProblem(detail: "expects an input") }
    return [inputs[0]]
  }
}

private enum IdentityCodingKeys: CodingKey {}
