/// ZeroPadding2D: zero rows and columns added on each side of an NHWC input.
public struct ZeroPadding2D: LayerKind, Equatable {
  public static let kerasClassNames = ["ZeroPadding2D"]
  public static let operationNames = ["zero_padding2d"]

  public var padding: Edges2D

  public init(padding: Edges2D) {
    self.padding = padding
  }

  enum CodingKeys: String, CodingKey {
    case padding
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    padding = try Edges2D(keras: try container.value(.padding), field: "padding")
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(padding.json, forKey: .padding)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [
      spatialShape(inputs[0], channels: inputs[0].last) { axis, length in
        length.map { $0 + (axis == 0 ? padding.top + padding.bottom : padding.left + padding.right) }
      }
    ]
  }
}
