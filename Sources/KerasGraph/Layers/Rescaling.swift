/// Rescaling: `y = x * scale + offset`, each a scalar or a per-channel list. Also what arithmetic with a constant
/// (`x * 0.5`, TFOpLambda `x + 3.0`) imports as.
public struct Rescaling: LayerKind, Equatable {
  public static let kerasClassNames = ["Rescaling"]
  public static let operationNames = ["rescaling"]

  public var scale: [Float]
  public var offset: [Float]

  public init(scale: [Float] = [1], offset: [Float] = [0]) {
    self.scale = scale
    self.offset = offset
  }

  enum CodingKeys: String, CodingKey {
    case scale, offset
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    scale = try container.floatList(.scale) ?? [1]
    offset = try container.floatList(.offset) ?? [0]
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(JSONValue.floats(scale), forKey: .scale)
    try container.encode(JSONValue.floats(offset), forKey: .offset)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return inputs
  }
}
