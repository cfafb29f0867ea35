/// What UpSampling1D and UpSampling3D share: each spatial axis's elements repeated `size` times (Keras's
/// `repeat_elements`, which equals nearest-neighbour resizing by an integer factor).
public protocol RepeatingUpSamplingKind: ChannelsLastLayout {
  /// The number of spatial axes (1 or 3).
  static var spatialRank: Int { get }
  /// The repetitions along each spatial axis.
  var size: [Int] { get }
  init(size: [Int])
}

enum RepeatingUpSamplingCodingKeys: String, CodingKey {
  case size
  case dataFormat = "data_format"
}

extension RepeatingUpSamplingKind {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: RepeatingUpSamplingCodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    self.init(
      size: try container.tuple(.size, count: Self.spatialRank, default: [Int](repeating: 2, count: Self.spatialRank))
    )
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: RepeatingUpSamplingCodingKeys.self)
    try container.encode(size, forKey: .size)
  }

  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: Self.spatialRank + 2)
    return [spatialShape(inputs[0], channels: inputs[0].last) { axis, length in length.map { $0 * size[axis] } }]
  }
}
