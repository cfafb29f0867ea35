/// InputLayer: passes a graph input through.
public struct InputLayer: LayerKind, Equatable {
  public static let kerasClassNames = ["InputLayer"]
  public static let operationNames = ["input"]

  public init() {}

  public init(from decoder: any Decoder) throws {}

  public func encode(to encoder: any Encoder) throws {
    _ = encoder.container(keyedBy: InputCodingKeys.self)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] { inputs }
}

private enum InputCodingKeys: CodingKey {}
