/// Resizing: the input resized to `(height, width)` by `tf.image.resize` (`bilinear` or `nearest`, half-pixel
/// centers), after `crop_to_aspect_ratio`'s centered crop or Keras 3's `pad_to_aspect_ratio` padding.
public struct Resizing: ImageResizingKind, Equatable {
  public static let kerasClassNames = ["Resizing"]
  public static let operationNames = ["resizing"]

  public var height: Int
  public var width: Int
  public var interpolation: ResizeInterpolation
  /// Crops the largest centered window of the target's aspect ratio first (Keras's `smart_resize`).
  public var cropToAspectRatio: Bool
  /// Pads the short side evenly with `fillValue` to the target's aspect ratio first (Keras 3).
  public var padToAspectRatio: Bool
  /// The padding value of `padToAspectRatio`.
  public var fillValue: Float

  public init(
    height: Int, width: Int, interpolation: ResizeInterpolation = .bilinear, cropToAspectRatio: Bool = false,
    padToAspectRatio: Bool = false, fillValue: Float = 0
  ) {
    self.height = height
    self.width = width
    self.interpolation = interpolation
    self.cropToAspectRatio = cropToAspectRatio
    self.padToAspectRatio = padToAspectRatio
    self.fillValue = fillValue
  }

  enum CodingKeys: String, CodingKey {
    case height, width, interpolation, antialias
    case cropToAspectRatio = "crop_to_aspect_ratio"
    case padToAspectRatio = "pad_to_aspect_ratio"
    case fillMode = "fill_mode"
    case fillValue = "fill_value"
    case dataFormat = "data_format"
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    height = try container.imageSize(.height)
    width = try container.imageSize(.width)
    let method = try container.string(.interpolation, default: "bilinear")
    guard let interpolation = ResizeInterpolation(rawValue: method) else {
      throw container.failure(.interpolation, "'\(method)' is not supported (bilinear, nearest)")
    }
    self.interpolation = interpolation
    cropToAspectRatio = try container.bool(.cropToAspectRatio, default: false)
    padToAspectRatio = try container.bool(.padToAspectRatio, default: false)
    guard !(cropToAspectRatio && padToAspectRatio) else {
      throw container.failure(.padToAspectRatio, "cannot be true together with crop_to_aspect_ratio")
    }
    let fillMode = try container.string(.fillMode, default: "constant")
    guard fillMode == "constant" else {
      throw container.failure(.fillMode, "'\(fillMode)' is not supported (constant)")
    }
    fillValue = try container.float(.fillValue, default: 0)
    guard try !container.bool(.antialias, default: false) else {
      throw container.failure(.antialias, "true is not supported (tf.image.resize without antialiasing only)")
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(height, forKey: .height)
    try container.encode(width, forKey: .width)
    try container.encode(interpolation, forKey: .interpolation)
    try container.encode(cropToAspectRatio, forKey: .cropToAspectRatio)
    try container.encode(padToAspectRatio, forKey: .padToAspectRatio)
    try container.encode(fillValue, forKey: .fillValue)
  }

  public func window(inputHeight: Int, inputWidth: Int) -> ResizeWindow {
    if cropToAspectRatio {
      return .aspectCrop(inputHeight: inputHeight, inputWidth: inputWidth, height: height, width: width)
    }
    if padToAspectRatio {
      return .aspectPad(
        inputHeight: inputHeight, inputWidth: inputWidth, height: height, width: width, fillValue: fillValue)
    }
    return .whole(height: inputHeight, width: inputWidth)
  }
}
