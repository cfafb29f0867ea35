/// Cropping2D: rows and columns removed on each side of an NHWC input.
public struct Cropping2D: LayerKind, Equatable {
  public static let kerasClassNames = ["Cropping2D"]
  public static let operationNames = ["cropping2d"]

  public var cropping: Edges2D

  public init(cropping: Edges2D) {
    self.cropping = cropping
  }

  enum CodingKeys: String, CodingKey {
    case cropping
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    cropping = try Edges2D(keras: try container.value(.cropping), field: "cropping")
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(cropping.json, forKey: .cropping)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [
      try spatialShape(inputs[0], channels: inputs[0].last) { axis, length in
        guard let length else { return nil }
        let remaining = length - (axis == 0 ? cropping.top + cropping.bottom : cropping.left + cropping.right)
        guard remaining > 0 else { throw ShapeProblem(detail: "cropping removes all of an axis of size \(length)") }
        return remaining
      }
    ]
  }
}
