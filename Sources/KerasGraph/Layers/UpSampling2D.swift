/// UpSampling2D: height and width multiplied by `size`, repeating rows and columns (`nearest`) or interpolating
/// (`bilinear`, half-pixel centers as `tf.image.resize`).
public struct UpSampling2D: ChannelsLastLayout, Equatable {
  public static let kerasClassNames = ["UpSampling2D"]
  public static let operationNames = ["up_sampling2d"]

  public var size: [Int]
  /// `nearest` or `bilinear`.
  public var interpolation: String

  public init(size: [Int] = [2, 2], interpolation: String = "nearest") {
    self.size = size
    self.interpolation = interpolation
  }

  enum CodingKeys: String, CodingKey {
    case size, interpolation
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    interpolation = try container.string(.interpolation, default: "nearest")
    guard ["nearest", "bilinear"].contains(interpolation) else {
      throw container.failure(.interpolation, "'\(interpolation)' is not supported (nearest, bilinear)")
    }
    size = try container.tuple(.size, default: [2, 2])
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(size, forKey: .size)
    try container.encode(interpolation, forKey: .interpolation)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [spatialShape(inputs[0], channels: inputs[0].last) { axis, length in length.map { $0 * size[axis] } }]
  }
}
