/// RandomCrop at inference. tf-keras: Keras's `smart_resize` to `(height, width)` (the largest centered window of
/// the target's aspect ratio, resized bilinearly), whatever the input size. Keras 3 returns the input unchanged
/// at inference although it declares a `(height, width)` output, so a Keras 3 file is read only where the input
/// already has that size (where both agree).
public struct RandomCrop: ImageResizingKind, Equatable {
  public static let kerasClassNames = ["RandomCrop"]
  public static let operationNames = ["random_crop"]

  public var height: Int
  public var width: Int
  public var interpolation: ResizeInterpolation { .bilinear }

  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }

  enum CodingKeys: String, CodingKey {
    case height, width
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    height = try container.imageSize(.height)
    width = try container.imageSize(.width)
    if let context = decoder.layerContext, case .keras(let major) = context.source, major >= 3 {
      let input = context.inputShapes.first
      guard let input, input.rank == 4, input.dimensions[1] == height, input.dimensions[2] == width else {
        throw container.failure(
          .height,
          "Keras 3's RandomCrop(\(height), \(width)) returns its input unchanged at inference (training=False) while declaring a (\(height), \(width)) output; kerasvis reads it only on inputs of that size, not \(input.map { "\($0)" } ?? "an unknown shape")"
        )
      }
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(height, forKey: .height)
    try container.encode(width, forKey: .width)
  }

  public func window(inputHeight: Int, inputWidth: Int) -> ResizeWindow {
    .aspectCrop(inputHeight: inputHeight, inputWidth: inputWidth, height: height, width: width)
  }
}
