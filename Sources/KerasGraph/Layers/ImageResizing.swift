/// What Keras's image-resizing layers (Resizing, CenterCrop, RandomCrop) compute at inference: a window of the
/// NHWC input (`ResizeWindow`, which may reach outside it), resized to `(height, width)` as `tf.image.resize`
/// does (half-pixel centers, no antialiasing).
public protocol ImageResizingKind: LayerKind {
  /// The output height.
  var height: Int { get }
  /// The output width.
  var width: Int { get }
  /// How the window is resized to `(height, width)`.
  var interpolation: ResizeInterpolation { get }
  /// The window of an input of `inputHeight x inputWidth` that is resized to the output.
  func window(inputHeight: Int, inputWidth: Int) -> ResizeWindow
}

extension ImageResizingKind {
  public func outputShapes(inputs: [TensorShape]) throws -> [TensorShape] {
    try requireInputs(inputs, rank: 4)
    return [spatialShape(inputs[0], channels: inputs[0].last) { axis, _ in axis == 0 ? height : width }]
  }
}

/// What CenterCrop and RandomCrop share: a `(height, width)` target read from those config fields (channels last),
/// resized bilinearly; `checkTarget` lets a kind refuse a target for its decoding context.
public protocol CropKind: ImageResizingKind {
  init(height: Int, width: Int)
  /// Checks the decoded target against the decoding context (default: accepts it).
  /// - Throws: `LayerConfigError` naming the field.
  static func checkTarget(height: Int, width: Int, context: LayerDecodingContext?) throws
}

enum CropCodingKeys: String, CodingKey {
  case height, width
  case dataFormat = "data_format"
}

extension CropKind {
  public var interpolation: ResizeInterpolation { .bilinear }

  public static func checkTarget(height: Int, width: Int, context: LayerDecodingContext?) throws {}

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CropCodingKeys.self)
    try container.requireChannelsLast(.dataFormat)
    let (height, width) = (try container.imageSize(.height), try container.imageSize(.width))
    try Self.checkTarget(height: height, width: width, context: decoder.layerContext)
    self.init(height: height, width: width)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CropCodingKeys.self)
    try container.encode(height, forKey: .height)
    try container.encode(width, forKey: .width)
  }
}

/// `tf.image.resize`'s methods kerasvis computes (half-pixel centers, `antialias=False`).
public enum ResizeInterpolation: String, Sendable, Codable, CaseIterable {
  /// `in = (out + 0.5) * in_size / out_size - 0.5`, the two neighbours weighted by the fraction (clamped).
  case bilinear
  /// `in = min(floor((out + 0.5) * in_size / out_size), in_size - 1)`.
  case nearest
}

/// Rows `top..<top + height` and columns `left..<left + width` of an image; pixels outside the image read
/// `fillValue` (Keras 3's `pad_to_aspect_ratio`).
public struct ResizeWindow: Sendable, Equatable {
  /// The first row (negative: padding above).
  public var top: Int
  /// The first column (negative: padding on the left).
  public var left: Int
  /// The number of rows.
  public var height: Int
  /// The number of columns.
  public var width: Int
  /// The value of pixels outside the image.
  public var fillValue: Float

  /// The window with the given rows and columns.
  public init(top: Int, left: Int, height: Int, width: Int, fillValue: Float = 0) {
    self.top = top
    self.left = left
    self.height = height
    self.width = width
    self.fillValue = fillValue
  }

  /// The whole image.
  public static func whole(height: Int, width: Int) -> ResizeWindow {
    ResizeWindow(top: 0, left: 0, height: height, width: width)
  }

  /// Keras's `smart_resize` crop: the largest centered window of the target's aspect ratio,
  /// `crop_h = max(min(H, W * h // w), 1)`, `top = (H - crop_h) // 2` (and the same across).
  public static func aspectCrop(inputHeight: Int, inputWidth: Int, height: Int, width: Int) -> ResizeWindow {
    let cropHeight = max(min(inputHeight, inputWidth * height / width), 1)
    let cropWidth = max(min(inputWidth, inputHeight * width / height), 1)
    return ResizeWindow(
      top: (inputHeight - cropHeight) / 2, left: (inputWidth - cropWidth) / 2, height: cropHeight, width: cropWidth)
  }

  /// Keras 3's `pad_to_aspect_ratio`: `pad_h = max(H, W * h // w)`, `(pad_h - H) // 2` rows of `fillValue` above
  /// and below the image (and the same across).
  public static func aspectPad(inputHeight: Int, inputWidth: Int, height: Int, width: Int, fillValue: Float)
    -> ResizeWindow
  {
    let top = (max(inputHeight, inputWidth * height / width) - inputHeight) / 2
    let left = (max(inputWidth, inputHeight * width / height) - inputWidth) / 2
    return ResizeWindow(
      top: -top, left: -left, height: inputHeight + 2 * top, width: inputWidth + 2 * left, fillValue: fillValue)
  }
}

extension KeyedDecodingContainer {
  /// A `height` or `width` of a resizing layer: an integer in `1...2^16`.
  func imageSize(_ key: Key) throws -> Int { try positiveInt(key, limit: 1 << 16) }
}
