/// Flatten: `(N, d1, d2, ...)` to `(N, d1 * d2 * ...)` in row-major (channels-last) order.
public struct Flatten: ChannelsLastLayout, Equatable {
  public static let kerasClassNames = ["Flatten"]
  public static let operationNames = ["flatten"]

  public init() {}

  enum CodingKeys: String, CodingKey {
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    try decoder.container(keyedBy: CodingKeys.self).requireChannelsLast(.dataFormat)
  }

  public func encode(to encoder: any Encoder) throws {
    _ = encoder.container(keyedBy: CodingKeys.self)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs)
    return [TensorShape([nil, inputs[0].elementsPerSample])]
  }
}
