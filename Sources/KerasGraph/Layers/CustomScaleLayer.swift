/// keras.applications InceptionResNetV2's `CustomScaleLayer`: `y = inputs[0] + inputs[1] * scale`.
public struct CustomScaleLayer: LayerKind, Equatable {
  public static let kerasClassNames = ["CustomScaleLayer"]
  public static let operationNames = ["scaled_sum"]

  public var scale: Float

  public init(scale: Float) {
    self.scale = scale
  }

  enum CodingKeys: String, CodingKey {
    case scale
  }

  public init(from decoder: any Decoder) throws {
    scale = try decoder.container(keyedBy: CodingKeys.self).float(.scale)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(scale, forKey: .scale)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, count: 2)
    return [try broadcastShapes(inputs[0], inputs[1])]
  }
}
