import Foundation

/// The result of ``loadImage(_:colorMode:targetSize:interpolation:keepAspectRatio:)``: an 8-bit image, or a 16-bit
/// grayscale one when Keras would keep Pillow's `I;16` mode (16-bit grayscale PNG with `color_mode="grayscale"`).
public enum LoadedImage: Sendable, Equatable {
  /// An 8-bit gray, RGB or RGBA image.
  case eightBit(Image)
  /// A 16-bit grayscale image.
  case gray16(Gray16Image)

  /// Width in pixels.
  public var width: Int {
    switch self {
    case .eightBit(let image): return image.width
    case .gray16(let image): return image.width
    }
  }

  /// Height in pixels.
  public var height: Int {
    switch self {
    case .eightBit(let image): return image.height
    case .gray16(let image): return image.height
    }
  }

  /// Channels (1, 3 or 4).
  public var channels: Int {
    switch self {
    case .eightBit(let image): return image.channels
    case .gray16: return 1
    }
  }

  /// The 8-bit image; a 16-bit image is clipped to 255 as Pillow's `convert("L")` does.
  public var image: Image {
    switch self {
    case .eightBit(let image): return image
    case .gray16(let image):
      return Image(
        unchecked: image.width, height: image.height, format: .gray,
        pixels: image.samples.map(clipGray16))
    }
  }

  /// The values as Keras's `img_to_array` returns them: `Float` HWC in 0...255 (0...65535 for 16-bit gray).
  public func floatImage() -> FloatImage {
    switch self {
    case .eightBit(let image): return image.floatImage()
    case .gray16(let image): return image.floatImage()
    }
  }
}

/// A target size for ``loadImage(_:colorMode:targetSize:interpolation:keepAspectRatio:)``, height first as in Keras.
public struct TargetSize: Sendable, Equatable {
  /// Rows.
  public var height: Int
  /// Columns.
  public var width: Int

  /// A size of `height` rows by `width` columns.
  public init(height: Int, width: Int) {
    self.height = height
    self.width = width
  }
}

/// The centre crop Keras's `load_img(keep_aspect_ratio=True)` hands to Pillow as the resize box: the largest
/// region with the target's aspect ratio (integer arithmetic, as Keras computes it), centred.
public func keepAspectRatioBox(sourceWidth width: Int, sourceHeight height: Int, target: TargetSize) -> ResizeBox {
  let cropHeight = min(height, (width * target.height) / target.width)
  let cropWidth = min(width, (height * target.width) / target.height)
  let top = (height - cropHeight) / 2
  let left = (width - cropWidth) / 2
  return ResizeBox(x0: Float(left), y0: Float(top), x1: Float(left + cropWidth), y1: Float(top + cropHeight))
}

/// Keras's `load_img`: applies `color_mode`, then resizes to `target_size` with Pillow's `resize`.
///
/// - `grayscale` keeps 8-bit (`L`) and 16-bit (`I;16`) grayscale images as they are and converts everything else
///   with Pillow's luma; `rgb` and `rgba` convert as Pillow's `convert` does (see ``DecodedImage/converted(to:)``).
/// - With `keepAspectRatio`, the centre crop of ``keepAspectRatioBox(sourceWidth:sourceHeight:target:)`` is passed
///   as Pillow's resize `box`, so convolution filters also read pixels just outside the crop (as Keras does).
/// - Nothing is resized when the image already has the target size.
/// - Throws: ``ImagingError/invalidArgument(_:)`` for a non-positive target size.
public func loadImage(
  _ decoded: DecodedImage, colorMode: ColorMode = .rgb, targetSize: TargetSize? = nil,
  interpolation: Interpolation = .nearest, keepAspectRatio: Bool = false
) throws -> LoadedImage {
  var loaded: LoadedImage
  switch colorMode {
  case .grayscale:
    if decoded.mode == .gray16, let image = decoded.gray16Image {
      loaded = .gray16(image)
    } else {
      loaded = .eightBit(decoded.converted(to: .gray))
    }
  case .rgb:
    loaded = .eightBit(decoded.converted(to: .rgb))
  case .rgba:
    loaded = .eightBit(decoded.converted(to: .rgba))
  }
  guard let target = targetSize else { return loaded }
  guard target.width > 0, target.height > 0 else {
    throw ImagingError.invalidArgument("target size \(target.height)x\(target.width) must be positive")
  }
  if loaded.width == target.width && loaded.height == target.height { return loaded }
  let box =
    keepAspectRatio
    ? keepAspectRatioBox(sourceWidth: loaded.width, sourceHeight: loaded.height, target: target) : nil
  switch loaded {
  case .eightBit(let image):
    return .eightBit(
      try image.resized(width: target.width, height: target.height, interpolation: interpolation, box: box))
  case .gray16(let image):
    return .gray16(
      try image.resized(width: target.width, height: target.height, interpolation: interpolation, box: box))
  }
}

/// Keras's `load_img` on a file: decodes `path` (PNG or JPEG, detected from the bytes) and applies
/// ``loadImage(_:colorMode:targetSize:interpolation:keepAspectRatio:)``.
/// - Throws: ``ImagingError`` naming `path`.
public func loadImage(
  atPath path: String, colorMode: ColorMode = .rgb, targetSize: TargetSize? = nil,
  interpolation: Interpolation = .nearest, keepAspectRatio: Bool = false, limits: DecodingLimits = .default
) throws -> LoadedImage {
  let decoded = try DecodedImage(contentsOfFile: path, limits: limits)
  return try loadImage(
    decoded, colorMode: colorMode, targetSize: targetSize, interpolation: interpolation,
    keepAspectRatio: keepAspectRatio)
}

/// Keras's `load_img` on bytes in memory (`io.BytesIO`).
/// - Throws: ``ImagingError`` naming `source`.
public func loadImage(
  data: Data, source: String = "<memory>", colorMode: ColorMode = .rgb, targetSize: TargetSize? = nil,
  interpolation: Interpolation = .nearest, keepAspectRatio: Bool = false, limits: DecodingLimits = .default
) throws -> LoadedImage {
  let decoded = try DecodedImage(data: data, source: source, limits: limits)
  return try loadImage(
    decoded, colorMode: colorMode, targetSize: targetSize, interpolation: interpolation,
    keepAspectRatio: keepAspectRatio)
}
